package userlp

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The a_check of User Long Poll: it holds until an update, the wait's
// end or the mock's clock moving, and answers the updates in the shapes
// of its version and mode, or {"failed":1|2|3|4}.

// Check answers GET /im/u<user>?act=a_check&key&ts&wait&mode&version at
// path; forced is the failure a fault rule asks for (0: none). It
// returns nil when ctx ends first.
func (r *Room) Check(ctx context.Context, path string, q url.Values, forced int) []byte {
	version := DefaultVersion
	if v := q.Get("version"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || !served(n) {
			forced = 4
		} else {
			version = n
		}
	}
	wait := core.Wait(q.Get("wait"))
	mode, _ := strconv.Atoi(q.Get("mode"))
	return r.check(ctx, strings.TrimPrefix(path, "/im/u"), q.Get("key"), q.Get("ts"), wait, version, mode, forced)
}

func (r *Room) check(ctx context.Context, server, k, tsParam string, wait, version, mode, forced int) []byte {
	switch forced {
	case 4:
		return failed4()
	case 3:
		return []byte(`{"failed":3}`)
	}
	deadline := r.d.Clock.Now().Add(time.Duration(wait) * time.Second)
	for {
		now := r.d.Clock.Now()
		r.mu.Lock()
		kk, ok := r.keys[k]
		if !ok || strconv.FormatInt(kk.user, 10) != server || now.Sub(kk.issued) > r.lim.KeyLifetime || forced == 2 {
			if ok && forced == 2 {
				delete(r.keys, k)
			}
			r.mu.Unlock()
			return failed2(ok && forced != 2, now.Sub(kk.issued)-r.lim.KeyLifetime)
		}
		us := r.userLocked(kk.user, now, false)
		if us == nil { // not so: forgetting a user retires its keys
			r.mu.Unlock()
			return failed2(false, 0)
		}
		us.last = now // a user who polls is not idle
		ts, err := strconv.ParseInt(tsParam, 10, 64)
		oldest, window := us.oldest(), int64(r.cfg.TSWindow)
		// forced 1, as VK's failed 1, carries the current ts.
		if seq := us.seq; err != nil || ts < oldest || ts < seq-window || ts > seq+window || forced == 1 {
			r.mu.Unlock()
			return []byte(`{"failed":1,"ts":` + strconv.FormatInt(seq, 10) + `}`)
		}
		if ts < us.seq || !now.Before(deadline) {
			body := r.answerLocked(us, ts, oldest, version, mode)
			r.mu.Unlock()
			return body
		}
		notify := us.notify
		r.mu.Unlock()
		clockCh := r.d.Clock.Moved()
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

// answerLocked is the answer with the updates after ts (none for a ts
// ahead within the window), at most MaxUpdates of them.
func (r *Room) answerLocked(us *user, ts, oldest int64, version, mode int) []byte {
	var ups []update
	if ts < us.seq {
		ups = us.hist.All()[ts-oldest:]
	}
	if len(ups) > r.lim.MaxUpdates {
		ups = ups[:r.lim.MaxUpdates]
	}
	next := ts + int64(len(ups))
	b := []byte(`{"ts":`)
	b = strconv.AppendInt(b, next, 10)
	if mode&ModePTS != 0 {
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
	return append(b, "]}"...)
}

// failed2 is VK's {"failed":2} with its error text: an expired key
// says how long ago it expired (wire-examples/34); a key the mock does not
// know (or a forced failed 2) gets the mock's own text.
func failed2(expired bool, ago time.Duration) []byte {
	if expired {
		return []byte(`{"failed":2,"error":"Key validation failed: Key is expired ` + strconv.FormatInt(int64(ago/time.Second), 10) + ` seconds ago"}`)
	}
	return []byte(`{"failed":2,"error":"Key validation failed: Key is invalid"}`)
}
