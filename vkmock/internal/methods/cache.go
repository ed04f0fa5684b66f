package methods

import (
	"sync"

	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Key names an answer in the room's cache: the request's hash (seed,
// method, variant, parameters, and whatever With adds) and the method.
type Key struct {
	h      uint64
	method string
}

// With returns the key with s mixed in: what else the answer depends on
// (the caller, the world's version).
func (k Key) With(s string) Key { k.h = core.HashString(k.h, s); return k }

// Key is the cache key of the answer of m's variant to q. Synthesize uses
// the key of the variant q selects; other answers that depend only on the
// request (and what With adds) use a variant name of their own.
func (r *Room) Key(m *Method, variant string, q *core.Request) Key {
	return Key{requestHash(r.seed, m.name, variant, q), m.name}
}

// Cached returns the answer kept under k.
func (r *Room) Cached(k Key) ([]byte, bool) { return r.cache.get(k) }

// Keep keeps the answer b under k; the caller does not modify b after.
// An answer over 1/16 of the cache's bytes is not kept.
func (r *Room) Keep(k Key, b []byte) { r.cache.put(k, b) }

// respCache keeps answers that depend only on their key, so a hit gives
// the same bytes as a fresh answer.
type respCache struct {
	mu    sync.RWMutex
	m     map[Key][]byte
	bytes int
}

// The cache holds at most respCacheSize answers and respCacheBytes bytes;
// when full it starts afresh.
const (
	respCacheSize  = 4096
	respCacheBytes = 16 << 20
)

func (c *respCache) get(k Key) ([]byte, bool) {
	c.mu.RLock()
	b, ok := c.m[k]
	c.mu.RUnlock()
	return b, ok
}

func (c *respCache) put(k Key, b []byte) {
	if len(b) > respCacheBytes/16 {
		return
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= respCacheSize || c.bytes+len(b) > respCacheBytes {
		c.m = make(map[Key][]byte, 64)
		c.bytes = 0
	}
	if _, ok := c.m[k]; !ok {
		c.bytes += len(b)
	}
	c.m[k] = b
	c.mu.Unlock()
}
