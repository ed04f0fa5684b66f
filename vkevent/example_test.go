package vkevent_test

import (
	"context"
	"fmt"

	"github.com/vkerr/vkerr/vkevent"
)

func ExampleRouter() {
	body := []byte(`{"ts":"4","updates":[
		{"type":"message_new","object":{"message":{"peer_id":5,"from_id":5,"text":"hi"},"client_info":{}},"group_id":1,"event_id":"a","v":"5.199"},
		{"type":"group_join","object":{"user_id":5,"join_type":"join"},"group_id":1,"event_id":"b","v":"5.199"}]}`)
	var r vkevent.Router
	r.OnMessageNew(func(_ context.Context, _ *vkevent.Event, o *vkevent.MessageNew) error {
		fmt.Printf("message from %d: %s\n", o.Message.FromID, o.Message.Text)
		return nil
	})
	r.OnGroupJoin(func(_ context.Context, _ *vkevent.Event, o *vkevent.GroupJoin) error {
		fmt.Printf("%d joined (%s)\n", o.UserID, o.JoinType)
		return nil
	})
	a, err := vkevent.DecodeLongPoll(body)
	if err != nil {
		panic(err)
	}
	for i := range a.Events {
		_ = r.HandleEvent(context.Background(), &a.Events[i])
	}
	fmt.Println("next ts", a.TS)
	// Output:
	// message from 5: hi
	// 5 joined (join)
	// next ts 4
}
