package api

import (
	"testing"

	"go.uber.org/goleak"
)

// TestNoLeak: an iteration left early, packed and alone, and a failed one
// leave no goroutine once the client and the mock are closed.
func TestNoLeak(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	t.Run("work", func(t *testing.T) {
		_, a, _, _ := pagingSetup(t, 300)
		for _, per := range []int{0, 3} {
			n := 0
			for _, err := range a.Wall.GetIter(t.Context(), WallGetParams{OwnerID: pagingOwner, Count: 10}, PageOptions{PerExecute: per}) {
				if err != nil {
					t.Fatal(err)
				}
				if n++; n == 25 {
					break
				}
			}
		}
		for range a.Board.GetCommentsIter(t.Context(), BoardGetCommentsParams{}, PageOptions{PerExecute: 5}) {
		}
	})
}
