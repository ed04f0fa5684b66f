package userlp

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// messages.getLongPollHistory as VK serves it: the events a client
// missed after its pts (or ts), at most events_limit of them and the
// messages they refer to at most msgs_limit, more=1 while more remain,
// new_pts the pts after the last event returned; only the events VK keeps
// in history (not typing, not presence: Transient), with the profiles
// and groups of the messages. The limits' minimums (and defaults) are the
// schema's; Config can make the pages shorter, for tests.

// historyDefaultFields are the schema's default fields of
// getLongPollHistory that the mock's users have.
const historyDefaultFields = "photo_100,sex,online,screen_name"

// historyLimit reads events_limit or msgs_limit: absent is the default,
// below it an error, past maxHistoryLimit lowered to that, and page
// (when set) bounds it.
func (r *Room) historyLimit(q *core.Request, name string, def, page int) (int, *vkerr.Error) {
	n := def
	if v, _ := q.Get(name); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < def {
			return 0, r.d.Msgs.Param(name + " should be greater or equal to " + strconv.Itoa(def))
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

func (r *Room) getLongPollHistory(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	if tok.Kind != vkerr.KindUser {
		return nil, r.d.Msgs.With(vkerr.Method, "messages.getLongPollHistory needs a user token")
	}
	tsV, _ := q.Get("ts")
	ptsV, _ := q.Get("pts")
	ts, errTS := strconv.ParseInt(tsV, 10, 64)
	pts, errPTS := strconv.ParseInt(ptsV, 10, 64)
	byPTS := ptsV != "" && errPTS == nil && pts >= 0
	if !byPTS && (tsV == "" || errTS != nil || ts < 0) {
		return nil, r.d.Msgs.Param("ts or pts is required")
	}
	cfg := r.Config()
	eventsLimit, e := r.historyLimit(q, "events_limit", DefaultHistoryEvents, cfg.PageEvents)
	if e != nil {
		return nil, e
	}
	msgsLimit, e := r.historyLimit(q, "msgs_limit", DefaultHistoryMsgs, cfg.PageMsgs)
	if e != nil {
		return nil, e
	}
	lpVersion := DefaultVersion
	if v, _ := q.Get("lp_version"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 10 {
			lpVersion = n
		}
	}
	now := r.d.Clock.Now()
	r.mu.Lock()
	us := r.userLocked(tok.UserID, now, true)
	all := us.hist.All()
	// first is the user's pts before the first kept update.
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
		r.mu.Unlock()
		return nil, &vkerr.Error{Code: vkerr.MessagesTooOldPts, Message: r.d.Msgs.Of(vkerr.MessagesTooOldPts)}
	case byPTS && pts > us.pts, !byPTS && ts > us.seq:
		r.mu.Unlock()
		return nil, &vkerr.Error{Code: vkerr.MessagesTooNewPts, Message: r.d.Msgs.Of(vkerr.MessagesTooNewPts)}
	case byPTS:
		start, _ = slices.BinarySearchFunc(all, pts+1, func(up update, want int64) int { return cmp.Compare(up.pts, want) })
		pg := historyPage{fromPTS: pts}
		r.fillHistoryLocked(&pg, all[start:], lpVersion, eventsLimit, msgsLimit, us.pts)
		r.credentialsLocked(q, &pg, tok, us, now)
		r.mu.Unlock()
		return r.historyBody(q, pg, tok), nil
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
	r.fillHistoryLocked(&pg, all[start:], lpVersion, eventsLimit, msgsLimit, us.pts)
	r.credentialsLocked(q, &pg, tok, us, now)
	r.mu.Unlock()
	return r.historyBody(q, pg, tok), nil
}

// fillHistoryLocked takes from ups the kept updates of one page: up to
// eventsLimit events and msgsLimit distinct messages.
func (r *Room) fillHistoryLocked(pg *historyPage, ups []update, lpVersion, eventsLimit, msgsLimit int, userPTS int64) {
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
		pg.events = append(pg.events, up.shape(lpVersion, AllModes))
		pg.newPTS = up.pts
		if up.msg != nil && !seen[up.msgID] {
			seen[up.msgID] = true
			pg.items = append(pg.items, up.msg)
			for _, id := range up.parties {
				switch {
				case id > 0 && id <= r.d.MaxUserID:
					users[id] = true
				case id < 0 && -id <= r.d.MaxGroupID:
					groups[-id] = true
				}
			}
		}
	}
	if !pg.more {
		pg.newPTS = userPTS
	}
	for id := range users {
		pg.users = append(pg.users, id)
	}
	slices.Sort(pg.users)
	for id := range groups {
		pg.groups = append(pg.groups, id)
	}
	slices.Sort(pg.groups)
}

// historyBody is the answer of a page, with the credentials when asked
// (a new key, as messages.getLongPollServer's).
func (r *Room) historyBody(q *core.Request, pg historyPage, tok core.Token) []byte {
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
		fq = &core.Request{Params: []core.KV{{Key: "fields", Value: historyDefaultFields}}}
	}
	b = r.d.World.AppendUsers(b, pg.users, fq, tok.UserID)
	b = append(b, `],"groups":[`...)
	b = r.d.World.AppendGroups(b, pg.groups, fq, tok.UserID)
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
func (r *Room) credentialsLocked(q *core.Request, pg *historyPage, tok core.Token, us *user, now time.Time) {
	if pg.more || !q.Flag("credentials") {
		return
	}
	pg.credKey = r.issueKeyLocked(tok.UserID, us, now)
	pg.credSrv = serverOf(q, tok.UserID)
	pg.credTS, pg.credPTS = us.seq, us.pts
}
