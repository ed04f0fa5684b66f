package userlongpoll

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
)

// historyPage is one answer of messages.getLongPollHistory.
type historyPage struct {
	History  []json.RawMessage `json:"history"`
	NewPTS   json.RawMessage   `json:"new_pts"`
	More     json.RawMessage   `json:"more"`
	Messages struct {
		Items []json.RawMessage `json:"items"`
	} `json:"messages"`
	Credentials *struct {
		Key    string          `json:"key"`
		Server string          `json:"server"`
		TS     json.RawMessage `json:"ts"`
	} `json:"credentials"`
}

// maxHistoryPages bounds the pages of one recovery: VK answers up to 1,000
// events a page, so a million events; past it the recovery starts again
// from where it got to.
const maxHistoryPages = 1000

// maxOverlap bounds the updates of a history page remembered to skip their
// repeats in the a_check after the recovery.
const maxOverlap = 1000

// maxSnapshots bounds how often one recovery asks messages.getLongPollServer
// for a ts that matches the end of the history.
const maxSnapshots = 5

// recover handles what a_check can no longer give, from the position's ts
// and pts; until it ends, the loop calls it again rather than poll. It takes a snapshot of the server's position (a new key, ts and
// pts from messages.getLongPollServer), pages messages.getLongPollHistory
// from the position's pts until more is false, handling every update of
// every page, the position moving to each page's new_pts as the page is
// done. The next ts is then the server's: the one of the last page's
// credentials, or the snapshot's when the history ended at the snapshot's
// pts; when it ended elsewhere (updates came meanwhile), a new snapshot is
// taken and the history paged on from where it ended. A ts is never
// computed from a count of updates.
func (p *Poller) recover(ctx, handle context.Context) error {
	p.recovering = true
	for round := 1; ; round++ {
		if err := p.fetchServer(ctx, true); err != nil {
			p.key = ""
			return err
		}
		nextTS, serverPTS := p.serverTS, p.serverPTS
		credTS, err := p.pageHistory(ctx, handle, nextTS, serverPTS)
		if err != nil {
			return err
		}
		switch {
		case credTS > 0:
			nextTS = credTS
			p.overlap = nil
		case p.pts < serverPTS && round < maxSnapshots:
			continue // the history ended before the snapshot: page on
		case p.pts == serverPTS:
			p.overlap = nil
		}
		// Otherwise the history went past the snapshot (updates came
		// meanwhile): the first a_check from the snapshot's ts gives them
		// again, and they are skipped (p.overlap).
		p.recovering = false
		p.moveTo(nextTS, max(p.pts, serverPTS))
		p.save(ctx)
		return nil
	}
}

// pageHistory pages messages.getLongPollHistory from (ts, p.pts) until more
// is false, handling every update. It returns the ts of the last page's
// credentials, if any. A 907 or 908 is a gap up to (toTS, toPTS): reported,
// and the position moves there.
func (p *Poller) pageHistory(ctx, handle context.Context, toTS, toPTS int64) (credTS int64, err error) {
	ts := p.ts
	p.mark(recoveringKey)
	for range maxHistoryPages {
		var h historyPage
		err := p.api.Call(ctx, "messages.getLongPollHistory", vkapi.Params{"ts": ts, "pts": p.pts, "lp_version": p.cfg.Version,
			"events_limit": 1000, "msgs_limit": 200, "credentials": 1}, &h)
		var ve *vkerr.Error
		if errors.As(err, &ve) && (ve.Code == vkerr.MessagesTooOldPts || ve.Code == vkerr.MessagesTooNewPts) {
			re := &ResyncError{FromTS: ts, ToTS: toTS, FromPTS: p.pts, ToPTS: toPTS, Err: err}
			p.log.Error("userlongpoll: a full resync is needed", "from_ts", ts, "to_ts", toTS, "from_pts", p.pts, "to_pts", toPTS, "err", err)
			if p.cfg.OnResync != nil {
				p.cfg.OnResync(re)
			}
			p.pts = toPTS
			return toTS, nil
		}
		if err != nil {
			p.key = "" // from the same position with a new key
			return 0, err
		}
		newPTS, ok := number(h.NewPTS)
		more := string(h.More) == "true" || string(h.More) == "1"
		if !ok || newPTS < p.pts || (more && newPTS == p.pts) {
			p.key = ""
			return 0, &vkerr.FormatError{Reason: "messages.getLongPollHistory answered a new_pts " + strconv.Quote(string(h.NewPTS)) +
				" that does not move on from pts " + strconv.FormatInt(p.pts, 10)}
		}
		ups := decodeHistory(h.History, h.Messages.Items)
		p.overlap = map[string]int{}
		for i := range ups[max(0, len(ups)-maxOverlap):] {
			p.overlap[ups[i].key()]++
		}
		p.log.Debug("userlongpoll: history page", "pts", p.pts, "new_pts", newPTS, "updates", len(ups), "more", more)
		if !p.deliver(ctx, handle, ups) {
			return 0, ctx.Err()
		}
		p.moveTo(ts, newPTS)
		p.mark(recoveringKey)
		p.save(ctx)
		if !more {
			if c := h.Credentials; c != nil {
				if cts, ok := number(c.TS); ok && cts > 0 && c.Key != "" && c.Server != "" {
					p.key, p.server = c.Key, c.Server
					return cts, nil
				}
			}
			return 0, nil
		}
	}
	p.log.Warn("userlongpoll: the history has more pages than one recovery takes; going on from where it got", slog.Int64("pts", p.pts))
	p.key = ""
	return 0, nil
}

// decodeHistory makes updates of a history page, each message update (4,
// 5, 10004, 10005, ...) with its message object from items when the page
// has it.
func decodeHistory(history, items []json.RawMessage) []Update {
	byID := map[int64]json.RawMessage{}
	for _, it := range items {
		var m struct {
			ID int64 `json:"id"`
		}
		if json.Unmarshal(it, &m) == nil && m.ID > 0 {
			byID[m.ID] = it
		}
	}
	ups := make([]Update, len(history))
	for i, raw := range history {
		ups[i] = decodeUpdate(raw)
		if m, err := ups[i].Message(); err == nil && m.MessageID > 0 {
			id := m.MessageID
			ups[i].Object = byID[id]
		}
	}
	return ups
}
