package testrun

import (
	"flag"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// want is the parallelism TestMain asks for: more than go test's default
// of GOMAXPROCS, on any machine.
var want = runtime.GOMAXPROCS(0) + 2

// raised reports that the command line left -parallel to TestMain.
var raised bool

func TestMain(m *testing.M) {
	flag.Parse()
	raised = true
	flag.Visit(func(f *flag.Flag) { raised = raised && f.Name != "test.parallel" })
	ParallelAtLeast(want)
	os.Exit(m.Run())
}

// TestParallelAtLeast: without -parallel on the command line, want
// parallel tests run at once, more than the machine's CPUs; with it, the
// command line's value stays.
func TestParallelAtLeast(t *testing.T) {
	got, _ := strconv.Atoi(flag.Lookup("test.parallel").Value.String())
	if !raised {
		t.Skip("-parallel was given: ParallelAtLeast leaves it")
	}
	if got < want {
		t.Fatalf("-test.parallel is %d after ParallelAtLeast(%d)", got, want)
	}
	var running, most atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{}, want)
	t.Run("group", func(t *testing.T) {
		for i := range want {
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
				case <-time.After(30 * time.Second):
					t.Errorf("the %d tests never ran at once", want)
				}
				running.Add(-1)
			})
		}
		go func() {
			for range want {
				<-started
			}
			close(release)
		}()
	})
	if int(most.Load()) != want {
		t.Errorf("at most %d parallel tests ran at once, want %d", most.Load(), want)
	}
}
