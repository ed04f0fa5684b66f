package eventqueue

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stats is what a person watches of a queue.
type Stats struct {
	Queue      string
	Partitions []PartitionStats
	Groups     []GroupStats
	Dead       int64 // entries in the dead-letter stream
}

// PartitionStats is one partition stream.
type PartitionStats struct {
	Partition int
	Length    int64 // entries kept, acknowledged ones not yet trimmed included
}

// GroupStats is one consumer group over all partitions.
type GroupStats struct {
	Group string
	// Backlog counts the entries not yet acknowledged: never delivered
	// (lag) plus pending.
	Backlog int64
	// Pending counts the entries delivered and not yet acknowledged.
	Pending int64
	// OldestPending is the age of the oldest pending entry (0 when none).
	OldestPending time.Duration
	// Consumers maps each consumer to its pending entries.
	Consumers map[string]int64
	// Members counts the consumers alive in the group now.
	Members int64
}

// ReadStats reads the statistics of the queue opts names.
func ReadStats(ctx context.Context, rdb redis.UniversalClient, opts Options) (Stats, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	k := keysOf(o.Name)
	now, err := rdb.Time(ctx).Result()
	if err != nil {
		return Stats{}, errorf("read the time", err)
	}
	st := Stats{Queue: o.Name}
	groups := map[string]*GroupStats{}
	var order []string
	for i := range o.Partitions {
		stream := k.partition(i)
		n, err := rdb.XLen(ctx, stream).Result()
		if err != nil {
			return Stats{}, errorf("read a stream's length", err)
		}
		st.Partitions = append(st.Partitions, PartitionStats{Partition: i, Length: n})
		if n == 0 {
			if ok, err := rdb.Exists(ctx, stream).Result(); err != nil || ok == 0 {
				continue
			}
		}
		infos, err := rdb.XInfoGroups(ctx, stream).Result()
		if err != nil && !isNoKey(err) {
			return Stats{}, errorf("read a stream's groups", err)
		}
		for _, g := range infos {
			gs := groups[g.Name]
			if gs == nil {
				gs = &GroupStats{Group: g.Name, Consumers: map[string]int64{}}
				groups[g.Name] = gs
				order = append(order, g.Name)
			}
			gs.Pending += g.Pending
			gs.Backlog += g.Pending + max(g.Lag, 0)
			if g.Pending == 0 {
				continue
			}
			p, err := rdb.XPending(ctx, stream, g.Name).Result()
			if err != nil {
				return Stats{}, errorf("read the pending entries", err)
			}
			for name, cnt := range p.Consumers {
				gs.Consumers[name] += cnt
			}
			ms, _ := splitID(p.Lower)
			if age := now.Sub(time.UnixMilli(int64(ms))); age > gs.OldestPending {
				gs.OldestPending = age
			}
		}
	}
	for _, name := range order {
		gs := groups[name]
		members, err := rdb.ZCount(ctx, k.members(name), strconv.FormatInt(now.UnixMilli(), 10), "+inf").Result()
		if err != nil {
			return Stats{}, errorf("read the group's members", err)
		}
		gs.Members = members
		st.Groups = append(st.Groups, *gs)
	}
	if st.Dead, err = rdb.XLen(ctx, k.dead()).Result(); err != nil {
		return Stats{}, errorf("read the dead letters", err)
	}
	return st, nil
}

func isNoKey(err error) bool {
	return err != nil && !errors.Is(err, redis.Nil) && strings.Contains(err.Error(), "no such key")
}
