package callback

import (
	"net/http"
	"slices"
	"time"

	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// DefaultSchedule returns the delays before each resend of a failed
// event: VK's is not documented; a second-hand summary says about 10 s, 3,
// 10 and 30 minutes, then an hour.
func DefaultSchedule() []time.Duration {
	return []time.Duration{10 * time.Second, 3 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour}
}

// Config configures the Callback API sender. The zero value of a
// field means its default.
type Config struct {
	// Schedule is the delays before each resend of a failed event, on the
	// mock's clock (default DefaultSchedule()); after the last the
	// event is given up.
	Schedule []time.Duration
	// Timeout bounds one POST, on the real clock (default 5 s).
	Timeout time.Duration
	// PauseAfter failures in a row pause a server (default 5) for Pause
	// (default 10 minutes, on the mock's clock).
	PauseAfter int
	Pause      time.Duration
	// Senders bounds the POSTs in flight, all servers together (default 8).
	Senders int
	// Pending and PendingBytes bound the deliveries waiting to be sent or
	// resent (default 100 000, 64 MiB); an event beyond them is dropped
	// for that server and logged as "dropped".
	Pending      int
	PendingBytes int64
	// LogSize and LogBytes bound the delivery log (default 10 000 records,
	// 8 MiB), oldest evicted first.
	LogSize  int
	LogBytes int64
	// Communities bounds the communities with Callback servers (default
	// 1000).
	Communities int
	// HTTPClient sends the POSTs; nil is a client of the mock's own, whose
	// connections Close ends. Its Timeout is not used (Timeout is).
	HTTPClient *http.Client `json:"-"`
}

func (c Config) withDefaults() Config {
	if len(c.Schedule) == 0 {
		c.Schedule = DefaultSchedule()
	}
	c.Schedule = slices.Clone(c.Schedule)
	c.Timeout = core.PositiveOr(c.Timeout, DefaultTimeout)
	c.PauseAfter = core.PositiveOr(c.PauseAfter, DefaultPauseAfter)
	c.Pause = core.PositiveOr(c.Pause, DefaultPause)
	c.Senders = core.PositiveOr(c.Senders, DefaultSenders)
	c.Pending = core.PositiveOr(c.Pending, DefaultPending)
	c.PendingBytes = core.PositiveOr(c.PendingBytes, DefaultPendingSize)
	c.LogSize = core.PositiveOr(c.LogSize, DefaultLogSize)
	c.LogBytes = core.PositiveOr(c.LogBytes, DefaultLogBytes)
	c.Communities = core.PositiveOr(c.Communities, DefaultCommunities)
	return c
}

// Server is a community's Callback server (groups.getCallbackServers
// shows all but PausedUntil and Failures).
type Server struct {
	ID        int64  `json:"id"`
	GroupID   int64  `json:"group_id"`
	Title     string `json:"title"`
	CreatorID int64  `json:"creator_id"`
	URL       string `json:"url"`
	// SecretKey is the secret sent in every body. It is a credential:
	// the control API shows it only as set or not.
	SecretKey string `json:"-"`
	HasSecret bool   `json:"has_secret"`
	Status    string `json:"status"`
	// Confirmed: the confirmation succeeded (Status may still be failed
	// while paused).
	Confirmed bool `json:"confirmed"`
	// Failures is the number of failures in a row since the last success
	// or pause; PausedUntil, when after the mock's now, is the end of a
	// pause.
	Failures    int       `json:"failures"`
	PausedUntil time.Time `json:"paused_until,omitzero"`
	APIVersion  string    `json:"api_version"`
	// Events are the event types sent (groups.setCallbackSettings); a new
	// server takes none, as on VK.
	Events map[string]bool `json:"events"`
}

// Delivery is one attempt of the sender (GET /__vkmock/callback/log).
type Delivery struct {
	Time     time.Time    `json:"time"` // the mock's clock when sent
	GroupID  int64        `json:"group_id"`
	ServerID int64        `json:"server_id"`
	EventID  string       `json:"event_id,omitempty"` // "" for a confirmation
	Type     vkevent.Type `json:"type"`
	Attempt  int          `json:"attempt"` // 1 for the first POST
	Status   int          `json:"status"`  // HTTP status; 0 when none came
	Answer   string       `json:"answer"`  // the first bytes of the body, or the error
	// Outcome: ok, confirmed, failed, paused (failed and the server
	// paused), retry_after, removed, given_up (failed, no resend left),
	// not_confirmed, dropped (pending store full), detached (the server
	// was deleted or removed before the attempt).
	Outcome   string    `json:"outcome"`
	LatencyMS float64   `json:"latency_ms"`
	Next      time.Time `json:"next,omitzero"` // the next attempt, when one is scheduled
}

func (d *Delivery) size() int64 {
	return int64(len(d.EventID) + len(d.Answer) + len(d.Type) + len(d.Outcome) + 160)
}
