package vkmock

// fifo is a store bounded by count and by bytes that evicts its oldest
// entries first. It is not safe for concurrent use: its owner locks.
type fifo[T any] struct {
	items    []T // items[start:] are the entries, oldest first
	sizes    []int64
	start    int
	bytes    int64
	maxCount int
	maxBytes int64
}

func newFIFO[T any](maxCount int, maxBytes int64) fifo[T] {
	return fifo[T]{maxCount: maxCount, maxBytes: maxBytes}
}

// add appends v, which costs size bytes, and evicts the oldest entries
// while the store is over a bound, calling evicted (when not nil) with
// each. An entry over the byte bound on its own is evicted at once.
func (f *fifo[T]) add(v T, size int64, evicted func(T)) {
	f.items = append(f.items, v)
	f.sizes = append(f.sizes, size)
	f.bytes += size
	for f.len() > 0 && (f.len() > f.maxCount || f.bytes > f.maxBytes) {
		f.evictOldest(evicted)
	}
	f.compact()
}

// shift evicts the n oldest entries (all of them when n is more).
func (f *fifo[T]) shift(n int) {
	for ; n > 0 && f.len() > 0; n-- {
		f.evictOldest(nil)
	}
	f.compact()
}

func (f *fifo[T]) evictOldest(evicted func(T)) {
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
func (f *fifo[T]) compact() {
	if f.start > 64 && f.start*2 >= len(f.items) {
		k := copy(f.items, f.items[f.start:])
		clear(f.items[k:])
		f.items = f.items[:k]
		f.sizes = f.sizes[:copy(f.sizes, f.sizes[f.start:])]
		f.start = 0
	}
}

// len is the number of entries.
func (f *fifo[T]) len() int { return len(f.items) - f.start }

// all returns the entries, oldest first; the slice is the store's own.
func (f *fifo[T]) all() []T { return f.items[f.start:] }

// reset empties the store, keeping its bounds.
func (f *fifo[T]) reset() {
	f.items, f.sizes, f.start, f.bytes = nil, nil, 0, 0
}
