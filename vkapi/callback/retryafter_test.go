package callback

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/vkerr/vkerr/vkevent"
)

// waitErr is a handler error that says when to send the event again.
type waitErr time.Duration

func (e waitErr) Error() string             { return "full" }
func (e waitErr) RetryAfter() time.Duration { return time.Duration(e) }

// A handler error implementing RetryAfter (wrapped or not) sets the 503's
// Retry-After, rounded up to whole seconds; any other error gets BusyRetry.
func TestHandlerErrorSetsRetryAfter(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{waitErr(5 * time.Second), "5"},
		{fmt.Errorf("append: %w", waitErr(1500*time.Millisecond)), "2"},
		{waitErr(0), "7"},
		{errors.New("redis down"), "7"},
	} {
		r := mustNew(t, Config{BusyRetry: 7 * time.Second, Handler: vkevent.HandlerFunc(func(context.Context, *vkevent.Event) error { return c.err })})
		w := post(t, r, eventBody("e1", ""))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != c.want || w.Body.String() != busyAnswer+"\n" {
			t.Errorf("%v: %d Retry-After %q body %q, want %s", c.err, w.Code, w.Header().Get("Retry-After"), w.Body.String(), c.want)
		}
	}
}
