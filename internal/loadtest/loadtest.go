// Package loadtest drives a call from many goroutines for a while and
// counts the outcomes, for the rate-limit tests and benchmarks of vkapi and
// its limiters. It takes the call as a function, so that vkapi's own tests
// can use it without an import cycle.
package loadtest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/vkerr/vkerr"
)

// Result counts the calls of a run that completed within its time.
type Result struct {
	OK       int           // calls that succeeded
	TooMany  int           // calls that ended with error 6
	Other    int           // calls that failed otherwise
	FirstErr error         // the first of the Other failures
	Elapsed  time.Duration // how long the run took, goroutines joined
}

// Run has callers goroutines run call as fast as it returns, each with a
// context that ends after d, and counts the outcomes. A call that fails
// because the run's time ran out is not counted.
func Run(callers int, d time.Duration, call func(context.Context) error) Result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var res Result
	var wg sync.WaitGroup
	start := time.Now()
	for range callers {
		wg.Go(func() {
			for ctx.Err() == nil {
				err := call(ctx)
				mu.Lock()
				switch {
				case err == nil:
					res.OK++
				case errors.Is(err, vkerr.TooMany):
					res.TooMany++
				case ctx.Err() != nil:
				default:
					res.Other++
					if res.FirstErr == nil {
						res.FirstErr = err
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}
