package longpoll

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The Long Poll server: a_check holds until an event, the wait's end or
// the mock's clock moving, and answers the updates or {"failed":N}.

// NewKey issues a key for the community and returns it with the ts to
// start from, ending a pending loss.
func (r *Room) NewKey(groupID int64) (k string, ts int64, err error) {
	now := r.d.Clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.groupLocked(groupID)
	if g == nil {
		return "", 0, ErrTooManyCommunities
	}
	if g.lossFrom >= 0 {
		r.loseLocked(g, g.lossFrom, g.seq)
		g.lossFrom = -1
	}
	r.keySeq++
	var b [24]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(r.d.Seed))
	binary.LittleEndian.PutUint64(b[8:16], uint64(groupID))
	binary.LittleEndian.PutUint64(b[16:], r.keySeq)
	sum := sha1.Sum(append(b[:], "lpkey"...))
	k = hex.EncodeToString(sum[:])
	r.keys[k] = key{group: groupID, issued: now}
	g.keys = append(g.keys, k)
	if len(g.keys) > maxKeysPerGroup {
		delete(r.keys, g.keys[0])
		g.keys = append(g.keys[:0:0], g.keys[1:]...)
	}
	return k, g.seq, nil
}

// FailedBody is {"failed":n}.
func FailedBody(n int) []byte { return []byte(`{"failed":` + strconv.Itoa(n) + `}`) }

// Failed1 is {"failed":1,"ts":ts}.
func Failed1(ts int64) []byte {
	return []byte(`{"failed":1,"ts":` + strconv.FormatInt(ts, 10) + `}`)
}

// Check answers an a_check of the server (the community id in the URL)
// with key and ts, waiting up to wait seconds of the mock's clock; forced
// is the failure a fault rule asks for (0: none). It returns nil when ctx
// ends first.
func (r *Room) Check(ctx context.Context, server, k, tsParam string, wait, forced int) []byte {
	deadline := r.d.Clock.Now().Add(time.Duration(wait) * time.Second)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	T, tsErr := strconv.ParseInt(tsParam, 10, 64)
	for {
		now := r.d.Clock.Now()
		r.mu.Lock()
		kk, ok := r.keys[k]
		if !ok || strconv.FormatInt(kk.group, 10) != server || now.Sub(kk.issued) >= r.cfg.KeyLifetime {
			if ok {
				r.dropKeyLocked(k)
			}
			r.mu.Unlock()
			return FailedBody(2)
		}
		g := r.groups[kk.group]
		switch forced {
		case 2:
			r.dropKeyLocked(k)
			r.mu.Unlock()
			return FailedBody(2)
		case 1:
			// VK's failed 1 carries a ts newer than the client's
			// (wire example 15): the history was partly lost. The mock
			// skips one ts and loses the events the client had not read.
			if tsErr != nil {
				T = 0
			}
			next := r.skipLocked(g)
			r.loseLocked(g, T, next)
			r.mu.Unlock()
			return Failed1(next)
		case 3:
			g.loseArmed = true
		case 0:
		default:
			r.mu.Unlock()
			return FailedBody(forced)
		}
		if g.loseArmed && tsErr == nil {
			g.loseArmed = false
			if g.lossFrom < 0 || T < g.lossFrom {
				g.lossFrom = T
			}
			r.loseLocked(g, T, g.seq)
			r.dropKeyLocked(k)
			r.mu.Unlock()
			return FailedBody(3)
		}
		oldest := g.seq + 1
		if len(g.hist) > g.head {
			oldest = g.hist[g.head].ts
		}
		if tsErr != nil || T < oldest-1 || T > g.seq {
			seq := g.seq
			r.mu.Unlock()
			return Failed1(seq)
		}
		if T < g.seq {
			body, newT := r.updatesLocked(g, T)
			if body != nil {
				r.mu.Unlock()
				return body
			}
			T = newT // only events the settings filter out: wait on
		}
		notify, clockCh := g.notify, r.d.Clock.Moved()
		r.mu.Unlock()
		left := deadline.Sub(now)
		if left <= 0 {
			return []byte(`{"ts":"` + strconv.FormatInt(T, 10) + `","updates":[]}`)
		}
		if timer == nil {
			timer = time.NewTimer(left)
		} else {
			timer.Reset(left)
		}
		r.waiting.Add(1)
		select {
		case <-ctx.Done():
			r.waiting.Add(-1)
			return nil
		case <-notify:
		case <-clockCh:
		case <-timer.C:
		}
		r.waiting.Add(-1)
	}
}

func (r *Room) dropKeyLocked(k string) {
	kk, ok := r.keys[k]
	if !ok {
		return
	}
	delete(r.keys, k)
	if g := r.groups[kk.group]; g != nil {
		for i, x := range g.keys {
			if x == k {
				g.keys = append(g.keys[:i:i], g.keys[i+1:]...)
				break
			}
		}
	}
}

// updatesLocked builds the answer for the events after T, up to
// MaxUpdates of them; nil and the new T when every event after T is lost
// or filtered out by the settings.
func (r *Room) updatesLocked(g *group, T int64) ([]byte, int64) {
	oldest := g.hist[g.head].ts
	version := g.settings.APIVersion
	legacy := core.VersionLess(version, LegacyMessageVersion)
	b := make([]byte, 0, 512)
	b = append(b, `{"ts":"`...)
	tsAt := len(b)
	b = append(b, `","updates":[`...)
	n := 0
	last := T
	for ts := T + 1; ts <= g.seq && n < r.cfg.MaxUpdates; ts++ {
		e := &g.hist[g.head+int(ts-oldest)]
		last = ts
		if e.lost || !g.settings.Events[string(e.typ)] {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		obj := e.object
		if legacy && e.legacy != nil {
			obj = e.legacy
		}
		b = append(b, `{"group_id":`...)
		b = strconv.AppendInt(b, g.id, 10)
		b = append(b, `,"type":`...)
		b = strconv.AppendQuote(b, string(e.typ))
		b = append(b, `,"event_id":"`...)
		b = append(b, e.eventID...)
		b = append(b, `","v":`...)
		b = strconv.AppendQuote(b, version)
		b = append(b, `,"object":`...)
		b = append(b, obj...)
		b = append(b, '}')
	}
	if n == 0 {
		return nil, last
	}
	b = append(b, "]}"...)
	tsStr := strconv.FormatInt(last, 10)
	out := make([]byte, 0, len(b)+len(tsStr))
	out = append(append(append(out, b[:tsAt]...), tsStr...), b[tsAt:]...)
	return out, last
}
