// Package syncbuf is a bytes.Buffer that a logger's goroutines may write
// while a test reads it, for the tests of several packages.
package syncbuf

import (
	"bytes"
	"strings"
	"sync"
)

// Buffer is safe for concurrent use; its zero value is empty and ready.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Count counts the non-overlapping instances of substr written so far.
func (b *Buffer) Count(substr string) int { return strings.Count(b.String(), substr) }
