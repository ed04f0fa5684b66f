package userlp

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr/vkmock/internal/core"
)

func newRoom(lim Limits) *Room {
	return New(Deps{Clock: core.NewClock(nil), Seed: 1, Limits: lim, MaxUserID: 1 << 40, MaxGroupID: 1 << 40})
}

// defaultLimits are the façade's, LongPollConfig's defaults.
var defaultLimits = Limits{KeyLifetime: time.Hour, HistoryEvents: 10000, HistoryBytes: 16 << 20, MaxUpdates: 100, TotalBytes: 64 << 20, Users: 10000}

// TotalBytes bounds the histories of all users together: the biggest
// loses its older half.
func TestTotalBytes(t *testing.T) {
	lim := defaultLimits
	lim.TotalBytes = 2000
	r := newRoom(lim)
	big := json.RawMessage(`"` + strings.Repeat("x", 100) + `"`)
	for range 20 {
		if err := r.Inject(Injected{UserID: 1, Update: []json.RawMessage{json.RawMessage("80"), big}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Inject(Injected{UserID: 2, Update: []json.RawMessage{json.RawMessage("80")}}); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var sum int64
	for _, us := range r.users {
		sum += us.hist.Bytes()
	}
	one, two := r.users[1], r.users[2]
	if sum != r.bytes || sum > 2000 || one.hist.Len() == 0 || one.hist.Len() >= 20 || two.hist.Len() != 1 || one.seq != 20 {
		t.Fatalf("bytes %d (counted %d), user 1 keeps %d of %d, user 2 %d", sum, r.bytes, one.hist.Len(), one.seq, two.hist.Len())
	}
}

// A world's update reaches only a user with state; SetOnline tells
// whether the presence changed.
func TestUpdateNeedsState(t *testing.T) {
	r := newRoom(defaultLimits)
	if err := r.Update(5, []any{80, 1}, nil, false); err != nil || r.Users() != 0 {
		t.Fatalf("%v, %d users", err, r.Users())
	}
	if !r.SetOnline(5, true) || r.SetOnline(5, true) || !r.SetOnline(5, false) || r.Users() != 1 {
		t.Fatal("presence changes")
	}
	r.Reset()
	if r.Users() != 0 {
		t.Fatal("Reset kept users")
	}
}
