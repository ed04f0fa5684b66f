package eventqueue

import (
	"context"
	"strconv"
	"strings"
)

// trim removes from stream the entries that every consumer group has
// acknowledged: those older than the oldest entry some group still has
// pending or has not yet been delivered. A stream no group reads yet is
// left alone (MaxBacklog bounds it).
func (c *Consumer) trim(ctx context.Context, stream string) error {
	groups, err := c.rdb.XInfoGroups(ctx, stream).Result()
	if err != nil {
		return errorf("read the stream's groups", err)
	}
	if len(groups) == 0 {
		return nil
	}
	minID := ""
	for _, g := range groups {
		point := g.LastDeliveredID
		if g.Pending > 0 {
			p, err := c.rdb.XPending(ctx, stream, g.Name).Result()
			if err != nil {
				return errorf("read the pending entries", err)
			}
			point = p.Lower
		}
		if minID == "" || idLess(point, minID) {
			minID = point
		}
	}
	if minID == "" || minID == "0-0" {
		return nil
	}
	if err := c.rdb.XTrimMinID(ctx, stream, minID).Err(); err != nil {
		return errorf("trim", err)
	}
	return nil
}

// idLess orders stream entry ids ("ms-seq").
func idLess(a, b string) bool {
	am, as := splitID(a)
	bm, bs := splitID(b)
	if am != bm {
		return am < bm
	}
	return as < bs
}

func splitID(id string) (ms, seq uint64) {
	m, s, _ := strings.Cut(id, "-")
	ms, _ = strconv.ParseUint(m, 10, 64)
	seq, _ = strconv.ParseUint(s, 10, 64)
	return ms, seq
}
