// Package vkstream is a client of VK's Streaming API: it manages the rules
// of a stream (list, add, delete, sync to a desired set) and reads the
// stream over a WebSocket, reconnecting after a close or a stall.
//
// The Streaming API has no replay: a disconnection loses the events
// published meanwhile. The client reports each one twice: OnDisconnect when
// it notices the loss, and OnGap, with the time range the events may be
// missing from, once a new connection is up.
//
//	c, err := vkstream.Connect(ctx, api, vkstream.Config{ // api: a vkapi.Client with a service token
//		OnEvent: func(e vkstream.Event) { fmt.Println(e.Tags, e.Text) },
//		OnGap:   func(g vkstream.Gap) { log.Printf("missed %v", g.Duration()) },
//	})
//	_, err = c.SyncRules(ctx, []vkstream.Rule{{Tag: "cats", Value: "кот -собака"}})
//	err = c.Run(ctx) // until ctx ends, Close, or an error no retry fixes
//
// Errors of the Streaming API are *vkerr.StreamingError, matched with
// errors.Is against a vkerr.StreamingCode or a category. The stream key is
// a credential: it never appears in an error or a log.
//
// The WebSocket library (github.com/coder/websocket) is compiled only into
// programs that import this package.
package vkstream
