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
	ids  map[string]struct{}
	ring []string
	next int
}

func newWindow(n int) *window {
	return &window{ids: make(map[string]struct{}, n), ring: make([]string, n)}
}

// seen reports whether id is among the last n event_ids, and adds it when
// it is not (one map write: a new key grows the map, a known one does not).
func (w *window) seen(id string) bool {
	n := len(w.ids)
	w.ids[id] = struct{}{}
	if len(w.ids) == n {
		return true
	}
	if old := w.ring[w.next]; old != "" {
		delete(w.ids, old)
	}
	w.ring[w.next] = id
	w.next = (w.next + 1) % len(w.ring)
	return false
}

// dispatcher hands events to the handler, in order, on one goroutine or
// on workers keyed by peer.
type dispatcher struct {
	p       *Poller
	workers []chan job
	wg      sync.WaitGroup // the workers
	seed    maphash.Seed
	handle  context.Context // the handlers' context: Close lets them finish
}

// job is one event for a worker, which sends key to done once the handler
// has returned, or "" when ctx ended before the handler ran.
type job struct {
	e    *vkevent.Event
	key  string
	done chan<- string
}

// newDispatcher starts the workers: they skip the events they get once
// accept has ended, and run the handler with handle.
func newDispatcher(accept, handle context.Context, p *Poller) *dispatcher {
	d := &dispatcher{p: p, seed: maphash.MakeSeed(), handle: handle}
	if n := p.cfg.Concurrency; n > 1 {
		d.workers = make([]chan job, n)
		for i := range d.workers {
			ch := make(chan job, 64)
			d.workers[i] = ch
			d.wg.Add(1)
			go func() {
				defer d.wg.Done()
				for j := range ch {
					if accept.Err() != nil {
						j.done <- "" // not handled: a resumed poller delivers it
						continue
					}
					if !p.handle(handle, j.e) {
						j.done <- "" // cut short by a shutdown: a resumed poller delivers it
						continue
					}
					j.done <- j.key // buffered for every event of the answer: never blocks
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

// eventKey names the i-th event of an answer in Position.Handled: its
// event_id, or its place in the answer when it has none.
func eventKey(e *vkevent.Event, i int) string {
	if e.EventID != "" {
		return e.EventID
	}
	return "#" + strconv.Itoa(i)
}

// deliver handles the events of the answer at p.ts and returns when all
// were handled (true) or ctx ended before (false). Events the position
// already counts as handled (by an earlier run of this community's poller)
// are skipped. After each handler returns, the event is added to the
// position and the position saved, on this goroutine, even when ctx has
// ended meanwhile: an event whose handler returned is not delivered again
// by a poller resuming from the store.
func (d *dispatcher) deliver(ctx context.Context, events []vkevent.Event) bool {
	p := d.p
	saveCtx := context.WithoutCancel(ctx) // the store bounds its own calls
	complete := true
	var results chan string // keys of the events the workers handled
	pending := 0            // events sent to a worker and not yet in results
	if d.workers != nil {
		results = make(chan string, len(events))
	}
	// collect records k and whatever else the workers finished, then
	// saves once.
	collect := func(k string) {
		var keys []string
		for more := true; more; {
			if k != "" {
				keys = append(keys, k)
			} else {
				complete = false // a worker skipped it: the answer is not done
			}
			select {
			case k = <-results:
				pending--
			default:
				more = false
			}
		}
		if len(keys) > 0 {
			p.markHandled(keys...)
			p.save(saveCtx)
		}
	}
	if p.handled == nil {
		// One slice for the answer's keys: a new one each answer, as a
		// Store may keep the last one it was given.
		p.handled = make([]string, 0, len(events))
	}
	for i := range events {
		e := &events[i]
		key := eventKey(e, i)
		if p.isHandled(key) {
			p.log.Debug("longpoll: skipping an event handled before the restart", "event_id", e.EventID)
			continue
		}
		if ctx.Err() != nil {
			complete = false
			break
		}
		if p.dedup != nil && e.EventID != "" {
			if p.dedup.seen(e.EventID) {
				p.log.Debug("longpoll: skipping a repeated event", "event_id", e.EventID)
				p.markHandled(key) // saved with the next event or the next ts
				continue
			}
		}
		if d.workers == nil {
			if !p.handle(d.handle, e) {
				complete = false // cut short by a shutdown: not recorded
				break
			}
			p.markHandled(key)
			p.save(saveCtx)
			continue
		}
		w := d.workers[maphash.String(d.seed, peerKey(e))%uint64(len(d.workers))]
		for sent := false; !sent && complete; {
			select {
			case w <- job{e, key, results}:
				sent = true
				pending++
			case k := <-results:
				pending--
				collect(k)
			case <-ctx.Done():
				complete = false
			}
		}
		if !complete {
			break
		}
	}
	for pending > 0 {
		k := <-results
		pending--
		collect(k)
	}
	return complete
}

// handle runs the handler on one event; an error or a panic is reported.
// It reports whether the event may be recorded as handled: not when the
// handler failed after the handlers' context ended (a shutdown cut it
// short), so that a resumed poller hands it again.
func (p *Poller) handle(ctx context.Context, e *vkevent.Event) bool {
	if p.cfg.Handler == nil {
		return true
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
		return true
	}
	if ctx.Err() != nil {
		p.log.Info("longpoll: a handler was cut short by the shutdown; the event is not recorded", "group_id", p.group, "event_id", e.EventID)
		return false
	}
	he := HandlerEvent{EventID: e.EventID, Type: string(e.Type), Err: err}
	p.log.Error("longpoll: handler failed", "group_id", p.group, "event_id", e.EventID, "type", string(e.Type), "err", err)
	p.obs.ObserveHandler(ctx, he)
	if p.cfg.OnError != nil {
		p.cfg.OnError(he)
	}
	return true
}
