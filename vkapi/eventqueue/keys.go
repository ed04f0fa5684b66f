package eventqueue

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/vkerr/vkerr/vkevent"
)

// Defaults of Options fields left zero.
const (
	DefaultName          = "events"
	DefaultGroup         = "vk"
	DefaultPartitions    = 16
	DefaultMaxBacklog    = 10000
	DefaultDedupTTL      = 24 * time.Hour
	DefaultDeadMax       = 10000
	DefaultMaxDeliveries = 5
	DefaultLeaseTTL      = 15 * time.Second
)

// Options names a queue and sets its bounds. Producers and consumers of one
// queue must agree on Name and Partitions; the zero value is the queue
// "events" with the defaults above.
type Options struct {
	// Name names the queue; all its keys start with {vkq:Name}.
	Name string
	// Partitions is the number of streams events are spread over by their
	// order key (DefaultPartitions when 0), the most consumers of one group
	// that can work at once. It is fixed when the queue is first used: a
	// producer or consumer with another number fails with an error.
	Partitions int
	// MaxBacklog bounds each partition stream (DefaultMaxBacklog when 0).
	MaxBacklog int
	// DedupTTL is how long an appended event_id is remembered
	// (DefaultDedupTTL when 0).
	DedupTTL time.Duration
	// DeadMax bounds the dead-letter stream (DefaultDeadMax when 0).
	DeadMax int
}

func (o Options) withDefaults() (Options, error) {
	if o.Partitions < 0 || o.MaxBacklog < 0 || o.DedupTTL < 0 || o.DeadMax < 0 {
		return o, errors.New("eventqueue: Partitions, MaxBacklog, DedupTTL and DeadMax must not be negative")
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.Partitions == 0 {
		o.Partitions = DefaultPartitions
	}
	if o.Partitions > 1024 {
		return o, errors.New("eventqueue: Partitions must be at most 1024")
	}
	if o.MaxBacklog == 0 {
		o.MaxBacklog = DefaultMaxBacklog
	}
	if o.DedupTTL == 0 {
		o.DedupTTL = DefaultDedupTTL
	}
	if o.DeadMax == 0 {
		o.DeadMax = DefaultDeadMax
	}
	return o, nil
}

// keys names the Redis keys of one queue; every key carries the queue's
// hash tag, so that each script's keys are in one slot.
type keys struct{ tag string }

func keysOf(name string) keys { return keys{tag: "{vkq:" + name + "}"} }

func (k keys) meta() string           { return k.tag + ":meta" }
func (k keys) partition(i int) string { return k.tag + ":p:" + strconv.Itoa(i) }
func (k keys) seen(eventID string) string {
	return k.tag + ":seen:" + eventID
}
func (k keys) dead() string                { return k.tag + ":dead" }
func (k keys) members(group string) string { return k.tag + ":g:" + group + ":members" }
func (k keys) lease(group string, i int) string {
	return k.tag + ":g:" + group + ":lease:" + strconv.Itoa(i)
}
func (k keys) tries(group string) string { return k.tag + ":g:" + group + ":tries" }
func (k keys) errs(group string) string  { return k.tag + ":g:" + group + ":errors" }

// partitionOf is the partition of an event: the hash of its order key.
func partitionOf(e *vkevent.Event, n int) int {
	h := fnv.New32a()
	h.Write([]byte(orderKey(e)))
	return int(h.Sum32() % uint32(n))
}

// orderKey is what orders events: the peer of message events, else the
// event type (events without a peer keep their order among their type),
// as in the Long Poll client.
func orderKey(e *vkevent.Event) string {
	if f, ok := e.MessageFields(); ok {
		return "peer:" + strconv.FormatInt(f.PeerID, 10)
	}
	if peer, ok := e.Extra[PeerField]; ok {
		return "peer:" + string(peer)
	}
	return "type:" + string(e.Type)
}

// PeerField is the envelope field that names the peer of an event the
// community event model does not know (such as a User Long Poll update put
// in the queue), so that its order is kept with its peer's other events.
const PeerField = "peer_id"

// entryField names the fields of a stream entry.
const (
	fieldEvent = "event" // the event as JSON (vkevent.Event's encoding: no secret)
	fieldKey   = "key"   // its order key, for people reading the stream
)

// errorf wraps an error of Redis with what was being done.
func errorf(what string, err error) error {
	return fmt.Errorf("eventqueue: %s: %w", what, err)
}
