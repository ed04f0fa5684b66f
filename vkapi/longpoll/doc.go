// Package longpoll is a Bots Long Poll client for communities that
// survives what the wire does to a long-running loop, and proves it
// against vkmock.
//
//	c := vkapi.New(token, vkapi.WithTokenKind(vkapi.KindGroup))
//	var r vkevent.Router
//	r.OnMessageNew(func(ctx context.Context, e *vkevent.Event, m *vkevent.MessageNew) error { ... })
//	p := longpoll.New(c, longpoll.Config{Handler: &r, Store: longpoll.NewFileStore("bot.ts")})
//	err := p.Run(ctx) // until ctx ends, Close, or a fatal error
//
// # Recovery
//
//   - {"failed":1,"ts":N}: continue from N; the events between the old ts
//     and N may be missing, so a Gap (Kind GapOutdated) goes to OnGap, the
//     log and the Observer. A failed 1 without a ts, with the ts asked or
//     with a ts that is not a number backs off like any failure.
//   - {"failed":2}: the key expired. A new key from groups.getLongPollServer,
//     the same ts: nothing is lost.
//   - {"failed":3}: information lost. A new key and ts; the events between
//     the old and the new ts are gone (Bots Long Poll has no history), and
//     that range is reported as a Gap (Kind GapLost).
//   - Any other failed, a network error, a timeout, an HTTP status other
//     than 200, a truncated or non-JSON body: the server, key and ts are
//     kept, and the request is sent again after a backoff with full jitter
//     (Backoff).
//   - groups.getLongPollServer failing: 29 (and 9) cool down until the
//     time the error gives, at least CooldownMin, never in a tight loop;
//     5, 15, 27, 100 and other errors that need a person end Run with a
//     *ServerError; transient failures back off as above.
//   - The HTTP timeout of an a_check is always Wait plus a margin; three
//     a_check requests in a row abandoned at it get a new key.
//   - Failures in a row (failed 2 or 3 to every new key included) back off
//     more and more; the log has one Warn per streak, the Observer every
//     one. A ts that is not a number is a bad answer, never saved.
//
// # Lifecycle
//
// Run once; Close stops polling, waits for the handlers running and ends
// every goroutine; Shutdown bounds that wait; later calls fail with an
// error matching ErrClosed (vkapi.ErrClosed). See docs/events.md.
//
// # Delivery
//
// Events reach the Handler in the order of the answer. A handler's error or
// panic is reported (OnError, the log, the Observer) and the loop goes on.
// With Concurrency > 1 events run on that many workers, the events of one
// peer always on the same worker, so each peer's order is kept.
//
// Progress is saved per event: after each handler returns, the Store gets
// the Position, the ts of the answer being handled and the events of that
// answer already handled; once every event of the answer was handled, the
// answer's new ts with none handled. A poller stopped in the middle of an
// answer (a restart, a crash, another replica taking over) resumes from
// that ts and skips the events the position names, so an event whose
// handler returned and whose position was saved is not delivered again
// (MemoryStore by default, FileStore, or the Redis store of
// vkapi/longpoll/redisstore). What can repeat after a crash is the event
// whose handler was running, or whose save had not completed. Within one
// run, event_ids already handled are also skipped within a bounded window
// (DedupWindow).
//
// The zero Config polls the community of the client's token with wait 25,
// a memory store and one worker, and ignores every event.
package longpoll
