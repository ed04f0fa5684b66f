package longpoll

import (
	"context"
	"hash/maphash"
	"strconv"
	"sync"

	"github.com/vkerr/vkerr/vkevent"
)

// window remembers the last n event_ids.
type window struct {
	seen map[string]struct{}
	ring []string
	next int
}

func newWindow(n int) *window {
	return &window{seen: make(map[string]struct{}, n), ring: make([]string, n)}
}

func (w *window) has(id string) bool {
	_, ok := w.seen[id]
	return ok
}

func (w *window) add(id string) {
	if old := w.ring[w.next]; old != "" {
		delete(w.seen, old)
	}
	w.ring[w.next] = id
	w.seen[id] = struct{}{}
	w.next = (w.next + 1) % len(w.ring)
}

// dispatcher hands events to the handler, in order, on one goroutine or
// on workers keyed by peer.
type dispatcher struct {
	p       *Poller
	workers []chan job
	wg      sync.WaitGroup // the workers
	seed    maphash.Seed
}

type job struct {
	e    *vkevent.Event
	done *sync.WaitGroup
}

func newDispatcher(ctx context.Context, p *Poller) *dispatcher {
	d := &dispatcher{p: p, seed: maphash.MakeSeed()}
	if n := p.cfg.Concurrency; n > 1 {
		d.workers = make([]chan job, n)
		for i := range d.workers {
			ch := make(chan job, 64)
			d.workers[i] = ch
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				for j := range ch {
					p.handle(ctx, j.e)
					j.done.Done()
				}
			}()
		}
	}
	return d
}

// stop ends the workers.
func (d *dispatcher) stop() {
	for _, ch := range d.workers {
		close(ch)
	}
	d.wg.Wait()
}

// peerKey is what orders events: the peer of message events, else the
// event type (events without a peer keep their order among their type).
func peerKey(e *vkevent.Event) string {
	if f, ok := e.MessageFields(); ok {
		return strconv.FormatInt(f.PeerID, 10)
	}
	return string(e.Type)
}

// deliver handles the events of one answer and returns when all were
// handled (true) or ctx ended before (false).
func (d *dispatcher) deliver(ctx context.Context, events []vkevent.Event) bool {
	p := d.p
	var batch sync.WaitGroup
	complete := true
	for i := range events {
		e := &events[i]
		if ctx.Err() != nil {
			complete = false
			break
		}
		if p.dedup != nil && e.EventID != "" {
			if p.dedup.has(e.EventID) {
				p.log.Debug("longpoll: skipping a repeated event", "event_id", e.EventID)
				continue
			}
			p.dedup.add(e.EventID)
		}
		if d.workers == nil {
			p.handle(ctx, e)
			continue
		}
		batch.Add(1)
		w := maphash.String(d.seed, peerKey(e)) % uint64(len(d.workers))
		select {
		case d.workers[w] <- job{e, &batch}:
		case <-ctx.Done():
			batch.Done()
			complete = false
		}
	}
	batch.Wait()
	return complete
}

// handle runs the handler on one event; an error or a panic is reported.
func (p *Poller) handle(ctx context.Context, e *vkevent.Event) {
	if p.cfg.Handler == nil {
		return
	}
	err := func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = &HandlerPanic{Value: v}
			}
		}()
		return p.cfg.Handler.HandleEvent(ctx, e)
	}()
	if err == nil {
		return
	}
	he := HandlerEvent{EventID: e.EventID, Type: string(e.Type), Err: err}
	p.log.Error("longpoll: handler failed", "group_id", p.group, "event_id", e.EventID, "type", string(e.Type), "err", err)
	p.obs.ObserveHandler(ctx, he)
	if p.cfg.OnError != nil {
		p.cfg.OnError(he)
	}
}
