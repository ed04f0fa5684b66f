// Package callback is a Callback API receiver for communities: an
// http.Handler that VK (or vkmock) POSTs each event to.
//
//	var r vkevent.Router
//	r.OnMessageNew(func(ctx context.Context, e *vkevent.Event, m *vkevent.MessageNew) error { ... })
//	rc, err := callback.New(callback.Config{Secret: secret, Confirmation: code, GroupID: groupID, Handler: &r})
//	http.Handle("/vk", rc)
//	defer rc.Close()
//
// The Handler is the vkevent.Handler the Long Poll client
// (vkapi/longpoll) calls, so a bot switches transports by changing the
// line that starts it.
//
// # The contract (shared with the Long Poll clients)
//
// An event is handed to the handler at least once; it is recorded as done
// (Dedup.Finish) only after the handler returned nil; a restart, or
// another replica sharing the Redis de-duplication
// (vkapi/callback/redisdedup), takes over through VK's resends; what can
// be handled twice is only what was in flight at a crash (handled, and
// the answer not yet received by VK).
//
// # What it answers
//
//   - {"type":"confirmation"} of Config.GroupID: the confirmation code
//     (Config.Confirmation), HTTP 200, exactly those bytes. A confirmation
//     of another community, or when no code is configured: 403.
//   - A body whose secret is not Config.Secret (compared in constant
//     time), or whose group_id is not Config.GroupID: 403. A body that is
//     not an event (not JSON, no type, too big): 400. Not a POST: 405.
//   - A new event: the handler runs while VK waits, and "ok" is answered
//     once it returned nil, within Config.HandlerTimeout. A handler that
//     fails, panics or overruns gets 503 with a Retry-After, its claim of
//     the event_id is released, and VK's resend is handled.
//   - A resend of an event handled before: "ok", and the handler is not
//     called again.
//   - A resend while another delivery of the event is in flight (here or
//     on a replica): 503, so VK sends it again; never "ok", since the
//     first may still fail.
//   - When the de-duplication store fails (Redis down), or the receiver
//     is closing: 503. A 503's body never says why: the reason goes to
//     Config.Logger.
//
// With Config.AtMostOnce, a new event is acknowledged as soon as it is
// queued in memory (bounded by count and bytes; a request waits
// Config.QueueWait for room, then 503) and handled afterwards: an event
// queued when the process dies is lost.
//
// Close stops taking events (503 from then on), waits for the running
// handlers (and the queue), and ends every goroutine the Receiver
// started; Shutdown does the same within its context and says how many
// events it left.
package callback
