package benchmarks

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	vksdkapi "github.com/SevereCloud/vksdk/v3/api"

	"github.com/vkerr/vkerr/vkapi"
)

// callCount is how many users.get calls each client makes, in callRounds
// rounds.
const (
	callCount  = 6000
	callRounds = 12
)

// benchUser is the part of a users.get answer the callers decode.
type benchUser struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Photo100  string `json:"photo_100"`
}

// BenchmarkCall calls users.get (one user, two fields) on the mock's
// community token, one call after another: vkapi.Client.Call (its limiter
// on, with a budget that never waits), the Go SDK's UsersGet (its limiter
// off), and a bare net/http POST decoded with encoding/json. Each
// reports calls/s and allocations per call (the whole process's, the
// mock's included); the rates' ratios are vkerr's against the others.
//
//	go test -run '^$' -bench 'Call$' -benchtime 1x
func BenchmarkCall(b *testing.B) {
	r := newRig(b, 16)
	ctx := context.Background()
	clients := []struct {
		name string
		call func() error
	}{
		{"vkerr", func() func() error {
			c := vkapi.New(r.groupToken(), vkapi.WithBaseURL(r.url()), vkapi.WithTokenKind(vkapi.KindGroup),
				vkapi.WithLimit(vkapi.Limit{Per: time.Second, Group: 1 << 30}))
			p := vkapi.Params{"user_ids": 1, "fields": []string{"photo_100", "city"}}
			return func() error {
				var users []benchUser
				return c.Call(ctx, "users.get", p, &users)
			}
		}()},
		{"vksdk", func() func() error {
			vk := vksdkapi.NewVK(r.groupToken())
			vk.MethodURL = r.url() + "/method/"
			vk.Client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
			vk.Limit = 0
			return func() error {
				_, err := vk.UsersGet(vksdkapi.Params{"user_ids": 1, "fields": "photo_100,city"})
				return err
			}
		}()},
		{"bare", func() func() error {
			hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
			form := url.Values{"user_ids": {"1"}, "fields": {"photo_100,city"}, "v": {"5.199"}}.Encode()
			return func() error {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.url()+"/method/users.get", strings.NewReader(form))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Authorization", "Bearer "+r.groupToken())
				resp, err := hc.Do(req)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				var out struct {
					Response []benchUser `json:"response"`
				}
				return json.NewDecoder(resp.Body).Decode(&out)
			}
		}()},
	}
	// Rounds alternate the clients, so that a change of the shared
	// machine's load falls on all of them alike.
	// Each client's calls (and the connection goroutines its first call
	// starts) carry its name as a profile label: with -cpuprofile,
	// `go tool pprof -tags` shows each client's own CPU time.
	labeled := func(name string, f func()) {
		pprof.Do(context.Background(), pprof.Labels("caller", name), func(context.Context) { f() })
	}
	for _, c := range clients {
		labeled(c.name, func() {
			if err := c.call(); err != nil { // a warm connection
				b.Fatal(err)
			}
		})
	}
	for range b.N {
		took := make([]time.Duration, len(clients))
		allocs := make([]uint64, len(clients))
		for range callRounds {
			for i, c := range clients {
				before := sampleMem()
				t0 := time.Now()
				labeled(c.name, func() {
					for range callCount / callRounds {
						if err := c.call(); err != nil {
							b.Fatal(err)
						}
					}
				})
				took[i] += time.Since(t0)
				allocs[i] += sampleMem().mallocs - before.mallocs
			}
		}
		for i, c := range clients {
			b.ReportMetric(float64(callCount)/took[i].Seconds(), c.name+"-calls/s")
			b.ReportMetric(float64(allocs[i])/callCount, c.name+"-allocs/call")
		}
		b.ReportMetric(took[len(clients)-1].Seconds()/took[0].Seconds(), "vkerr/bare-rate")
		b.ReportMetric(took[1].Seconds()/took[0].Seconds(), "vkerr/vksdk-rate")
	}
}
