package vkevent

import (
	"context"
	"sync"
)

// Handler handles one event. The Long Poll client (vkapi/longpoll) and the
// Callback receiver call it the same way, so a bot switches transports
// without touching its handlers. An error is reported by the transport and
// does not stop it.
type Handler interface {
	HandleEvent(ctx context.Context, e *Event) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, e *Event) error

// HandleEvent calls f.
func (f HandlerFunc) HandleEvent(ctx context.Context, e *Event) error { return f(ctx, e) }

// Router is a Handler that routes each event by its type: to the handler
// registered for the type with Handle or an On<Type> method (which decodes
// the object first), else to Default. The zero Router is ready and ignores
// every event. Registering is safe while events are handled.
type Router struct {
	// Default handles the events no registered handler takes; nil ignores
	// them.
	Default Handler

	mu       sync.RWMutex
	handlers map[Type]Handler
}

// Handle registers h for events of type t, replacing an earlier one.
func (r *Router) Handle(t Type, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.handlers == nil {
		r.handlers = map[Type]Handler{}
	}
	r.handlers[t] = h
}

// HandleEvent routes e.
func (r *Router) HandleEvent(ctx context.Context, e *Event) error {
	r.mu.RLock()
	h := r.handlers[e.Type]
	r.mu.RUnlock()
	if h == nil {
		h = r.Default
	}
	if h == nil {
		return nil
	}
	return h.HandleEvent(ctx, e)
}
