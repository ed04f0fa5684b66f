package vkapi

import "sync"

// closers are the functions (*Client).Close runs to stop what the client
// started (batch timers, shared limiters, idle connections), last added
// first. Parts of the client register theirs with add when they start.
type closers struct {
	mu  sync.Mutex
	fns []func()
}

// add registers f to run on Close.
func (c *closers) add(f func()) {
	c.mu.Lock()
	c.fns = append(c.fns, f)
	c.mu.Unlock()
}

// run runs every registered function once, last added first.
func (c *closers) run() {
	c.mu.Lock()
	fns := c.fns
	c.fns = nil
	c.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}
