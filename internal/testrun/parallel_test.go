package testrun

import (
	"flag"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

var raised bool

func TestMain(m *testing.M) {
	flag.Parse()
	raised = true
	flag.Visit(func(f *flag.Flag) { raised = raised && f.Name != "test.parallel" })
	ParallelAtLeast(4)
	os.Exit(m.Run())
}

// TestAtLeast: without -parallel on the command line, four parallel tests
// run at once however many CPUs there are; with it, the command line's
// value stays.
func TestParallelAtLeast(t *testing.T) {
	got, _ := strconv.Atoi(flag.Lookup("test.parallel").Value.String())
	if raised && got < 4 {
		t.Fatalf("-test.parallel is %d after ParallelAtLeast(4)", got)
	}
	if !raised {
		t.Skip("-parallel was given: ParallelAtLeast leaves it")
	}
	var running, most atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	t.Run("group", func(t *testing.T) {
		for i := range 4 {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				n := running.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				started <- struct{}{}
				select {
				case <-release:
				case <-time.After(time.Minute):
					t.Error("the four tests never ran at once")
				}
				running.Add(-1)
			})
		}
		go func() {
			for range 4 {
				<-started
			}
			close(release)
		}()
	})
	if most.Load() != 4 {
		t.Errorf("at most %d parallel tests ran at once, want 4", most.Load())
	}
}
