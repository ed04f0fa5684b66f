package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock"
)

// The Long Poll part of vk demo: one poller of vkapi/longpoll against the
// demo's mock rides out an expired key, a loss of information and network
// faults. It returns how many steps did not go as documented.
func (d *demo) longPollDemo(ctx context.Context) int {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	fmt.Fprint(d.w, d.tr("\nBots Long Poll: vkapi/longpoll against the mock's Long Poll server\n"))
	gid := vkmock.DefaultGroupID
	if err := d.srv.LongPoll().SetSettings(vkmock.LongPollSettings{GroupID: gid, Enabled: true}); err != nil {
		fmt.Fprintf(d.w, d.tr("  setup failed: %v\n"), err)
		return 1
	}
	texts := make(chan string, 16)
	gate, busy := make(chan struct{}), make(chan struct{}, 1)
	handler := vkevent.HandlerFunc(func(ctx context.Context, e *vkevent.Event) error {
		f, _ := e.MessageFields()
		if f.Text == "busy" {
			busy <- struct{}{}
			select { // the bot is busy: what comes meanwhile waits on the server
			case <-gate:
			case <-ctx.Done():
			}
		}
		texts <- f.Text
		return nil
	})
	recoveries := make(chan longpoll.RecoveryEvent, 64)
	gaps := make(chan longpoll.Gap, 4)
	store := &longpoll.MemoryStore{}
	_ = store.Save(ctx, gid, longpoll.Position{TS: "0"}) // from the first event, however the start races with the writes
	api := d.client(d.srv.Tokens().Of(vkmock.TokenGroup).Token, vkapi.KindGroup)
	p := longpoll.New(api, longpoll.Config{Handler: handler, Store: store, Wait: 2 * time.Second,
		Backoff: longpoll.Backoff{Base: 50 * time.Millisecond, Max: 200 * time.Millisecond},
		Observer: longpoll.ObserverFuncs{
			Recovery: func(_ context.Context, e longpoll.RecoveryEvent) {
				select {
				case recoveries <- e:
				default:
				}
			},
			Gap: func(_ context.Context, g longpoll.Gap) { gaps <- g },
		}})
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		_ = p.Close()
		<-done
	}()
	write := func(text string) {
		if _, err := d.srv.World().Inbox(vkmock.InboxMessage{FromID: vkmock.WorldFriendID, GroupID: gid, Text: text}); err != nil {
			fmt.Fprintf(d.w, d.tr("  inbox: %v\n"), err)
		}
	}
	receive := func(want string) bool {
		for {
			select {
			case got := <-texts:
				if got == want {
					return true
				}
			case <-ctx.Done():
				return false
			}
		}
	}
	sawRecoveries := func(failures ...string) bool {
		want := map[string]bool{}
		for _, f := range failures {
			want[f] = true
		}
		for len(want) > 0 {
			select {
			case e := <-recoveries:
				delete(want, e.Failure)
			case <-ctx.Done():
				return false
			}
		}
		return true
	}
	failed := 0
	result := func(n int, title, setup, did string, ok bool) {
		mark := d.tr("as documented")
		if !ok {
			mark, failed = d.tr("NOT AS DOCUMENTED"), failed+1
		}
		fmt.Fprintf(d.w, d.tr("\n[LP %d/3] %s\n  setup:  %s\n  client: %s\n  result: %s\n"), n, title, setup, did, mark)
	}

	write("hello")
	ok := receive("hello")
	d.srv.LongPoll().Expire(gid)
	write("written while the key expired")
	ok = ok && sawRecoveries("failed_2") && receive("written while the key expired")
	result(1, d.tr(`{"failed":2} — the key expired`), d.tr("the mock expires every key of the community, then a user writes"),
		d.tr("got a new key from groups.getLongPollServer and kept its ts: the message written meanwhile arrived"), ok)

	write("busy")
	select { // until the handler holds the "busy" event
	case <-busy:
	case <-ctx.Done():
	}
	write("lost 1")
	write("lost 2")
	d.srv.LongPoll().Lose(gid)
	close(gate)
	var gap longpoll.Gap
	select {
	case gap = <-gaps:
	case <-ctx.Done():
	}
	lost := 0
	for _, e := range d.srv.LongPoll().Events() {
		if e.Lost {
			lost++
		}
	}
	write("after the loss")
	ok = receive("busy") && gap.Kind == longpoll.GapLost && lost == 2 && receive("after the loss")
	result(2, d.tr(`{"failed":3} — information lost`), d.tr("while the bot is busy two messages come, and the mock loses them"),
		fmt.Sprintf(d.tr("got a new key and ts and reported the gap: ts %s to %s (the mock lost %d events)"), gap.From, gap.To, lost), ok)

	for _, f := range []vkmock.Fault{{Effect: "truncate", Times: 1}, {HTTPStatus: 502, Times: 1}} {
		f.Method = "longpoll.bots"
		if _, err := d.srv.Faults().Add(f); err != nil {
			fmt.Fprintf(d.w, d.tr("  fault: %v\n"), err)
		}
	}
	write("after the faults")
	ok = sawRecoveries("network", "http_status") && receive("after the faults")
	result(3, d.tr("network faults on a_check"), d.tr("the next a_check answer is cut short, the one after is an HTML 502"),
		d.tr("kept server, key and ts, backed off with jitter and went on: the message arrived"), ok)
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(d.w, d.tr("  stopped: %v\n"), err)
	}
	fmt.Fprintf(d.w, d.tr("\n%d of 3 Long Poll steps went as documented.\n"), 3-failed)
	return failed
}
