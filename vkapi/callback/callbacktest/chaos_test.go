package callbacktest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// receiver stands for the Callback receiver behind Chaos: it keeps the
// bodies it was given and answers "ok".
type receiver struct {
	mu     sync.Mutex
	bodies []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.bodies = append(rc.bodies, string(b))
	rc.mu.Unlock()
	_, _ = io.WriteString(w, "ok")
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.bodies)
}

// answer is a ResponseWriter that tells whether anything was written.
type answer struct {
	header http.Header
	status int // 0: no WriteHeader or Write
	body   bytes.Buffer
}

func (a *answer) Header() http.Header {
	if a.header == nil {
		a.header = http.Header{}
	}
	return a.header
}

func (a *answer) WriteHeader(code int) {
	if a.status == 0 {
		a.status = code
	}
}

func (a *answer) Write(p []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	return a.body.Write(p)
}

func delivery(i int) string {
	return `{"type":"message_new","event_id":"e` + strconv.Itoa(i) + `","v":"5.199","object":{},"group_id":1,"secret":"s"}`
}

const confirmation = `{"type":"confirmation","group_id":1}`

func request(ctx context.Context, body string) *http.Request {
	return httptest.NewRequestWithContext(ctx, http.MethodPost, "/", strings.NewReader(body))
}

// Each Mode fails a delivery as its doc says: whether the receiver is
// called (with the body as sent), what is answered, and whether the answer
// is withheld until the sender gives up (its request's context ends).
func TestChaosModes(t *testing.T) {
	cases := []struct {
		mode    Mode
		handled bool // the receiver was called
		holds   bool // no answer until the request's context ends
		status  int  // 0: nothing written
		body    string
	}{
		{Status5xx, false, false, http.StatusInternalServerError, "chaos\n"},
		{Status5xxAfter, true, false, http.StatusBadGateway, "chaos\n"},
		{WrongBody, true, false, http.StatusOK, "OK"},
		{BOM, true, false, http.StatusOK, "\ufeffok"},
		{TimeoutAfter, true, true, 0, ""},
		{Slow, false, true, 0, ""},
	}
	if len(cases) != len(Modes()) {
		t.Fatalf("%d cases for %d modes", len(cases), len(Modes()))
	}
	for _, tc := range cases {
		t.Run(tc.mode.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rc := &receiver{}
				c := &Chaos{Next: rc, Rate: 1, Modes: []Mode{tc.mode}}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				var a answer
				done := make(chan struct{})
				go func() {
					defer close(done)
					c.ServeHTTP(&a, request(ctx, delivery(1)))
				}()
				synctest.Wait() // ServeHTTP has returned or is blocked for good
				select {
				case <-done:
					if tc.holds {
						t.Fatal("answered before the sender gave up")
					}
				default:
					if !tc.holds {
						t.Fatal("holds the answer")
					}
				}
				cancel() // the sender gives up
				<-done
				if got := rc.got(); tc.handled != (len(got) == 1) || len(got) > 1 || (tc.handled && got[0] != delivery(1)) {
					t.Fatalf("the receiver got %q", got)
				}
				if a.status != tc.status || a.body.String() != tc.body {
					t.Fatalf("answer %d %q, want %d %q", a.status, a.body.String(), tc.status, tc.body)
				}
				counts, passed := c.Counts()
				for m, n := range counts {
					if want := int64(map[bool]int{true: 1}[m == tc.mode]); n != want {
						t.Errorf("counts[%v] = %d, want %d", m, n, want)
					}
				}
				if passed != 0 {
					t.Errorf("passed %d", passed)
				}
			})
		})
	}
}

// Rate 0 passes every delivery on as it is, with the receiver's answer;
// confirmations pass even at Rate 1; an oversized body is refused.
func TestChaosPasses(t *testing.T) {
	rc := &receiver{}
	c := &Chaos{Next: rc}
	var a answer
	c.ServeHTTP(&a, request(context.Background(), delivery(1)))
	if a.status != http.StatusOK || a.body.String() != "ok" || !slices.Equal(rc.got(), []string{delivery(1)}) {
		t.Fatalf("Rate 0: %d %q, receiver %q", a.status, a.body.String(), rc.got())
	}
	c.Rate = 1
	a = answer{}
	c.ServeHTTP(&a, request(context.Background(), confirmation))
	if a.status != http.StatusOK || a.body.String() != "ok" || len(rc.got()) != 2 || rc.got()[1] != confirmation {
		t.Fatalf("confirmation at Rate 1: %d %q, receiver %q", a.status, a.body.String(), rc.got())
	}
	if counts, passed := c.Counts(); passed != 2 || sum(counts) != 0 {
		t.Fatalf("counts %v, passed %d", counts, passed)
	}

	c = &Chaos{Next: rc}
	big := `{"type":"message_new","object":{"text":"` + strings.Repeat("x", MaxBody) + `"}}`
	a = answer{}
	c.ServeHTTP(&a, request(context.Background(), big))
	if a.status != http.StatusRequestEntityTooLarge || len(rc.got()) != 2 {
		t.Fatalf("a body over MaxBody: %d, the receiver called %d times", a.status, len(rc.got()))
	}
	exact := big[len(big)-MaxBody:]
	a = answer{}
	c.ServeHTTP(&a, request(context.Background(), exact))
	if got := rc.got(); a.status != http.StatusOK || len(got) != 3 || got[2] != exact {
		t.Fatalf("a body of MaxBody: %d, the receiver called %d times", a.status, len(got))
	}
}

func sum(m map[Mode]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// run sends n deliveries one by one, a confirmation before every
// confirmEvery-th when confirmEvery > 0, and returns what came of each
// delivery: the Mode that struck, or "pass". The requests' context is
// already cancelled, so no Mode holds.
func run(t *testing.T, c *Chaos, n, confirmEvery int) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := make([]string, 0, n)
	for i := range n {
		if confirmEvery > 0 && i%confirmEvery == 0 {
			var a answer
			c.ServeHTTP(&a, request(ctx, confirmation))
			if a.body.String() != "ok" {
				t.Fatalf("confirmation answered %d %q", a.status, a.body.String())
			}
		}
		before, passedBefore := c.Counts()
		c.ServeHTTP(&answer{}, request(ctx, delivery(i)))
		after, passedAfter := c.Counts()
		struck := ""
		for m := range after {
			if after[m] == before[m]+1 {
				struck = m.String()
			}
		}
		switch {
		case struck == "" && passedAfter == passedBefore+1:
			out = append(out, "pass")
		case struck != "" && passedAfter == passedBefore && sum(after) == sum(before)+1:
			out = append(out, struck)
		default:
			t.Fatalf("delivery %d: counts %v -> %v, passed %d -> %d", i, before, after, passedBefore, passedAfter)
		}
	}
	return out
}

// The same Seed makes the same choices, whatever confirmations come in
// between and whichever goroutines send; another Seed others. The share
// of failures is Rate's, spread over the Modes asked for.
func TestChaosSeed(t *testing.T) {
	const n = 2000
	newChaos := func(seed uint64, modes ...Mode) *Chaos {
		return &Chaos{Next: &receiver{}, Rate: 0.2, Seed: seed, Modes: modes}
	}
	first := run(t, newChaos(7), n, 0)
	if again := run(t, newChaos(7), n, 0); !slices.Equal(first, again) {
		t.Fatal("the same seed made other choices")
	}
	if withConfirmations := run(t, newChaos(7), n, 3); !slices.Equal(first, withConfirmations) {
		t.Fatal("confirmations changed the choices")
	}
	if other := run(t, newChaos(8), n, 0); slices.Equal(first, other) {
		t.Fatal("another seed made the same choices")
	}
	byMode := map[string]int{}
	for _, o := range first {
		byMode[o]++
	}
	if f := n - byMode["pass"]; f < n*15/100 || f > n*25/100 {
		t.Fatalf("%d failures in %d at Rate 0.2: %v", f, n, byMode)
	}
	for _, m := range Modes() {
		if byMode[m.String()] < n/100 {
			t.Errorf("mode %v struck %d times: %v", m, byMode[m.String()], byMode)
		}
	}
	for _, o := range run(t, newChaos(7, WrongBody, BOM), n, 0) {
		if o != "pass" && o != WrongBody.String() && o != BOM.String() {
			t.Fatalf("mode %s struck, not asked for", o)
		}
	}
	all := run(t, &Chaos{Next: &receiver{}, Rate: 1, Seed: 7}, 100, 0)
	if slices.Contains(all, "pass") {
		t.Fatalf("Rate 1 let one pass: %v", all)
	}

	// Concurrent requests take the same choices, in some order: the
	// counts equal the sequential run's.
	c := newChaos(7)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				c.ServeHTTP(&answer{}, request(ctx, delivery(i)))
			}
		})
	}
	wg.Wait()
	counts, passed := c.Counts()
	if int(passed) != byMode["pass"] {
		t.Errorf("concurrent: %d passed, sequential %d", passed, byMode["pass"])
	}
	for m, k := range counts {
		if int(k) != byMode[m.String()] {
			t.Errorf("concurrent: %v struck %d times, sequential %d", m, k, byMode[m.String()])
		}
	}
}

func TestModeString(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Modes() {
		s := m.String()
		if s == "mode?" || seen[s] {
			t.Fatalf("mode %d: %q", int(m), s)
		}
		seen[s] = true
	}
	if Mode(-1).String() != "mode?" || Mode(len(Modes())).String() != "mode?" {
		t.Fatal("an unknown mode has a name")
	}
}
