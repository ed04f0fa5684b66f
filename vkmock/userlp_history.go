package vkmock

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
)

// messages.getLongPollHistory as VK serves it: the events a client
// missed after its pts (or ts), at most events_limit of them and the
// messages they refer to at most msgs_limit, more=1 while more remain,
// new_pts the pts after the last event returned; only the events VK keeps
// in history (not typing, not presence: ulpTransient), with the profiles
// and groups of the messages. The limits' minimums (and defaults) are the
// schema's; UserLongPollConfig can make the pages shorter, for tests.

// UserLongPollConfig is what the User Long Poll of the mock does where VK
// has a number; the zero value of a field is VK's (the defaults below).
type UserLongPollConfig struct {
	// TSWindow: an a_check whose ts is more than TSWindow events behind
	// the user's ts, or ahead of it, answers {"failed":1} (default 256).
	TSWindow int `json:"ts_window,omitempty"`
	// PageEvents and PageMsgs, when set, bound the events and messages
	// of one messages.getLongPollHistory page below what events_limit
	// and msgs_limit ask (VK's minimums and defaults: 1000 and 200), for
	// tests of clients that must page through short pages; 0 is no bound
	// but the request's.
	PageEvents int `json:"page_events,omitempty"`
	PageMsgs   int `json:"page_msgs,omitempty"`
}

// Defaults of UserLongPollConfig.
const (
	DefaultUserLongPollTSWindow = 256
	DefaultHistoryEventsLimit   = 1000
	DefaultHistoryMsgsLimit     = 200
	// maxHistoryLimit bounds events_limit and msgs_limit, so one answer
	// stays bounded.
	maxHistoryLimit = 10000
)

func (c UserLongPollConfig) withDefaults() UserLongPollConfig {
	if c.TSWindow <= 0 {
		c.TSWindow = DefaultUserLongPollTSWindow
	}
	c.PageEvents, c.PageMsgs = max(c.PageEvents, 0), max(c.PageMsgs, 0)
	return c
}

// SetConfig sets what User Long Poll does where VK has a number (zero
// fields: VK's).
func (ctl UserLongPollControl) SetConfig(c UserLongPollConfig) {
	u := &ctl.s.ulp
	u.mu.Lock()
	u.ucfg = c.withDefaults()
	u.mu.Unlock()
}

// Config returns the User Long Poll configuration, with its defaults.
func (ctl UserLongPollControl) Config() UserLongPollConfig {
	u := &ctl.s.ulp
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.ucfg.withDefaults()
}

// ulpTransient reports whether an update of code is one VK does not keep
// in the history: presence (8, 9) and activity (61, 62, 63..67).
func ulpTransient(code int) bool {
	return code == 8 || code == 9 || code == 61 || code == 62 || (code >= 63 && code <= 67)
}

// historyLimit reads events_limit or msgs_limit (the schema's check
// has refused one below its minimum): absent is the default, past
// maxHistoryLimit is lowered to that, and page (when set) bounds it.
func (s *Server) historyLimit(q *vkRequest, name string, def, page int) (int, *vkerr.Error) {
	n := def
	if v, _ := q.Get(name); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < def {
			return 0, s.paramError(name + " should be greater or equal to " + strconv.Itoa(def))
		}
	}
	n = min(n, maxHistoryLimit)
	if page > 0 {
		n = min(n, page)
	}
	return n, nil
}

// historyPage is what one getLongPollHistory answer carries, copied out
// of the user's state.
type historyPage struct {
	events           []json.RawMessage
	items            []json.RawMessage
	fromPTS, newPTS  int64
	more             bool
	users, groups    []int64
	credKey, credSrv string
	credTS, credPTS  int64
}

func (s *Server) messagesGetLongPollHistory(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	if tok.Kind != TokenUser {
		return nil, s.withSuffix(vkerr.Method, "messages.getLongPollHistory needs a user token")
	}
	tsV, _ := q.Get("ts")
	ptsV, _ := q.Get("pts")
	ts, errTS := strconv.ParseInt(tsV, 10, 64)
	pts, errPTS := strconv.ParseInt(ptsV, 10, 64)
	byPTS := ptsV != "" && errPTS == nil && pts >= 0
	if !byPTS && (tsV == "" || errTS != nil || ts < 0) {
		return nil, s.paramError("ts or pts is required")
	}
	cfg := s.UserLongPoll().Config()
	eventsLimit, e := s.historyLimit(q, "events_limit", DefaultHistoryEventsLimit, cfg.PageEvents)
	if e != nil {
		return nil, e
	}
	msgsLimit, e := s.historyLimit(q, "msgs_limit", DefaultHistoryMsgsLimit, cfg.PageMsgs)
	if e != nil {
		return nil, e
	}
	lpVersion := defaultUserLongPollVersion
	if v, _ := q.Get("lp_version"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 10 {
			lpVersion = n
		}
	}
	now := s.now()
	u := &s.ulp
	u.mu.Lock()
	us := u.userLocked(tok.UserID, now, true)
	all := us.hist.All()
	// ptsBefore(i) is the user's pts before the i-th kept update.
	first := us.pts
	if len(all) > 0 {
		first = all[0].pts
		if all[0].kept {
			first--
		}
	}
	start := 0
	switch {
	case byPTS && pts < first, !byPTS && ts < us.oldest():
		u.mu.Unlock()
		return nil, &vkerr.Error{Code: vkerr.MessagesTooOldPts, Message: s.message(vkerr.MessagesTooOldPts)}
	case byPTS && pts > us.pts, !byPTS && ts > us.seq:
		u.mu.Unlock()
		return nil, &vkerr.Error{Code: vkerr.MessagesTooNewPts, Message: s.message(vkerr.MessagesTooNewPts)}
	case byPTS:
		start, _ = slices.BinarySearchFunc(all, pts+1, func(up ulpUpdate, want int64) int { return compareInt(up.pts, want) })
		pg := historyPage{fromPTS: pts}
		s.fillHistoryLocked(&pg, all[start:], lpVersion, eventsLimit, msgsLimit, us.pts)
		s.credentialsLocked(q, &pg, tok, us, now)
		u.mu.Unlock()
		return s.historyBody(q, pg, tok), nil
	default:
		start = int(ts - us.oldest())
	}
	pg := historyPage{fromPTS: first}
	if start < len(all) {
		pg.fromPTS = all[start].pts
		if all[start].kept {
			pg.fromPTS--
		}
	} else {
		pg.fromPTS = us.pts
	}
	s.fillHistoryLocked(&pg, all[start:], lpVersion, eventsLimit, msgsLimit, us.pts)
	s.credentialsLocked(q, &pg, tok, us, now)
	u.mu.Unlock()
	return s.historyBody(q, pg, tok), nil
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// fillHistoryLocked takes from ups the kept updates of one page: up to
// eventsLimit events and msgsLimit distinct messages.
func (s *Server) fillHistoryLocked(pg *historyPage, ups []ulpUpdate, lpVersion, eventsLimit, msgsLimit int, userPTS int64) {
	pg.newPTS = pg.fromPTS
	seen := map[int64]bool{}
	users, groups := map[int64]bool{}, map[int64]bool{}
	for _, up := range ups {
		if !up.kept {
			continue
		}
		if len(pg.events) == eventsLimit || (up.msgID != 0 && !seen[up.msgID] && len(pg.items) == msgsLimit) {
			pg.more = true
			break
		}
		pg.events = append(pg.events, up.shape(lpVersion, allModes))
		pg.newPTS = up.pts
		if up.msg != nil && !seen[up.msgID] {
			seen[up.msgID] = true
			pg.items = append(pg.items, up.msg)
			for _, id := range up.parties {
				switch {
				case isUserPeer(id):
					users[id] = true
				case id < 0 && -id <= MaxGroupID:
					groups[-id] = true
				}
			}
		}
	}
	if !pg.more {
		pg.newPTS = userPTS
	}
	pg.users = slices.Sorted(func(yield func(int64) bool) {
		for id := range users {
			if !yield(id) {
				return
			}
		}
	})
	for id := range groups {
		pg.groups = append(pg.groups, id)
	}
	slices.Sort(pg.groups)
}

// allModes is every a_check mode bit: a history has each field.
const allModes = 2 | 8 | 32 | 64 | 128

// historyDefaultFields are the schema's default fields of
// getLongPollHistory that the mock's users have.
const historyDefaultFields = "photo_100,sex,online,screen_name"

// historyBody is the answer of a page, with the credentials when asked
// (a new key, as messages.getLongPollServer's).
func (s *Server) historyBody(q *vkRequest, pg historyPage, tok Token) []byte {
	b := append(make([]byte, 0, 256), `{"history":[`...)
	for i, ev := range pg.events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, ev...)
	}
	b = append(b, `],"messages":{"count":`...)
	b = strconv.AppendInt(b, int64(len(pg.items)), 10)
	b = append(b, `,"items":[`...)
	for i, it := range pg.items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	b = append(b, `]},"profiles":[`...)
	fq := q
	if f, _ := q.Get("fields"); f == "" {
		fq = &vkRequest{Params: []kv{{Key: "fields", Value: historyDefaultFields}}}
	}
	mask := userFieldMask(fq)
	for i, id := range pg.users {
		if i > 0 {
			b = append(b, ',')
		}
		usr, _ := s.user(id)
		b = appendUser(b, usr, mask, id == tok.UserID)
	}
	b = append(b, `],"groups":[`...)
	gf := fieldSet(fq)
	for i, id := range pg.groups {
		if i > 0 {
			b = append(b, ',')
		}
		g, _ := s.group(id)
		b = appendGroup(b, g, gf, tok.UserID)
	}
	b = append(b, `],"from_pts":`...)
	b = strconv.AppendInt(b, pg.fromPTS, 10)
	b = append(b, `,"new_pts":`...)
	b = strconv.AppendInt(b, pg.newPTS, 10)
	if pg.more {
		b = append(b, `,"more":1`...)
	}
	if pg.credKey != "" {
		cred, _ := json.Marshal(map[string]any{"key": pg.credKey, "server": pg.credSrv, "ts": pg.credTS, "pts": pg.credPTS})
		b = append(b, `,"credentials":`...)
		b = append(b, cred...)
	}
	return append(b, '}')
}

// credentialsLocked adds to the last page, when asked, a new key, server
// and ts as messages.getLongPollServer answers them: taken with the page,
// so no update falls between the two.
func (s *Server) credentialsLocked(q *vkRequest, pg *historyPage, tok Token, us *ulpUser, now time.Time) {
	if pg.more || !q.Flag("credentials") {
		return
	}
	pg.credKey = s.ulp.issueKeyLocked(tok.UserID, us, s.seed, now)
	host := strings.TrimPrefix(strings.TrimPrefix(q.Base(), "https://"), "http://")
	pg.credSrv = host + "/im/u" + strconv.FormatInt(tok.UserID, 10)
	pg.credTS, pg.credPTS = us.seq, us.pts
}
