package vkmock

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/fifo"
)

// User Long Poll, as VK serves it to a user token: messages.getLongPollServer
// hands out /im/u<user_id>, a_check answers the user's updates (arrays, as
// VK's), messages.getLongPollHistory what a client missed. The updates,
// failures and fault rules are in docs/vkmock-design.md ("User Long Poll").

// Bounds of User Long Poll. The stores follow LongPollConfig: each user's
// history is bounded by HistoryEvents and HistoryBytes, all of them by
// TotalBytes (the biggest history loses its older half), the users with
// state by Users, and each user's live keys by maxKeysPerUser.
const (
	// DefaultLongPollUsers bounds the users with User Long Poll state;
	// past it the user idle the longest is forgotten (its keys answer
	// {"failed":2}, its old ts and pts {"failed":1} and 907).
	DefaultLongPollUsers = 10000
	// maxKeysPerUser bounds the live keys of a user; a new key beyond it
	// retires the oldest.
	maxKeysPerUser = 16
	// ulpUpdateOverhead is the estimated bytes of a kept update besides
	// its JSON.
	ulpUpdateOverhead = 48
)

func init() {
	worldMethods["messages.getLongPollServer"] = (*Server).messagesGetLongPollServer
	worldMethods["messages.getLongPollHistory"] = (*Server).messagesGetLongPollHistory
}

type ulpUpdate struct {
	arr json.RawMessage
	msg json.RawMessage // the message of a 4/5 update, for getLongPollHistory
	// pts is the user's pts after the update; kept whether VK keeps it in
	// the history (only those move the pts).
	pts  int64
	kept bool
	// msgID and parties are msg's id and its from_id and peer_id.
	msgID   int64
	parties [2]int64
	// v19 is the update in version 19's shape; plain is it without the
	// field mode bit plainBit adds (userlp_shapes.go). nil: as arr.
	v19, plain json.RawMessage
	plainBit   int
}

func (up ulpUpdate) size() int64 {
	return int64(len(up.arr) + len(up.msg) + len(up.v19) + len(up.plain) + ulpUpdateOverhead)
}

type ulpUser struct {
	seq, pts int64
	hist     fifo.FIFO[ulpUpdate] // oldest first, ts consecutive, the newest's ts is seq
	notify   chan struct{}
	keys     []string  // live keys, oldest first
	last     time.Time // the last request (server, a_check) or update, for eviction
	online   bool      // account.setOnline, for updates 8 and 9
}

// oldest is the ts after which the updates are kept.
func (us *ulpUser) oldest() int64 { return us.seq - int64(us.hist.Len()) }

type ulpKey struct {
	user   int64
	issued time.Time
}

// ulpState is the User Long Poll state of the users who asked for a
// server (or got an injected update): a user without state has nobody
// listening, and the world's actions skip it. Lock order: the Bots Long
// Poll lock (s.lp.mu) before mu.
type ulpState struct {
	mu    sync.Mutex
	cfg   LongPollConfig // with defaults; LongPoll().SetConfig sets it
	ucfg  UserLongPollConfig
	users map[int64]*ulpUser
	keys  map[string]ulpKey
	seq   uint64
	bytes int64 // the kept history of all users
}

func (u *ulpState) reset() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, us := range u.users {
		close(us.notify)
	}
	u.users, u.keys, u.seq, u.bytes, u.cfg, u.ucfg = nil, nil, 0, 0, LongPollConfig{}, UserLongPollConfig{}
}

func (u *ulpState) setConfig(c LongPollConfig) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.cfg = c.withDefaults()
}

func (u *ulpState) cfgLocked() LongPollConfig {
	if u.cfg.Users == 0 {
		u.cfg = u.cfg.withDefaults()
	}
	return u.cfg
}

// userLocked returns a user's state; with create it makes it, forgetting
// the user idle the longest when Users are kept already. Without create
// it returns nil for a user without state.
func (u *ulpState) userLocked(id int64, now time.Time, create bool) *ulpUser {
	if us := u.users[id]; us != nil || !create {
		return us
	}
	if u.users == nil {
		u.users = map[int64]*ulpUser{}
		u.keys = map[string]ulpKey{}
	}
	cfg := u.cfgLocked()
	if len(u.users) >= cfg.Users {
		var idle int64
		var since time.Time
		for uid, o := range u.users {
			if idle == 0 || o.last.Before(since) {
				idle, since = uid, o.last
			}
		}
		u.forgetLocked(idle)
	}
	us := &ulpUser{notify: make(chan struct{}), last: now}
	us.hist = fifo.New[ulpUpdate](cfg.HistoryEvents, int64(cfg.HistoryBytes))
	u.users[id] = us
	return us
}

// forgetLocked drops a user's state and keys, waking its waiters.
func (u *ulpState) forgetLocked(id int64) {
	us := u.users[id]
	if us == nil {
		return
	}
	for _, k := range us.keys {
		delete(u.keys, k)
	}
	u.bytes -= us.hist.Bytes()
	close(us.notify)
	delete(u.users, id)
}

// issueKeyLocked makes a new key for a user, retiring its oldest beyond
// maxKeysPerUser.
func (u *ulpState) issueKeyLocked(id int64, us *ulpUser, seed int64, now time.Time) string {
	u.seq++
	var b [24]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(seed))
	binary.LittleEndian.PutUint64(b[8:16], uint64(id))
	binary.LittleEndian.PutUint64(b[16:], u.seq)
	sum := sha1.Sum(append(b[:], "userlp"...))
	key := hex.EncodeToString(sum[:])
	u.keys[key] = ulpKey{user: id, issued: now}
	us.keys = append(us.keys, key)
	if len(us.keys) > maxKeysPerUser {
		delete(u.keys, us.keys[0])
		us.keys = append(us.keys[:0], us.keys[1:]...)
	}
	us.last = now
	return key
}

// userUpdate appends an update for a user: arr is the array without its
// ts; msg the message object for getLongPollHistory (nil for others).
// An injected update makes the user's state and is served as given; a
// world's (injected false) is skipped for a user nobody listens to, and
// served in the shape of each version and mode.
func (s *Server) userUpdate(userID int64, arr []any, msg json.RawMessage, injected bool) error {
	create := injected
	b, err := json.Marshal(arr)
	if err != nil {
		return err
	}
	up := ulpUpdate{arr: b, msg: msg, kept: true}
	if !injected {
		up.shapes(arr)
	}
	if code, ok := arr[0].(int); ok {
		up.kept = !ulpTransient(code)
	} else if raw, ok := arr[0].(json.RawMessage); ok {
		var code int
		_ = json.Unmarshal(raw, &code)
		up.kept = !ulpTransient(code)
	}
	if msg != nil {
		var m struct {
			ID     int64 `json:"id"`
			FromID int64 `json:"from_id"`
			PeerID int64 `json:"peer_id"`
		}
		_ = json.Unmarshal(msg, &m)
		up.msgID, up.parties = m.ID, [2]int64{m.FromID, m.PeerID}
	}
	now := s.now()
	u := &s.ulp
	u.mu.Lock()
	defer u.mu.Unlock()
	us := u.userLocked(userID, now, create)
	if us == nil {
		return nil
	}
	cfg := u.cfgLocked()
	us.seq++
	if up.kept {
		us.pts++
	}
	up.pts = us.pts
	us.last = now
	us.hist.SetBounds(cfg.HistoryEvents, int64(cfg.HistoryBytes))
	before := us.hist.Bytes()
	us.hist.Add(up, up.size(), nil)
	u.bytes += us.hist.Bytes() - before
	for u.bytes > int64(cfg.TotalBytes) {
		big := us
		for _, o := range u.users {
			if o.hist.Bytes() > big.hist.Bytes() {
				big = o
			}
		}
		if big.hist.Len() == 0 {
			break
		}
		before := big.hist.Bytes()
		big.hist.Shift((big.hist.Len() + 1) / 2)
		u.bytes -= before - big.hist.Bytes()
	}
	close(us.notify)
	us.notify = make(chan struct{})
	return nil
}

// userLPEmitted turns a community event into the User Long Poll update of
// the user in the conversation (called from callbackEmit, under the Long
// Poll lock).
func (s *Server) userLPEmitted(groupID int64, typ vkevent.Type, object []byte) {
	ev := vkevent.Event{Type: typ, GroupID: groupID, Object: object}
	var o *vkevent.Message
	code := 4
	switch typ {
	case vkevent.TypeMessageNew: // a user wrote to the community
		if n, err := ev.MessageNew(); err == nil {
			o = n.Message
		}
	case vkevent.TypeMessageReply: // the community wrote to a user
		o, _ = ev.MessageReply()
	case vkevent.TypeMessageEdit:
		o, _ = ev.MessageEdit()
		code = 5
	}
	if o == nil {
		return
	}
	// The object is seen from the community (its peer is the user); the
	// message as stored has the community on one side.
	m := Message{ID: o.ID, FromID: o.FromID, PeerID: -groupID, Date: o.Date, Message: o.Text, RandomID: o.RandomID}
	user := o.FromID
	if o.FromID == -groupID {
		user, m.PeerID = o.PeerID, o.PeerID
	}
	if user <= 0 || user > MaxUserID {
		return
	}
	s.userMessageUpdate(user, m, code)
}

func (s *Server) messagesGetLongPollServer(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	if tok.Kind != TokenUser {
		return nil, s.withSuffix(vkerr.Method, "messages.getLongPollServer needs a user token; communities use groups.getLongPollServer")
	}
	if v, _ := q.Get("lp_version"); v != "" {
		// Any number: the a_check's version is what answers failed 4.
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			return nil, s.paramError("lp_version is invalid")
		}
	}
	now := s.now()
	u := &s.ulp
	u.mu.Lock()
	us := u.userLocked(tok.UserID, now, true)
	key := u.issueKeyLocked(tok.UserID, us, s.seed, now)
	ts, pts := us.seq, us.pts
	u.mu.Unlock()
	host := strings.TrimPrefix(strings.TrimPrefix(q.Base(), "https://"), "http://")
	out := map[string]any{"key": key, "server": host + "/im/u" + strconv.FormatInt(tok.UserID, 10), "ts": ts}
	if q.Flag("need_pts") {
		out["pts"] = pts
	}
	body, _ := json.Marshal(out)
	return body, nil
}

// serveUserLongPoll serves GET /im/u<user>?act=a_check&key&ts&wait&mode&version.
func (s *Server) serveUserLongPoll(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("act") != "a_check" {
		writeJSON(w, http.StatusOK, map[string]any{"failed": 2, "error": "act must be a_check"})
		return
	}
	fq := &vkRequest{Name: "longpoll.user", TLS: r.TLS != nil, Host: r.Host}
	for _, k := range []string{"act", "key", "ts", "wait", "mode", "version"} {
		if v := q.Get(k); v != "" {
			fq.Params = append(fq.Params, kv{Key: k, Value: v})
		}
	}
	forced, truncate, answered := s.longPollFault(w, r, fq)
	if answered {
		return
	}
	version := defaultUserLongPollVersion
	if v := q.Get("version"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || !servedVersion(n) {
			forced = 4
		} else {
			version = n
		}
	}
	wait := defaultLongPollWait
	if v := q.Get("wait"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			wait = min(n, maxLongPollWait)
		}
	}
	mode, _ := strconv.Atoi(q.Get("mode"))
	body := s.userACheck(r.Context(), strings.TrimPrefix(r.URL.Path, "/im/u"), q.Get("key"), q.Get("ts"), wait, version, mode, forced)
	if body == nil {
		return
	}
	writeBody(w, body, truncate)
}

func (s *Server) userACheck(ctx context.Context, server, key, tsParam string, wait, version, mode, forced int) []byte {
	switch forced {
	case 4:
		return failed4()
	case 3:
		return failedBody(3)
	}
	deadline := s.now().Add(time.Duration(wait) * time.Second)
	u := &s.ulp
	for {
		now := s.now()
		u.mu.Lock()
		cfg := u.cfgLocked()
		k, ok := u.keys[key]
		if !ok || strconv.FormatInt(k.user, 10) != server || now.Sub(k.issued) > cfg.KeyLifetime || forced == 2 {
			if ok && forced == 2 {
				delete(u.keys, key)
			}
			u.mu.Unlock()
			return userFailed2(ok && forced != 2, now.Sub(k.issued)-cfg.KeyLifetime)
		}
		us := u.userLocked(k.user, now, false)
		if us == nil { // not so: forgetting a user retires its keys
			u.mu.Unlock()
			return userFailed2(false, 0)
		}
		us.last = now // a user who polls is not idle
		ts, err := strconv.ParseInt(tsParam, 10, 64)
		oldest, window := us.oldest(), int64(u.ucfg.withDefaults().TSWindow)
		// forced 1, as VK's failed 1, carries the current ts.
		if seq := us.seq; err != nil || ts < oldest || ts < seq-window || ts > seq+window || forced == 1 {
			u.mu.Unlock()
			return failed1(seq)
		}
		if ts < us.seq || !now.Before(deadline) {
			// A ts ahead (within the window) waits for the updates past it.
			var ups []ulpUpdate
			if ts < us.seq {
				ups = us.hist.All()[ts-oldest:]
			}
			if len(ups) > cfg.MaxUpdates {
				ups = ups[:cfg.MaxUpdates]
			}
			next := ts + int64(len(ups))
			b := []byte(`{"ts":`)
			b = strconv.AppendInt(b, next, 10)
			if mode&32 != 0 {
				pts := us.pts
				if len(ups) > 0 {
					pts = ups[len(ups)-1].pts
				}
				b = append(b, `,"pts":`...)
				b = strconv.AppendInt(b, pts, 10)
			}
			b = append(b, `,"updates":[`...)
			for i, up := range ups {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, up.shape(version, mode)...)
			}
			u.mu.Unlock()
			return append(b, "]}"...)
		}
		notify := us.notify
		u.mu.Unlock()
		clockCh := s.clk.Moved()
		t := time.NewTimer(deadline.Sub(now))
		select {
		case <-notify:
		case <-clockCh:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil
		}
		t.Stop()
	}
}

// userFailed2 is VK's {"failed":2} with its error text: an expired key
// says how long ago it expired (wire-examples/34); a key the mock does not
// know (or a forced failed 2) gets the mock's own text.
func userFailed2(expired bool, ago time.Duration) []byte {
	if expired {
		return []byte(`{"failed":2,"error":"Key validation failed: Key is expired ` + strconv.FormatInt(int64(ago/time.Second), 10) + ` seconds ago"}`)
	}
	return []byte(`{"failed":2,"error":"Key validation failed: Key is invalid"}`)
}

// UserUpdate is the body of POST /__vkmock/userlp/event: an update array
// for a user (its first element the code, a number).
type UserUpdate struct {
	UserID int64             `json:"user_id"`
	Update []json.RawMessage `json:"update"`
}

// Inject appends an update to a user's User Long Poll stream.
func (ctl UserLongPollControl) Inject(up UserUpdate) error {
	s := ctl.s
	if up.UserID <= 0 || up.UserID > MaxUserID {
		return errors.New("user_id must be a user id")
	}
	if len(up.Update) == 0 || len(up.Update) > 32 {
		return errors.New("update must be an array of 1 to 32 elements, the code first")
	}
	var code int
	if json.Unmarshal(up.Update[0], &code) != nil || code <= 0 {
		return errors.New("the first element of update must be the code, a positive number")
	}
	arr := make([]any, len(up.Update))
	for i, v := range up.Update {
		arr[i] = v
	}
	return s.userUpdate(up.UserID, arr, nil, true)
}

func (s *Server) userLPRoutes() map[string]route {
	return map[string]route{
		"/userlp/event": {http.MethodPost: postJSON(http.StatusCreated, func(up UserUpdate) (any, error) {
			return up, s.UserLongPoll().Inject(up)
		})},
		"/userlp/config": {
			http.MethodGet: getJSON(func() any { return s.UserLongPoll().Config() }),
			http.MethodPost: postJSON(http.StatusOK, func(c UserLongPollConfig) (any, error) {
				if c.TSWindow < 0 || c.PageEvents < 0 || c.PageMsgs < 0 {
					return nil, errors.New("ts_window, page_events and page_msgs must not be negative")
				}
				s.UserLongPoll().SetConfig(c)
				return s.UserLongPoll().Config(), nil
			}),
		},
	}
}
