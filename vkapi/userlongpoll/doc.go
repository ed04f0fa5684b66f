// Package userlongpoll is a User Long Poll client (a user token's
// messages.getLongPollServer) that loses nothing: after a {"failed":1} or
// {"failed":3} it pages messages.getLongPollHistory from the last handled
// position until the server says there is no more, hands every update to
// the handler, and goes on from the ts the server gives.
//
//	c := vkapi.New(userToken)
//	p := userlongpoll.New(c, userlongpoll.Config{
//		Handler: userlongpoll.HandlerFunc(func(ctx context.Context, u *userlongpoll.Update) error { ... }),
//		Store:   longpoll.NewFileStore("user.pos"),
//	})
//	err := p.Run(ctx)
//
// # Recovery
//
//   - failed 1 or 3: a new key and ts from messages.getLongPollServer, then
//     messages.getLongPollHistory(ts, pts) page after page, each from the
//     new_pts of the one before, until more is false; every update of every
//     page is handled, in order. The next ts is the one of the last page's
//     credentials, or the server's when the history gives none: never a
//     count of entries. A history answer of 907 or 908 (too old, too new)
//     is a gap: OnResync gets a *ResyncError with the range, and the client
//     goes on from the server's ts.
//   - failed 2: a new key, the same ts: nothing is lost.
//   - failed 4: the version is out of range; the client takes the highest
//     the server supports and asks again (after a backoff when the answer
//     names no range).
//   - 29 and 9 from messages.getLongPollServer cool down as Bots Long Poll
//     does; API errors that need a person (5, 15, 27, ...) end Run.
//   - network errors, HTTP statuses other than 200, bodies that are not an
//     answer: server, key and ts are kept; a backoff with full jitter; retry.
//
// # Delivery and progress
//
// Updates reach the Handler one at a time, in order. After each handler
// returns, the position (the ts asked, the pts, the updates of that answer
// or history page already handled) goes to the Store, the same interface,
// memory, file and Redis stores as Bots Long Poll's (vkapi/longpoll), under
// the user's id: a restart resumes from it, so what repeats is only the
// update whose handler was running. The updates handled are named by what
// they are (a new message by its id), not by their index, so they stay
// handled when, after a restart, the answer they were in comes back as a
// history page (which leaves out typing and presence). Give user and community pollers
// different stores (another file, another Redis prefix). Replicas elect one
// poller with redisstore's RunElected, keyed by the user's id, as Bots Long
// Poll's do:
//
//	s.RunElected(ctx, userID, 0, func(ctx context.Context, st longpoll.Store, _ redisstore.Lease) error {
//		return userlongpoll.New(api, userlongpoll.Config{UserID: userID, Store: st, Handler: h}).Run(ctx)
//	})
//
// The a_check goes to the scheme of the API client's base URL (VK's
// server comes without one). Handler errors are reported (OnError, the
// log) and the loop goes on. The lifecycle (Run once, Close, Shutdown) is
// the one of docs/events.md.
package userlongpoll
