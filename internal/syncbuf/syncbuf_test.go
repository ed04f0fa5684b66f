package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

func TestConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = b.Write([]byte("ab\n"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if b.Count("ab\n") != 800 || len(b.String()) != 2400 || !strings.HasPrefix(b.String(), "ab\n") {
		t.Fatalf("%d lines, %d bytes", b.Count("ab\n"), len(b.String()))
	}
}
