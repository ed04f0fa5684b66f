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
)

// User Long Poll, as VK serves it to a user token:
// messages.getLongPollServer(lp_version, need_pts) answers
// {"key","server":"HOST/im/u<user_id>","ts":N,"pts":P} (server without a
// scheme, as VK sends it); GET {scheme}://{server}?act=a_check&key&ts&wait
// &mode&version holds until an update newer than ts exists or wait
// seconds of the mock's clock pass, and answers {"ts":N,"updates":[[...]]}
// with "pts" when mode has 32. Updates are arrays: [4, message_id, flags,
// peer_id, timestamp, text, {}, {}, random_id] for a new message, [5, ...]
// for an edit, and any update injected with POST /__vkmock/userlp/event
// (online 8/9, typing 63, flags 2/3/6/7...).
//
// A user's updates come from the world: the user writing to a community
// (Inbox: an outgoing message, flags 2), the community's messages.send to
// the user (incoming, flags 1) and messages.edit (5).
//
// Failures, HTTP 200: {"failed":1,"ts":N} (ts older than the kept
// history or ahead), {"failed":2} (key unknown or older than the key
// lifetime), {"failed":3} (a fault rule asked), {"failed":4,
// "min_version":0,"max_version":MaxUserLongPollVersion} (a version out of
// range). messages.getLongPollHistory(ts, pts) returns the updates after
// ts (or pts) with the messages they name and the new pts; 907 when ts or
// pts is older than the kept history, 908 when ahead of the newest.
// Fault rules match the endpoint by the method name "longpoll.user", with
// the same effects as "longpoll.bots" (failed 1 answers the client's own
// ts, failed 2 expires its key, failed 3 asks the client to get a new key
// and ts: getLongPollHistory still has what it missed).

// Bounds of User Long Poll.
const (
	MaxUserLongPollVersion = 19
	// DefaultUserLongPollHistory is the updates kept per user.
	DefaultUserLongPollHistory = 10000
	// maxUserLongPollUsers bounds the users with User Long Poll state.
	maxUserLongPollUsers = 10000
	// userLPBytes bounds the kept updates of one user.
	userLPBytes = 16 << 20
)

func init() {
	worldMethods["messages.getLongPollServer"] = (*Server).messagesGetLongPollServer
	worldMethods["messages.getLongPollHistory"] = (*Server).messagesGetLongPollHistory
}

type ulpUpdate struct {
	ts, pts int64
	arr     json.RawMessage
	msg     json.RawMessage // the message of a 4/5 update, for getLongPollHistory
}

type ulpUser struct {
	seq, pts int64
	hist     []ulpUpdate // oldest first, ts consecutive
	bytes    int
	notify   chan struct{}
}

type ulpKey struct {
	user   int64
	issued time.Time
}

type ulpState struct {
	mu    sync.Mutex
	users map[int64]*ulpUser
	keys  map[string]ulpKey
	seq   uint64
}

func (u *ulpState) reset() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, us := range u.users {
		close(us.notify)
	}
	u.users, u.keys, u.seq = nil, nil, 0
}

func (u *ulpState) userLocked(id int64) *ulpUser {
	if u.users == nil {
		u.users = map[int64]*ulpUser{}
		u.keys = map[string]ulpKey{}
	}
	us := u.users[id]
	if us == nil {
		if len(u.users) >= maxUserLongPollUsers {
			return nil
		}
		us = &ulpUser{notify: make(chan struct{})}
		u.users[id] = us
	}
	return us
}

// userUpdate appends an update for a user: arr is the array without its
// ts; msg the message object for getLongPollHistory (nil for others).
func (s *Server) userUpdate(userID int64, arr []any, msg json.RawMessage) error {
	b, err := json.Marshal(arr)
	if err != nil {
		return err
	}
	u := &s.ulp
	u.mu.Lock()
	defer u.mu.Unlock()
	us := u.userLocked(userID)
	if us == nil {
		return errors.New("vkmock: User Long Poll state is kept for at most 10000 users")
	}
	us.seq++
	us.pts++
	up := ulpUpdate{ts: us.seq, pts: us.pts, arr: b, msg: msg}
	us.hist = append(us.hist, up)
	us.bytes += len(b) + len(msg) + 48
	for len(us.hist) > DefaultUserLongPollHistory || (us.bytes > userLPBytes && len(us.hist) > 1) {
		us.bytes -= len(us.hist[0].arr) + len(us.hist[0].msg) + 48
		us.hist = append(us.hist[:0:0], us.hist[1:]...)
	}
	close(us.notify)
	us.notify = make(chan struct{})
	return nil
}

// userLPEmitted turns a community event into the User Long Poll update of
// the user in the conversation (called from callbackEmit, under the Long
// Poll lock).
func (s *Server) userLPEmitted(groupID int64, typ vkevent.Type, object []byte) {
	var o struct {
		Message *struct {
			ID       int64  `json:"id"`
			FromID   int64  `json:"from_id"`
			PeerID   int64  `json:"peer_id"`
			Date     int64  `json:"date"`
			Text     string `json:"text"`
			RandomID int64  `json:"random_id"`
		} `json:"message"`
		ID       int64  `json:"id"`
		FromID   int64  `json:"from_id"`
		PeerID   int64  `json:"peer_id"`
		Date     int64  `json:"date"`
		Text     string `json:"text"`
		RandomID int64  `json:"random_id"`
	}
	if json.Unmarshal(object, &o) != nil {
		return
	}
	m := o.Message
	if m == nil {
		m = &struct {
			ID       int64  `json:"id"`
			FromID   int64  `json:"from_id"`
			PeerID   int64  `json:"peer_id"`
			Date     int64  `json:"date"`
			Text     string `json:"text"`
			RandomID int64  `json:"random_id"`
		}{o.ID, o.FromID, o.PeerID, o.Date, o.Text, o.RandomID}
	}
	var user int64
	var flags, code int
	switch typ {
	case vkevent.TypeMessageNew: // the user wrote to the community
		user, flags, code = m.FromID, 2, 4
	case vkevent.TypeMessageReply: // the community wrote to the user
		user, flags, code = m.PeerID, 1, 4
	case vkevent.TypeMessageEdit:
		user, flags, code = m.PeerID, 0, 5
	default:
		return
	}
	if user <= 0 || user > MaxUserID {
		return
	}
	peer := -groupID
	msg, _ := json.Marshal(map[string]any{"id": m.ID, "from_id": map[bool]int64{true: user, false: -groupID}[flags == 2],
		"peer_id": peer, "date": m.Date, "text": m.Text, "out": boolInt(flags == 2), "random_id": m.RandomID})
	_ = s.userUpdate(user, []any{code, m.ID, flags, peer, m.Date, m.Text, map[string]any{}, map[string]any{}, m.RandomID}, msg)
}

func (s *Server) messagesGetLongPollServer(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	if tok.Kind != TokenUser {
		return nil, s.withSuffix(vkerr.Method, "messages.getLongPollServer needs a user token; communities use groups.getLongPollServer")
	}
	if v, _ := q.get("lp_version"); v != "" {
		// Any number: the a_check's version is what answers failed 4.
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			return nil, s.paramError("lp_version is invalid")
		}
	}
	now := s.now()
	u := &s.ulp
	u.mu.Lock()
	us := u.userLocked(tok.UserID)
	if us == nil {
		u.mu.Unlock()
		return nil, &vkerr.Error{Code: vkerr.Server, Message: s.message(vkerr.Server) + ": too many User Long Poll users"}
	}
	u.seq++
	var b [24]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(s.seed))
	binary.LittleEndian.PutUint64(b[8:16], uint64(tok.UserID))
	binary.LittleEndian.PutUint64(b[16:], u.seq)
	sum := sha1.Sum(append(b[:], "userlp"...))
	key := hex.EncodeToString(sum[:])
	u.keys[key] = ulpKey{user: tok.UserID, issued: now}
	if len(u.keys) > 16*maxUserLongPollUsers {
		for k, v := range u.keys { // the oldest are not tracked: drop expired ones
			if now.Sub(v.issued) > s.LongPollConfigOf().KeyLifetime {
				delete(u.keys, k)
			}
		}
	}
	ts, pts := us.seq, us.pts
	u.mu.Unlock()
	host := strings.TrimPrefix(strings.TrimPrefix(q.base(), "https://"), "http://")
	out := map[string]any{"key": key, "server": host + "/im/u" + strconv.FormatInt(tok.UserID, 10), "ts": ts}
	if q.flag("need_pts") {
		out["pts"] = pts
	}
	body, _ := json.Marshal(out)
	return body, nil
}

func (s *Server) messagesGetLongPollHistory(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	if tok.Kind != TokenUser {
		return nil, s.withSuffix(vkerr.Method, "messages.getLongPollHistory needs a user token")
	}
	tsV, _ := q.get("ts")
	ptsV, _ := q.get("pts")
	ts, errTS := strconv.ParseInt(tsV, 10, 64)
	pts, errPTS := strconv.ParseInt(ptsV, 10, 64)
	if (tsV == "" || errTS != nil || ts < 0) && (ptsV == "" || errPTS != nil || pts < 0) {
		return nil, s.paramError("ts or pts is required")
	}
	u := &s.ulp
	u.mu.Lock()
	defer u.mu.Unlock()
	us := u.userLocked(tok.UserID)
	if us == nil {
		return nil, &vkerr.Error{Code: vkerr.Server, Message: s.message(vkerr.Server)}
	}
	// The history is ts-consecutive and pts moves with ts: both map to one
	// index.
	from := ts
	if ptsV != "" && errPTS == nil {
		from = us.seq - (us.pts - pts)
	}
	oldest := us.seq - int64(len(us.hist)) // the updates after it are kept
	switch {
	case from < oldest:
		return nil, &vkerr.Error{Code: vkerr.MessagesTooOldPts, Message: s.message(vkerr.MessagesTooOldPts)}
	case from > us.seq:
		return nil, &vkerr.Error{Code: vkerr.MessagesTooNewPts, Message: s.message(vkerr.MessagesTooNewPts)}
	}
	history := []json.RawMessage{}
	items := []json.RawMessage{}
	for _, up := range us.hist[from-oldest:] {
		history = append(history, up.arr)
		if up.msg != nil {
			items = append(items, up.msg)
		}
	}
	body, _ := json.Marshal(map[string]any{"history": history, "messages": map[string]any{"count": len(items), "items": items},
		"new_pts": us.pts, "from_pts": us.pts - int64(len(history))})
	return body, nil
}

// serveUserLongPoll serves GET /im/u<user>?act=a_check&key&ts&wait&mode&version.
func (s *Server) serveUserLongPoll(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("act") != "a_check" {
		writeJSON(w, http.StatusOK, map[string]any{"failed": 2, "error": "act must be a_check"})
		return
	}
	fq := &vkRequest{name: "longpoll.user", tls: r.TLS != nil, host: r.Host}
	for _, k := range []string{"act", "key", "ts", "wait", "mode", "version"} {
		if v := q.Get(k); v != "" {
			fq.params = append(fq.params, kv{k, v})
		}
	}
	forced, truncate, answered := s.longPollFault(w, r, fq)
	if answered {
		return
	}
	if v := q.Get("version"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 0 || n > MaxUserLongPollVersion {
			forced = 4
		}
	}
	wait := defaultLongPollWait
	if v := q.Get("wait"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			wait = min(n, maxLongPollWait)
		}
	}
	mode, _ := strconv.Atoi(q.Get("mode"))
	body := s.userACheck(r.Context(), strings.TrimPrefix(r.URL.Path, "/im/u"), q.Get("key"), q.Get("ts"), wait, mode, forced)
	if body == nil {
		return
	}
	writeBody(w, body, truncate)
}

func (s *Server) userACheck(ctx context.Context, server, key, tsParam string, wait, mode, forced int) []byte {
	switch forced {
	case 4:
		return []byte(`{"failed":4,"min_version":0,"max_version":` + strconv.Itoa(MaxUserLongPollVersion) + `}`)
	case 3:
		return failedBody(3)
	}
	lifetime := s.LongPollConfigOf().KeyLifetime
	deadline := s.now().Add(time.Duration(wait) * time.Second)
	u := &s.ulp
	for {
		now := s.now()
		u.mu.Lock()
		k, ok := u.keys[key]
		if !ok || strconv.FormatInt(k.user, 10) != server || now.Sub(k.issued) > lifetime || forced == 2 {
			if ok && forced == 2 {
				delete(u.keys, key)
			}
			u.mu.Unlock()
			return failedBody(2)
		}
		us := u.userLocked(k.user)
		ts, err := strconv.ParseInt(tsParam, 10, 64)
		oldest := us.seq - int64(len(us.hist))
		if err != nil || ts < oldest || ts > us.seq {
			u.mu.Unlock()
			return failed1(us.seq)
		}
		if forced == 1 {
			u.mu.Unlock()
			return failed1(ts)
		}
		if ts < us.seq || !now.Before(deadline) {
			ups := us.hist[ts-oldest:]
			if len(ups) > DefaultLongPollMaxUpdates {
				ups = ups[:DefaultLongPollMaxUpdates]
			}
			next := ts + int64(len(ups))
			b := []byte(`{"ts":`)
			b = strconv.AppendInt(b, next, 10)
			if mode&32 != 0 {
				b = append(b, `,"pts":`...)
				b = strconv.AppendInt(b, us.pts-(us.seq-next), 10)
			}
			b = append(b, `,"updates":[`...)
			for i, up := range ups {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, up.arr...)
			}
			u.mu.Unlock()
			return append(b, "]}"...)
		}
		notify := us.notify
		u.mu.Unlock()
		s.lp.mu.Lock()
		s.lp.initLocked()
		clockCh := s.lp.clockCh
		s.lp.mu.Unlock()
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

// UserUpdate is the body of POST /__vkmock/userlp/event: an update array
// for a user (its first element the code, a number).
type UserUpdate struct {
	UserID int64             `json:"user_id"`
	Update []json.RawMessage `json:"update"`
}

// InjectUserUpdate appends an update to a user's User Long Poll stream.
func (s *Server) InjectUserUpdate(up UserUpdate) error {
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
	return s.userUpdate(up.UserID, arr, nil)
}

func (s *Server) userLPRoutes() map[string]route {
	return map[string]route{
		"/userlp/event": {http.MethodPost: postJSON(http.StatusCreated, func(up UserUpdate) (any, error) {
			return up, s.InjectUserUpdate(up)
		})},
	}
}
