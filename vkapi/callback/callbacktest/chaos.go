// Package callbacktest has tools to test a Callback API receiver against a
// sender (vkmock, or VK): Chaos makes a share of the deliveries fail in
// each of the ways VK counts as a failure.
package callbacktest

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
)

// Mode is one way a delivery fails.
type Mode int

// The failures of Chaos. The "after" ones let the receiver handle the
// event first and then spoil its answer: the sender resends an event that
// was handled, which the receiver's de-duplication must catch.
const (
	Status5xx      Mode = iota // 500, the receiver not called
	Status5xxAfter             // the receiver called, then 500
	WrongBody                  // the receiver called, then "OK" (not "ok")
	BOM                        // the receiver called, then a BOM and "ok"
	TimeoutAfter               // the receiver called, then no answer until the sender gives up
	Slow                       // no answer until the sender gives up, the receiver not called
	numModes
)

// MaxBody bounds the body Chaos reads of a request.
const MaxBody = 4 << 20

var modeNames = [...]string{"5xx", "5xx_after", "wrong_body", "bom", "timeout_after", "slow"}

func (m Mode) String() string {
	if m >= 0 && m < numModes {
		return modeNames[m]
	}
	return "mode?"
}

// Modes lists every Mode.
func Modes() []Mode {
	out := make([]Mode, numModes)
	for i := range out {
		out[i] = Mode(i)
	}
	return out
}

// Chaos is an http.Handler that passes requests to Next and fails a share
// Rate of the event deliveries (not confirmations), each time in one of
// Modes chosen at random (every Mode when Modes is empty). It is safe for
// concurrent use; Counts tells how often each Mode struck. Next must be
// set; a Rate of zero (the zero value) fails nothing, 1 fails every
// delivery. A body over MaxBody bytes is answered 413 and not passed on.
type Chaos struct {
	Next  http.Handler
	Rate  float64 // 0.2: one delivery in five fails
	Modes []Mode
	// Seed fixes the random sequence: the same Seed makes the same
	// choices for the same deliveries in the same order (confirmations,
	// always let through, take no choice).
	Seed uint64

	once   sync.Once
	mu     sync.Mutex
	rng    *rand.Rand
	counts [numModes]atomic.Int64
	passed atomic.Int64
}

// Counts returns how often each Mode struck, and how many requests passed.
func (c *Chaos) Counts() (map[Mode]int64, int64) {
	m := map[Mode]int64{}
	for i := range c.counts {
		m[Mode(i)] = c.counts[i].Load()
	}
	return m, c.passed.Load()
}

func (c *Chaos) pick() (Mode, bool) {
	c.once.Do(func() { c.rng = rand.New(rand.NewPCG(c.Seed, 0xc4a05)) })
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rng.Float64() >= c.Rate {
		return 0, false
	}
	modes := c.Modes
	if len(modes) == 0 {
		modes = Modes()
	}
	return modes[c.rng.IntN(len(modes))], true
}

func (c *Chaos) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	if len(body) > MaxBody {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if isConfirmation(body) {
		c.passed.Add(1)
		c.Next.ServeHTTP(w, r)
		return
	}
	mode, fail := c.pick()
	if !fail {
		c.passed.Add(1)
		c.Next.ServeHTTP(w, r)
		return
	}
	c.counts[mode].Add(1)
	switch mode {
	case Status5xx:
		http.Error(w, "chaos", http.StatusInternalServerError)
	case Slow:
		<-r.Context().Done()
	default:
		c.Next.ServeHTTP(httptest.NewRecorder(), r)
		switch mode {
		case Status5xxAfter:
			http.Error(w, "chaos", http.StatusBadGateway)
		case WrongBody:
			_, _ = io.WriteString(w, "OK")
		case BOM:
			_, _ = io.WriteString(w, "\ufeffok")
		case TimeoutAfter:
			<-r.Context().Done()
		}
	}
}
