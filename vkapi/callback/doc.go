// Package callback is a Callback API receiver for communities: an
// http.Handler that VK (or vkmock) POSTs each event to.
//
//	var r vkevent.Router
//	r.OnMessageNew(func(ctx context.Context, e *vkevent.Event, m *vkevent.MessageNew) error { ... })
//	rc, err := callback.New(callback.Config{Secret: secret, Confirmation: code, Handler: &r})
//	http.Handle("/vk", rc)
//	defer rc.Close()
//
// The Handler is the vkevent.Handler the Long Poll client
// (vkapi/longpoll) calls, so a bot switches transports by changing the
// line that starts it.
//
// # What it answers
//
//   - {"type":"confirmation"}: the confirmation code (Config.Confirmation),
//     HTTP 200, exactly those bytes.
//   - A body whose secret is not Config.Secret (compared in constant
//     time), or whose group_id is not Config.GroupID: 403. A body that is
//     not an event (not JSON, no type, too big): 400. Not a POST: 405.
//   - An event_id seen before (Config.Dedup): "ok", and the handler is not
//     called again: VK resends an event whose answer it did not get in
//     time, so a resend of a handled event is normal.
//   - A new event: it is put on a bounded queue and "ok" is answered at
//     once (VK wants the answer quickly: a slow answer is a failure and the
//     event comes again); workers hand it to the Handler afterwards. When
//     the queue stays full for Config.Budget, the event is not accepted:
//     its de-duplication claim is released and the answer is 503 with a
//     Retry-After, so VK sends it again later. An event is never accepted
//     and then dropped.
//   - When the de-duplication store fails (Redis down): 503, so VK sends
//     the event again.
//
// Each event_id is handled at most once: within the memory window of
// NewMemoryDedup (the default) in one process, across replicas with the
// Redis implementation in vkapi/callback/redisdedup. An event accepted and
// queued when the process dies is lost (at most once, never twice).
//
// A handler's error or panic is reported (Config.OnError, Config.Logger)
// and the workers go on. Close stops accepting (503 from then on), lets
// the workers handle what is queued, and ends every goroutine the
// Receiver started.
package callback
