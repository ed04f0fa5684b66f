package vkmock

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"

	"github.com/vkerr/vkerr/vkevent"
)

// The event history: emit appends a community's event (and hands it to
// the Callback sender), bounded per community and in total.

// eventID derives a 40-hex event_id from the seed, the community and the ts.
func (s *Server) eventID(group, ts int64) string {
	var b [24]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(s.seed))
	binary.LittleEndian.PutUint64(b[8:16], uint64(group))
	binary.LittleEndian.PutUint64(b[16:], uint64(ts))
	sum := sha1.Sum(b[:])
	return hex.EncodeToString(sum[:])
}

// Emit records an event of a community and wakes its Long Poll waiters.
// object is the event's object in the 5.103+ shape; Emit does not
// validate it (LongPoll().Inject does).
func (s *Server) emit(groupID int64, typ vkevent.Type, object []byte) (EmittedEvent, error) {
	var legacy []byte
	if typ == vkevent.TypeMessageNew {
		legacy = legacyMessage(object)
	}
	now := s.now()
	l := &s.lp
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.groupLocked(groupID)
	if g == nil {
		return EmittedEvent{}, errTooManyCommunities
	}
	g.seq++
	ev := lpEvent{ts: g.seq, typ: typ, eventID: s.eventID(groupID, g.seq), object: object, legacy: legacy}
	ev.logIdx = l.logBase + int64(len(l.log))
	rec := EmittedEvent{GroupID: groupID, TS: ev.ts, EventID: ev.eventID, Type: typ, Time: now}
	l.log = append(l.log, rec)
	if len(l.log) > l.logSize {
		drop := len(l.log) - l.logSize + l.logSize/10
		l.log = append(l.log[:0:0], l.log[drop:]...)
		l.logBase += int64(drop)
	}
	l.appendLocked(g, ev)
	close(g.notify)
	g.notify = make(chan struct{})
	s.callbackEmit(groupID, typ, ev.eventID, object, legacy)
	return rec, nil
}

// skipLocked advances a community's ts past a lost slot that carries no
// event (a forced failed 1) and returns the new ts.
func (l *lpState) skipLocked(g *lpGroup) int64 {
	g.seq++
	l.appendLocked(g, lpEvent{ts: g.seq, lost: true, logIdx: -1})
	return g.seq
}

// appendLocked keeps ev, the community's newest event, within the
// history's bounds per community and in total.
func (l *lpState) appendLocked(g *lpGroup, ev lpEvent) {
	g.hist = append(g.hist, ev)
	g.histBytes += ev.size()
	l.bytes += ev.size()
	for len(g.hist)-g.head > l.cfg.HistoryEvents || (g.histBytes > l.cfg.HistoryBytes && len(g.hist)-g.head > 1) {
		l.dropOldestLocked(g)
	}
	for l.bytes > l.cfg.TotalBytes {
		big := g
		for _, o := range l.groups {
			if o.histBytes > big.histBytes {
				big = o
			}
		}
		n := (len(big.hist) - big.head + 1) / 2
		if big == g && len(g.hist)-g.head <= 1 {
			break
		}
		for range n {
			l.dropOldestLocked(big)
		}
	}
}

// dropOldestLocked forgets the oldest kept event of a community.
func (l *lpState) dropOldestLocked(g *lpGroup) {
	if g.head == len(g.hist) {
		return
	}
	sz := g.hist[g.head].size()
	g.histBytes -= sz
	l.bytes -= sz
	g.hist[g.head] = lpEvent{}
	g.head++
	if g.head > 1024 && g.head > len(g.hist)/2 {
		g.hist = append(g.hist[:0:0], g.hist[g.head:]...)
		g.head = 0
	}
}

// loseLocked marks the kept events with from < ts <= to lost.
func (l *lpState) loseLocked(g *lpGroup, from, to int64) {
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
		if i := e.logIdx - l.logBase; i >= 0 && i < int64(len(l.log)) {
			l.log[i].Lost = true
		}
	}
}
