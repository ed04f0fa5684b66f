package streaming

import (
	"context"
	"errors"
	"time"
)

// rateGen makes events at a steady rate until stopped.
type rateGen struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (g *rateGen) stop() {
	g.cancel()
	<-g.done
}

// rateTick is how often the generator catches up with its rate.
const rateTick = 10 * time.Millisecond

// SetRate makes events of s at perSecond events a second (0 stops), each
// with its own post id; the events go through Emit as injected ones do.
func (h *Hub) SetRate(perSecond float64, s Spec) error {
	if !(perSecond >= 0 && perSecond <= MaxRate) {
		return errors.New("per_second must be between 0 and 100000")
	}
	if !validEventType(s.EventType) {
		return errors.New("event_type must be post, comment or share")
	}
	h.mu.Lock()
	old := h.rate
	h.rate = nil
	h.mu.Unlock()
	if old != nil {
		old.stop()
	}
	if perSecond == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &rateGen{cancel: cancel, done: make(chan struct{})}
	h.mu.Lock()
	if h.closed || h.draining || h.rate != nil {
		h.mu.Unlock()
		cancel()
		return errors.New("the mock is closed, or another rate was set meanwhile")
	}
	h.rate = g
	h.wg.Add(1)
	h.mu.Unlock()
	go func() {
		defer h.wg.Done()
		defer close(g.done)
		start := time.Now()
		var made int64
		t := time.NewTicker(rateTick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			due := int64(time.Since(start).Seconds() * perSecond)
			for ; made < due && ctx.Err() == nil; made++ {
				spec := s
				spec.PostID = 0
				_, _ = h.Emit(ctx, spec)
			}
		}
	}()
	return nil
}
