package benchmarks

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// BenchmarkVKMockLongPoll measures the mock's Bots Long Poll serving rate
// alone: 20,000 queued events fetched by a loop that reads each answer and
// takes its ts, decoding nothing else (the events are counted by their
// "event_id" keys). Every client above reads the same answers, so this is
// the ceiling the mock puts on them.
//
//	go test -run '^$' -bench VKMockLongPoll -benchtime 1x
func BenchmarkVKMockLongPoll(b *testing.B) {
	for range b.N {
		b.StopTimer()
		r := newRig(b, drainEvents)
		for i := range drainEvents {
			r.inbox(b, "message "+strconv.Itoa(i))
		}
		hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
		var srv struct {
			Response struct{ Key, Server string } `json:"response"`
		}
		resp, err := hc.PostForm(r.url()+"/method/groups.getLongPollServer", url.Values{
			"group_id": {strconv.FormatInt(r.groupID(), 10)}, "access_token": {r.groupToken()}, "v": {"5.199"}})
		if err != nil {
			b.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&srv)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		base := srv.Response.Server + "?act=a_check&wait=25&key=" + url.QueryEscape(srv.Response.Key) + "&ts="
		collectGarbage()
		before := sampleMem()
		b.StartTimer()
		t0 := time.Now()
		ts, got := []byte("0"), 0
		for got < drainEvents {
			resp, err := hc.Get(base + string(ts))
			if err != nil {
				b.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
			got += bytes.Count(body, []byte(`"event_id":`))
			ts = answerTS(body)
			if ts == nil {
				b.Fatalf("no ts in %.100s", body)
			}
		}
		d := time.Since(t0)
		b.StopTimer()
		reportPerEvent(b, drainEvents, d, before)
		r.close()
	}
}

// answerTS finds the ts string of a Bots Long Poll answer.
func answerTS(body []byte) []byte {
	_, rest, ok := bytes.Cut(body, []byte(`"ts":"`))
	if !ok {
		return nil
	}
	ts, _, ok := bytes.Cut(rest, []byte(`"`))
	if !ok {
		return nil
	}
	return ts
}
