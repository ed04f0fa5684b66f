package callback

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkevent"
)

// handledSet records the event_ids a handler returned nil for.
type handledSet struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *handledSet) add(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == nil {
		h.n = map[string]int{}
	}
	h.n[id]++
}

func (h *handledSet) count(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[id]
}

// postAll posts events 0..n-1 at once and returns each one's answer.
func postAll(t *testing.T, r http.Handler, n int) []*httptest.ResponseRecorder {
	out := make([]*httptest.ResponseRecorder, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { out[i] = post(t, r, eventBody("e"+strconv.Itoa(i), "")) })
	}
	wg.Wait()
	return out
}

// (a) Many events, a slow handler, then Shutdown with a short deadline:
// every event answered "ok" was handled, every other one was answered 503
// (VK resends it) and its claim released. The same load on the
// acknowledge-first mode (the old default) loses acknowledged events, and
// Shutdown says how many.
func TestShutdownNothingAcknowledgedIsLost(t *testing.T) {
	for _, atMostOnce := range []bool{false, true} {
		t.Run("AtMostOnce="+strconv.FormatBool(atMostOnce), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const n = 300
				var h handledSet
				handler := vkevent.HandlerFunc(func(ctx context.Context, e *vkevent.Event) error {
					select {
					case <-time.After(10 * time.Millisecond):
					case <-ctx.Done():
						return ctx.Err()
					}
					h.add(e.EventID)
					return nil
				})
				dedup := NewMemoryDedup(0)
				r, err := New(Config{Handler: handler, Workers: 2, Dedup: dedup, AtMostOnce: atMostOnce})
				if err != nil {
					t.Fatal(err)
				}
				answers := make(chan []*httptest.ResponseRecorder, 1)
				go func() { answers <- postAll(t, r, n) }()
				time.Sleep(200 * time.Millisecond) // on the bubble's clock: some events handled, most waiting
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				serr := r.Shutdown(ctx)
				ws := <-answers
				ok, unhandledOK := 0, 0
				for i, w := range ws {
					id := "e" + strconv.Itoa(i)
					switch {
					case w.Code == 200 && w.Body.String() == OK:
						ok++
						if h.count(id) == 0 {
							unhandledOK++
						}
					case w.Code == 503:
						if w.Body.String() != busyAnswer+"\n" || w.Header().Get("Retry-After") == "" {
							t.Fatalf("503 %q %v", w.Body.String(), w.Header())
						}
						if st, _ := dedup.Claim(context.Background(), id); st != Claimed {
							t.Fatalf("%s answered 503, its claim %v", id, st)
						}
					default:
						t.Fatalf("%s: %d %q", id, w.Code, w.Body.String())
					}
				}
				t.Logf("%d events: %d ok, %d handled, %d acknowledged and never handled; Shutdown: %v", n, ok, len(h.n), unhandledOK, serr)
				if !atMostOnce {
					if ok == 0 || ok == n {
						t.Fatalf("%d ok of %d: the test does not cut into the load", ok, n)
					}
					if unhandledOK != 0 || serr != nil {
						t.Fatalf("%d events answered ok and not handled; Shutdown: %v", unhandledOK, serr)
					}
					return
				}
				var se *ShutdownError
				if !errors.As(serr, &se) || !se.Acknowledged || se.Unfinished != int64(unhandledOK) || unhandledOK == 0 || !errors.Is(serr, context.DeadlineExceeded) {
					t.Fatalf("acknowledge-first: %d lost, Shutdown %v", unhandledOK, serr)
				}
			})
		})
	}
}

// (b) A handler that fails, panics or overruns its timeout: 503 with
// Retry-After, OnError told, the claim released, and VK's resend handled.
// A handler that returns nil after its timeout has handled the event: the
// resend is answered ok and not handled again.
func TestFailedHandlerResendIsHandled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var h handledSet
		tries := map[string]int{}
		var mu sync.Mutex
		handler := vkevent.HandlerFunc(func(ctx context.Context, e *vkevent.Event) error {
			mu.Lock()
			tries[e.EventID]++
			first := tries[e.EventID] == 1
			mu.Unlock()
			if first {
				switch e.EventID {
				case "fails":
					return errors.New("boom")
				case "panics":
					panic("bang")
				case "overruns":
					<-ctx.Done()
					return ctx.Err()
				case "late":
					time.Sleep(5 * time.Second) // ignores ctx, then succeeds
				}
			}
			h.add(e.EventID)
			return nil
		})
		errs := make(chan error, 10)
		r, err := New(Config{Handler: handler, HandlerTimeout: time.Second, Workers: 4, BusyRetry: 30 * time.Second,
			OnError: func(_ *vkevent.Event, err error) { errs <- err }})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for _, id := range []string{"fails", "panics", "overruns", "late"} {
			start := time.Now()
			w := post(t, r, eventBody(id, ""))
			if w.Code != 503 || w.Header().Get("Retry-After") != "30" || w.Body.String() != busyAnswer+"\n" {
				t.Fatalf("%s: %d %q %v", id, w.Code, w.Body.String(), w.Header())
			}
			if id == "overruns" || id == "late" {
				if d := time.Since(start); d != time.Second {
					t.Fatalf("%s answered after %v", id, d)
				}
			}
		}
		var p *HandlerPanic
		if e1, e2, e3 := <-errs, <-errs, <-errs; e1.Error() != "boom" || !errors.As(e2, &p) || p.Value != "bang" || !errors.Is(e3, context.DeadlineExceeded) {
			t.Fatal(e1, e2, e3)
		}
		time.Sleep(5 * time.Second) // "late" returns
		synctest.Wait()
		for _, id := range []string{"fails", "panics", "overruns", "late"} { // VK's resends
			if w := post(t, r, eventBody(id, "")); w.Code != 200 || w.Body.String() != OK {
				t.Fatalf("resend of %s: %d %q", id, w.Code, w.Body.String())
			}
			if h.count(id) != 1 {
				t.Fatalf("%s handled %d times", id, h.count(id))
			}
		}
		if tries["late"] != 1 {
			t.Fatalf("late event handled again: %d", tries["late"])
		}
		if st := r.Stats(); st.Duplicates != 1 || st.Failed != 3 || st.Handled != 7 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// (c) A resend that arrives while the first delivery is in flight is
// answered 503 (VK sends it again), never "ok": the first may still fail.
// In both modes: the handler running (default), or the first delivery
// waiting for room in the queue (AtMostOnce).
func TestResendWhileInFlight(t *testing.T) {
	for _, atMostOnce := range []bool{false, true} {
		t.Run("AtMostOnce="+strconv.FormatBool(atMostOnce), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				gate := make(chan error)
				var h handledSet
				handler := vkevent.HandlerFunc(func(_ context.Context, e *vkevent.Event) error {
					if err := <-gate; err != nil {
						return err
					}
					h.add(e.EventID)
					return nil
				})
				r, err := New(Config{Handler: handler, AtMostOnce: atMostOnce, QueueSize: 1, HandlerTimeout: time.Hour, QueueWait: time.Hour})
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				if atMostOnce { // fill the worker and the queue, so that "x" waits for room
					for _, id := range []string{"a", "b"} {
						if w := post(t, r, eventBody(id, "")); w.Body.String() != OK {
							t.Fatal(id, w.Body.String())
						}
						synctest.Wait()
					}
				}
				first := make(chan *httptest.ResponseRecorder, 1)
				go func() { first <- post(t, r, eventBody("x", "")) }()
				synctest.Wait()
				if w := post(t, r, eventBody("x", "")); w.Code != 503 {
					t.Fatalf("resend in flight: %d %q", w.Code, w.Body.String())
				}
				if atMostOnce {
					gate <- nil // a
				} else {
					gate <- errors.New("first delivery fails")
					if w := <-first; w.Code != 503 {
						t.Fatalf("failed first delivery: %d", w.Code)
					}
					go func() { first <- post(t, r, eventBody("x", "")) }() // VK's next resend
					synctest.Wait()
					gate <- nil
				}
				if w := <-first; w.Body.String() != OK {
					t.Fatalf("first delivery: %d %q", w.Code, w.Body.String())
				}
				if atMostOnce {
					gate <- nil // b
					gate <- nil // x
				}
				synctest.Wait()
				if w := post(t, r, eventBody("x", "")); w.Body.String() != OK { // a resend after ok
					t.Fatalf("resend after ok: %d %q", w.Code, w.Body.String())
				}
				if h.count("x") != 1 {
					t.Fatalf("x handled %d times", h.count("x"))
				}
				if st := r.Stats(); st.InFlight != 1 || st.Duplicates != 1 {
					t.Fatalf("stats %+v", st)
				}
			})
		})
	}
}

// AtMostOnce: the queue is bounded in bytes too; a request waits
// QueueWait for room, then 503 and its claim released.
func TestQueueBoundedInBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		handler := vkevent.HandlerFunc(func(context.Context, *vkevent.Event) error { <-gate; return nil })
		body := eventBody("a", "")
		one := int64(len(body) + queuedOverhead)
		dedup := NewMemoryDedup(0)
		r, err := New(Config{Handler: handler, AtMostOnce: true, QueueSize: 100, QueueBytes: 2 * one, MaxBodyBytes: one,
			QueueWait: 50 * time.Millisecond, Dedup: dedup})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		for _, id := range []string{"a", "b"} {
			if w := post(t, r, eventBody(id, "")); w.Body.String() != OK {
				t.Fatal(id, w.Body.String())
			}
		}
		start := time.Now()
		if w := post(t, r, eventBody("c", "")); w.Code != 503 || time.Since(start) != 50*time.Millisecond {
			t.Fatalf("over the bytes: %d after %v", w.Code, time.Since(start))
		}
		if st, _ := dedup.Claim(context.Background(), "c"); st != Claimed {
			t.Fatalf("claim of c: %v", st)
		}
		_ = dedup.Release(context.Background(), "c")
		gate <- struct{}{} // a handled: its bytes are free
		synctest.Wait()
		if w := post(t, r, eventBody("c", "")); w.Body.String() != OK {
			t.Fatalf("c after room: %d", w.Code)
		}
		close(gate)
	})
}

// The confirmation code goes only to a confirmation of the configured
// community (with the secret when one is sent), and needs that community.
func TestConfirmationOnlyForTheCommunity(t *testing.T) {
	if _, err := New(Config{Confirmation: "abc"}); err == nil {
		t.Fatal("a Confirmation without GroupID accepted")
	}
	r := mustNew(t, Config{Confirmation: "abc", GroupID: 5})
	for body, want := range map[string]int{
		`{"type":"confirmation","group_id":5}`:              200,
		`{"type":"confirmation","group_id":6}`:              403,
		`{"type":"confirmation"}`:                           403,
		`{"type":"confirmation","group_id":5,"secret":"x"}`: 200, // no secret configured
	} {
		if w := post(t, r, body); w.Code != want || (want == 200) != (w.Body.String() == "abc") {
			t.Errorf("%s: %d %q", body, w.Code, w.Body.String())
		}
	}
	none := mustNew(t, Config{})
	if w := post(t, none, `{"type":"confirmation","group_id":5}`); w.Code != 403 {
		t.Fatalf("no code configured: %d %q", w.Code, w.Body.String())
	}
}

// A failing de-duplication store: 503 without its error text, nothing
// handled.
type brokenDedup struct{}

func (brokenDedup) Claim(context.Context, string) (ClaimStatus, error) {
	return 0, errors.New("dial tcp 10.0.0.7:6379: connection refused")
}
func (brokenDedup) Finish(context.Context, string) error  { return nil }
func (brokenDedup) Release(context.Context, string) error { return nil }

func TestDedupFailure(t *testing.T) {
	c := newCollector()
	r := mustNew(t, Config{Handler: c, Dedup: brokenDedup{}})
	w := post(t, r, eventBody("a", ""))
	if w.Code != 503 || strings.Contains(w.Body.String(), "10.0.0.7") || w.Body.String() != busyAnswer+"\n" {
		t.Fatalf("%d %q", w.Code, w.Body.String())
	}
	_ = r.Close()
	if len(c.ids) != 0 {
		t.Fatal(c.ids)
	}
}

// Close waits for what is queued (AtMostOnce) and ends the workers; a
// second Close fails with ErrClosed, which is vkapi.ErrClosed.
func TestCloseTwice(t *testing.T) {
	c := newCollector()
	r, _ := New(Config{Handler: c, AtMostOnce: true})
	for _, id := range []string{"a", "b", "c"} {
		post(t, r, eventBody(id, ""))
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.ids, ",") != "a,b,c" {
		t.Fatalf("handled %v", c.ids)
	}
	if err := r.Close(); !errors.Is(err, ErrClosed) || !errors.Is(err, vkapi.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if err := r.Shutdown(context.Background()); !errors.Is(err, vkapi.ErrClosed) {
		t.Fatalf("Shutdown after Close: %v", err)
	}
}
