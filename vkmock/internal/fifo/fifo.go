// Package fifo is a store bounded by count and by bytes that evicts its
// oldest entries first: the request log, the delivery log, the messages,
// the Long Poll histories of vkmock all keep their entries in one.
package fifo

// FIFO is a store bounded by count and by bytes that evicts its oldest
// entries first. It is not safe for concurrent use: its owner locks.
type FIFO[T any] struct {
	items    []T // items[start:] are the entries, oldest first
	sizes    []int64
	start    int
	bytes    int64
	maxCount int
	maxBytes int64
}

// New returns an empty store of at most maxCount entries and maxBytes
// bytes (as their sizes add up).
func New[T any](maxCount int, maxBytes int64) FIFO[T] {
	return FIFO[T]{maxCount: maxCount, maxBytes: maxBytes}
}

// Add appends v, which costs size bytes, and evicts the oldest entries
// while the store is over a bound, calling evicted (when not nil) with
// each. An entry over the byte bound on its own is evicted at once.
func (f *FIFO[T]) Add(v T, size int64, evicted func(T)) {
	f.items = append(f.items, v)
	f.sizes = append(f.sizes, size)
	f.bytes += size
	for f.Len() > 0 && (f.Len() > f.maxCount || f.bytes > f.maxBytes) {
		f.evictOldest(evicted)
	}
	f.compact()
}

// Shift evicts the n oldest entries (all of them when n is more).
func (f *FIFO[T]) Shift(n int) {
	for ; n > 0 && f.Len() > 0; n-- {
		f.evictOldest(nil)
	}
	f.compact()
}

func (f *FIFO[T]) evictOldest(evicted func(T)) {
	if evicted != nil {
		evicted(f.items[f.start])
	}
	f.bytes -= f.sizes[f.start]
	var zero T
	f.items[f.start] = zero
	f.start++
}

// compact moves the entries down once half the slice is evicted ones, so
// that they can be freed.
func (f *FIFO[T]) compact() {
	if f.start > 64 && f.start*2 >= len(f.items) {
		k := copy(f.items, f.items[f.start:])
		clear(f.items[k:])
		f.items = f.items[:k]
		f.sizes = f.sizes[:copy(f.sizes, f.sizes[f.start:])]
		f.start = 0
	}
}

// Len is the number of entries.
func (f *FIFO[T]) Len() int { return len(f.items) - f.start }

// All returns the entries, oldest first; the slice is the store's own.
func (f *FIFO[T]) All() []T { return f.items[f.start:] }

// Reset empties the store, keeping its bounds.
func (f *FIFO[T]) Reset() {
	f.items, f.sizes, f.start, f.bytes = nil, nil, 0, 0
}

// Bytes is the sum of the entries' sizes.
func (f *FIFO[T]) Bytes() int64 { return f.bytes }

// MaxBytes is the bound on Bytes.
func (f *FIFO[T]) MaxBytes() int64 { return f.maxBytes }

// SetBounds changes the bounds; the next Add evicts down to them.
func (f *FIFO[T]) SetBounds(maxCount int, maxBytes int64) {
	f.maxCount, f.maxBytes = maxCount, maxBytes
}
