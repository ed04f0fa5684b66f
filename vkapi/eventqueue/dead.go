package eventqueue

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/vkerr/vkerr/vkevent"
)

// DeadLetter is an entry whose handler kept failing.
type DeadLetter struct {
	ID         string // its id in the dead-letter stream
	Partition  int
	Entry      string // its id in its partition when it died
	Group      string
	Deliveries int64
	Error      string // the handler's last error
	Event      *vkevent.Event
}

// ListDead returns up to n dead letters, oldest first (all when n <= 0).
func ListDead(ctx context.Context, rdb redis.UniversalClient, opts Options, n int64) ([]DeadLetter, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	var msgs []redis.XMessage
	if n > 0 {
		msgs, err = rdb.XRangeN(ctx, keysOf(o.Name).dead(), "-", "+", n).Result()
	} else {
		msgs, err = rdb.XRange(ctx, keysOf(o.Name).dead(), "-", "+").Result()
	}
	if err != nil {
		return nil, errorf("read the dead letters", err)
	}
	out := make([]DeadLetter, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, deadLetterOf(m))
	}
	return out, nil
}

func deadLetterOf(m redis.XMessage) DeadLetter {
	str := func(k string) string { s, _ := m.Values[k].(string); return s }
	d := DeadLetter{ID: m.ID, Entry: str("entry"), Group: str("group"), Error: str("error")}
	d.Partition, _ = strconv.Atoi(str("partition"))
	d.Deliveries, _ = strconv.ParseInt(str("deliveries"), 10, 64)
	var e vkevent.Event
	if json.Unmarshal([]byte(str(fieldEvent)), &e) == nil {
		d.Event = &e
	}
	return d
}

// redriveScript appends a dead letter to its partition again and removes it
// from the dead-letter stream, in one step. KEYS: the dead-letter stream,
// the partition stream. ARGV: the dead letter's id, then the entry's
// fields. It answers 0 when the dead letter is gone already.
var redriveScript = redis.NewScript(`
if #redis.call("XRANGE", KEYS[1], ARGV[1], ARGV[1]) == 0 then return 0 end
redis.call("XADD", KEYS[2], "*", unpack(ARGV, 2))
redis.call("XDEL", KEYS[1], ARGV[1])
return 1`)

// Redrive appends the dead letters with the given ids (all of them when
// ids is empty) to their partitions again, to be handled anew by every
// group, and returns how many it moved.
func Redrive(ctx context.Context, rdb redis.UniversalClient, opts Options, ids ...string) (int, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return 0, err
	}
	k := keysOf(o.Name)
	var msgs []redis.XMessage
	if len(ids) == 0 {
		if msgs, err = rdb.XRange(ctx, k.dead(), "-", "+").Result(); err != nil {
			return 0, errorf("read the dead letters", err)
		}
	} else {
		for _, id := range ids {
			m, err := rdb.XRange(ctx, k.dead(), id, id).Result()
			if err != nil {
				return 0, errorf("read a dead letter", err)
			}
			msgs = append(msgs, m...)
		}
	}
	moved := 0
	for _, m := range msgs {
		d := deadLetterOf(m)
		part := d.Partition
		if part < 0 || part >= o.Partitions {
			part = 0
		}
		ev, _ := m.Values[fieldEvent].(string)
		key, _ := m.Values[fieldKey].(string)
		n, err := redriveScript.Run(ctx, rdb, []string{k.dead(), k.partition(part)}, m.ID, fieldEvent, ev, fieldKey, key).Int()
		if err != nil {
			return moved, errorf("redrive", err)
		}
		moved += n
	}
	return moved, nil
}
