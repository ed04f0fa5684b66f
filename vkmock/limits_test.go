package vkmock

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

// serveDirect runs one request through the handler, without a network.
func serveDirect(t testing.TB, s *Server, name string, params url.Values) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/method/"+name, strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// The request log keeps the first LogValueBytes of a value and its length,
// not the value: 300 requests with 8 MB took 4 GB when it kept them.
func TestRequestLogKeepsBoundedCopies(t *testing.T) {
	s := MustNew(WithRateLimits(false))
	big := strings.Repeat("x", 8_000_000)
	rec := serveDirect(t, s, "users.get", vals("v", "5.199", "access_token", s.Tokens().Of(TokenUser).Token, "junk", big, "user_ids", "1"))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	recs := s.Requests().All()
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	var junk *RequestParam
	for i, p := range recs[0].Params {
		if p.Key == "junk" {
			junk = &recs[0].Params[i]
		}
	}
	if junk == nil {
		t.Fatalf("no junk parameter: %+v", recs[0].Params)
	}
	if len(junk.Value) > DefaultLogValueBytes || junk.Len != len(big) {
		t.Fatalf("junk kept as %d bytes (len %d), want at most %d and len %d", len(junk.Value), junk.Len, DefaultLogValueBytes, len(big))
	}
	if !strings.HasPrefix(big, junk.Value) || len(junk.Value) < DefaultLogValueBytes/2 {
		t.Fatalf("junk value is not the beginning of the value: %d bytes", len(junk.Value))
	}
	if _, n := s.log.Stats(); n > DefaultLogValueBytes+1024 {
		t.Fatalf("the log counts %d bytes for one request", n)
	}
}

// Values are redacted once, when stored: the log itself holds no secret,
// so reading it need not redact again.
func TestRequestLogRedactsWhenStored(t *testing.T) {
	s := MustNew(WithRateLimits(false))
	leak := "vk1.a." + strings.Repeat("Q", 80)
	serveDirect(t, s, "users.get", vals("v", "5.199", "access_token", s.Tokens().Of(TokenUser).Token, "note", "token "+leak, "captcha_key", "12345"))
	stored := fmt.Sprint(s.log.Snapshot())
	if strings.Contains(stored, "QQQQ") || strings.Contains(stored, "12345") || strings.Contains(stored, s.Tokens().Of(TokenUser).Token) {
		t.Fatalf("the stored log holds a secret: %s", stored)
	}
	if !strings.Contains(stored, vkerr.Redacted) {
		t.Fatalf("no redaction in %s", stored)
	}
}

func TestRequestLogBoundedByBytes(t *testing.T) {
	s := MustNew(WithRateLimits(false), WithLimits(Limits{RequestLogBytes: 64 << 10}))
	tok := s.Tokens().Of(TokenUser).Token
	for i := range 200 {
		serveDirect(t, s, "users.get", vals("v", "5.199", "access_token", tok, "i", fmt.Sprint(i), "junk", strings.Repeat("j", 900)))
	}
	n, b := s.log.Stats()
	if b > 64<<10 || n >= 200 || n < 10 {
		t.Fatalf("%d records, %d bytes: want under 64 KiB and the oldest evicted", n, b)
	}
	recs := s.Requests().All()
	last := recs[len(recs)-1]
	if v, _ := paramOf(last.Params, "i"); v != "199" {
		t.Fatalf("the newest record is %v", last.Params)
	}
}

func paramOf(ps []RequestParam, key string) (string, bool) {
	for _, p := range ps {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// wall.post had no cap: 200 000 posts grew the process by 370 MB.
func TestPostsBounded(t *testing.T) {
	s := MustNew(WithRateLimits(false), WithLimits(Limits{Posts: 50, PostBytes: 20 << 10}))
	tok := s.Tokens().Of(TokenUser).Token
	for i := range 120 {
		rec := serveDirect(t, s, "wall.post", vals("v", "5.199", "access_token", tok, "message", fmt.Sprintf("post %d %s", i, strings.Repeat("p", 200))))
		if !strings.Contains(rec.Body.String(), "post_id") {
			t.Fatalf("wall.post: %s", rec.Body)
		}
	}
	total := len(s.World().Snapshot().Posts)
	use := s.world.Usage()
	n, b := use.Posts, use.PostBytes
	if total > 50 || n != total || b > 20<<10 {
		t.Fatalf("%d posts (%d in order, %d bytes), want at most 50 and 20 KiB", total, n, b)
	}
	rec := serveDirect(t, s, "wall.get", vals("v", "5.199", "access_token", tok, "count", "1"))
	if !strings.Contains(rec.Body.String(), "post 119 ") {
		t.Fatalf("the newest post is gone: %s", rec.Body)
	}
}

func TestMessagesBounded(t *testing.T) {
	s := MustNew(WithRateLimits(false), WithLimits(Limits{Messages: 3, MessageBytes: 1 << 20}))
	tok := s.Tokens().Of(TokenUser).Token
	send := func(rid int, text string) string {
		return serveDirect(t, s, "messages.send", vals("v", "5.199", "access_token", tok, "peer_id", "1", "random_id", fmt.Sprint(rid), "message", text)).Body.String()
	}
	for i := 1; i <= 5; i++ {
		send(i, fmt.Sprint("m", i))
	}
	ms := s.World().Messages()
	if len(ms) != 3 || ms[0].Message != "m3" || ms[2].Message != "m5" {
		t.Fatalf("messages %+v, want m3..m5", ms)
	}
	// The evicted message's random_id is forgotten with it.
	if got := send(1, "again"); got != `{"response":6}` {
		t.Fatalf("resend of an evicted random_id: %s", got)
	}
	// A repeat of a kept one still answers the first id.
	if got := send(5, "again"); got != `{"response":5}` {
		t.Fatalf("resend of a kept random_id: %s", got)
	}
	s2 := MustNew(WithRateLimits(false), WithLimits(Limits{MessageBytes: 4 << 10}))
	tok = s2.Tokens().Of(TokenUser).Token
	for i := range 20 {
		serveDirect(t, s2, "messages.send", vals("v", "5.199", "access_token", tok, "peer_id", "1", "message", strings.Repeat("m", 1000), "junk", strings.Repeat("j", 1<<20), "i", fmt.Sprint(i)))
	}
	if use := s2.world.Usage(); use.Messages > 4 || use.MessageBytes > 4<<10 {
		t.Fatalf("%d messages, %d bytes, want at most 4 KiB", use.Messages, use.MessageBytes)
	}
}

// The compiled-script cache was bounded by count only: 512 scripts of
// 8 MB cost 8 GB.
func TestScriptCacheBoundedByBytes(t *testing.T) {
	s := MustNew(WithRateLimits(false), WithLimits(Limits{ScriptCacheBytes: 1 << 20}))
	tok := s.Tokens().Of(TokenUser).Token
	for i := range 40 {
		code := fmt.Sprintf("return %d + \"%s\".length;", i, strings.Repeat("a", 100<<10))
		rec := serveDirect(t, s, "execute", vals("v", "5.199", "access_token", tok, "code", code))
		if want := fmt.Sprintf(`{"response":%d}`, i+100<<10); rec.Body.String() != want {
			t.Fatalf("execute: %s, want %s", rec.Body, want)
		}
	}
	s.procs.mu.RLock()
	n, b, m := s.procs.order.Len(), s.procs.order.Bytes(), len(s.procs.progs)
	s.procs.mu.RUnlock()
	if b > 1<<20 || n != m || n == 0 {
		t.Fatalf("cache of %d programs (map %d), %d bytes: want at most 1 MiB", n, m, b)
	}
}

func TestLimitsFromOptionsAndConfig(t *testing.T) {
	c, err := ParseConfig(strings.NewReader(`{"request_log_size": 7, "limits": {"posts": 9, "log_value_bytes": 100}, "timeouts": {"read_ms": 1500, "idle_ms": 2000}}`))
	if err != nil {
		t.Fatal(err)
	}
	s := MustNew(WithConfig(c), WithLimits(Limits{Messages: 11}), WithTimeouts(Timeouts{Write: 20 * 60e9}))
	l, to := s.Limits(), s.Timeouts()
	if l.RequestLogSize != 7 || l.Posts != 9 || l.LogValueBytes != 100 || l.Messages != 11 || l.PostBytes != DefaultPostBytes {
		t.Fatalf("limits %+v", l)
	}
	if to.Read != 1500e6 || to.Idle != 2e9 || to.Write != 20*60e9 || to.MaxHeaderBytes != DefaultMaxHeaderBytes {
		t.Fatalf("timeouts %+v", to)
	}
	for _, bad := range []string{`{"limits": {"posts": -1}}`, `{"timeouts": {"read_ms": -1}}`, `{"timeouts": {"idle_ms": 1e15}}`, `{} x`, `{}}`} {
		if _, err := ParseConfig(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if _, err := New(WithLimits(Limits{Messages: -1})); err == nil {
		t.Error("negative limit accepted")
	}
}

// The stores that only the control API fills are bounded too.
func TestControlStoresBounded(t *testing.T) {
	s := MustNew()
	added := 0
	for i := range MaxWorldEntities + 10 {
		if err := s.World().PutAlbum(Album{ID: int64(i + 1000), OwnerID: 1}); err != nil {
			break
		}
		added++
	}
	if n := len(s.World().Snapshot().Albums); n != MaxWorldEntities || added >= MaxWorldEntities {
		t.Fatalf("%d albums (%d added), want MaxWorldEntities", n, added)
	}
	if err := s.World().PutAlbum(Album{ID: 1000, OwnerID: 1, Title: "replaced"}); err != nil {
		t.Fatalf("replacing an album: %v", err)
	}
	if err := s.World().PutUser(User{ID: 5, FirstName: strings.Repeat("n", 2000)}); err == nil {
		t.Fatal("a 2000-byte name accepted")
	}
	for i := range MaxProcedures {
		if err := s.Procedures().Set(fmt.Sprint("p", i), "return 1;"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Procedures().Set("one_more", "return 1;"); err == nil {
		t.Fatal("procedure past MaxProcedures accepted")
	}
	if status, out := controlRaw(s, http.MethodPost, "/__vkmock/tokens", `{"kind":"user","token":"`+strings.Repeat("t", 5000)+`"}`); status != http.StatusBadRequest || out["field"] != "token" {
		t.Fatalf("a 5000-byte token: %d %v", status, out)
	}
}
