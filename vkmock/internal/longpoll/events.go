package longpoll

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/vkerr/vkerr/vkevent"
)

// The event history: Emit appends a community's event (and tells
// Deps.Emitted), bounded per community and in total.

// maxInjectedObject bounds the object of an injected event.
const maxInjectedObject = 64 << 10

// eventID derives a 40-hex event_id from the seed, the community and the ts.
func (r *Room) eventID(group, ts int64) string {
	var b [24]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(r.d.Seed))
	binary.LittleEndian.PutUint64(b[8:16], uint64(group))
	binary.LittleEndian.PutUint64(b[16:], uint64(ts))
	sum := sha1.Sum(b[:])
	return hex.EncodeToString(sum[:])
}

// Emit records an event of a community and wakes its waiting a_check
// requests. object is the event's object in the 5.103+ shape; Emit does
// not validate it (Inject does). It fails past the bound on communities.
func (r *Room) Emit(groupID int64, typ vkevent.Type, object []byte) (Emitted, error) {
	var legacy []byte
	if typ == vkevent.TypeMessageNew {
		legacy = LegacyMessage(object)
	}
	now := r.d.Clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.groupLocked(groupID)
	if g == nil {
		return Emitted{}, ErrTooManyCommunities
	}
	g.seq++
	ev := event{ts: g.seq, typ: typ, eventID: r.eventID(groupID, g.seq), object: object, legacy: legacy}
	ev.logIdx = r.logBase + int64(len(r.log))
	rec := Emitted{GroupID: groupID, TS: ev.ts, EventID: ev.eventID, Type: typ, Time: now}
	r.log = append(r.log, rec)
	if len(r.log) > r.logSize {
		drop := len(r.log) - r.logSize + r.logSize/10
		r.log = append(r.log[:0:0], r.log[drop:]...)
		r.logBase += int64(drop)
	}
	r.appendLocked(g, ev)
	g.wake()
	if r.d.Emitted != nil {
		r.d.Emitted(groupID, typ, ev.eventID, object, legacy)
	}
	return rec, nil
}

// Inject validates an event against the schema (a known type other than
// confirmation, an object with the fields the schema requires, at most
// 64 KiB) and emits it, its object compacted; an absent object is {}.
func (r *Room) Inject(groupID int64, typ vkevent.Type, object json.RawMessage) (Emitted, error) {
	ev := vkevent.Event{Type: typ, GroupID: groupID, Object: object}
	if err := ev.Validate(); err != nil {
		return Emitted{}, err
	}
	if groupID > r.d.MaxGroupID {
		return Emitted{}, errors.New("vkmock: group_id is out of range")
	}
	if typ == vkevent.TypeConfirmation {
		return Emitted{}, errors.New("vkmock: confirmation is not an event of the world")
	}
	if len(object) > maxInjectedObject {
		return Emitted{}, errors.New("vkmock: an injected object is at most 64 KiB")
	}
	if len(object) == 0 {
		object = json.RawMessage("{}")
	}
	compact, err := compactJSON(object)
	if err != nil {
		return Emitted{}, err
	}
	return r.Emit(groupID, typ, compact)
}

func compactJSON(b []byte) ([]byte, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// skipLocked advances a community's ts past a lost slot that carries no
// event (a forced failed 1) and returns the new ts.
func (r *Room) skipLocked(g *group) int64 {
	g.seq++
	r.appendLocked(g, event{ts: g.seq, lost: true, logIdx: -1})
	return g.seq
}

// appendLocked keeps ev, the community's newest event, within the
// history's bounds per community and in total.
func (r *Room) appendLocked(g *group, ev event) {
	g.hist = append(g.hist, ev)
	g.histBytes += ev.size()
	r.bytes += ev.size()
	for len(g.hist)-g.head > r.cfg.HistoryEvents || (g.histBytes > r.cfg.HistoryBytes && len(g.hist)-g.head > 1) {
		r.dropOldestLocked(g)
	}
	for r.bytes > r.cfg.TotalBytes {
		big := g
		for _, o := range r.groups {
			if o.histBytes > big.histBytes {
				big = o
			}
		}
		n := (len(big.hist) - big.head + 1) / 2
		if big == g && len(g.hist)-g.head <= 1 {
			break
		}
		for range n {
			r.dropOldestLocked(big)
		}
	}
}

// dropOldestLocked forgets the oldest kept event of a community.
func (r *Room) dropOldestLocked(g *group) {
	if g.head == len(g.hist) {
		return
	}
	sz := g.hist[g.head].size()
	g.histBytes -= sz
	r.bytes -= sz
	g.hist[g.head] = event{}
	g.head++
	if g.head > 1024 && g.head > len(g.hist)/2 {
		g.hist = append(g.hist[:0:0], g.hist[g.head:]...)
		g.head = 0
	}
}

// loseLocked marks the kept events with from < ts <= to lost.
func (r *Room) loseLocked(g *group, from, to int64) {
	if len(g.hist) == g.head {
		return
	}
	oldest := g.hist[g.head].ts
	for ts := max(from+1, oldest); ts <= to; ts++ {
		e := &g.hist[g.head+int(ts-oldest)]
		if e.lost {
			continue
		}
		e.lost = true
		if i := e.logIdx - r.logBase; i >= 0 && i < int64(len(r.log)) {
			r.log[i].Lost = true
		}
	}
}

// Object returns the object of a community's kept event with ts (the
// 5.103+ shape), false when it is not kept (or the slot of a forced
// failed 1, which has none).
func (r *Room) Object(groupID, ts int64) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.groups[groupID]
	if g == nil || g.head == len(g.hist) || ts < g.hist[g.head].ts || ts > g.seq {
		return nil, false
	}
	e := g.hist[g.head+int(ts-g.hist[g.head].ts)]
	return e.object, e.object != nil
}
