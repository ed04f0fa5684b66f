package world

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Reading the stored messages back: messages.getById, and the attachment
// parameter of messages.send and messages.edit, kept as sent.

// maxAttachments is VK's bound on the attachment parameter of
// messages.send.
const maxAttachments = 10

// attachmentRe is one item of the attachment parameter: TYPE OWNER_ID,
// "_", MEDIA_ID, and an optional "_" ACCESS_KEY. The types are those of
// VK's messages.send page the mock can describe (not market, poll).
var attachmentRe = regexp.MustCompile(`^(photo|video|audio|doc|wall)(-?[0-9]{1,19})_([0-9]{1,19})(?:_([0-9A-Za-z]{1,64}))?$`)

// attachmentParam parses the attachment parameter: nil when absent, error
// 100 for an item that is not TYPEOWNER_ID or more than 10 items.
func (r *Room) attachmentParam(q *core.Request) ([]string, *vkerr.Error) {
	v, _ := q.Get("attachment")
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var out []string
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if len(out) == maxAttachments || !attachmentRe.MatchString(item) {
			return nil, r.param("attachment is invalid")
		}
		out = append(out, strings.Clone(item)) // not a slice of the request's body
	}
	return out, nil
}

func attachmentsBytes(att []string) int {
	n := 0
	for _, a := range att {
		n += len(a) + 16
	}
	return n
}

// attachmentObjects are the attachments as a message object lists them:
// the type and the media's id, owner_id and access_key, with the fields
// the schema requires of a photo, doc or audio filled with empty values
// (the mock keeps no media); date is the message's.
func attachmentObjects(att []string, date int64) []any {
	out := make([]any, 0, len(att))
	for _, a := range att {
		m := attachmentRe.FindStringSubmatch(a)
		if m == nil {
			continue
		}
		owner, _ := strconv.ParseInt(m[2], 10, 64)
		id, _ := strconv.ParseInt(m[3], 10, 64)
		media := map[string]any{"id": id, "owner_id": owner}
		if m[4] != "" {
			media["access_key"] = m[4]
		}
		switch m[1] {
		case "photo":
			media["album_id"], media["date"], media["has_tags"] = 0, date, false
		case "doc":
			media["title"], media["size"], media["ext"], media["date"], media["type"] = "", 0, "", date, 8
		case "audio":
			media["artist"], media["title"], media["duration"] = "", "", 0
		}
		out = append(out, map[string]any{"type": m[1], m[1]: media})
	}
	return out
}

// messagesGetByID answers the stored messages of the caller's
// conversations among message_ids (at most 100), in the order asked;
// others, deleted ones and unknown ids are left out, as VK does.
func (r *Room) messagesGetByID(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	raw, _ := q.Get("message_ids")
	var ids []int64
	for f := range strings.SplitSeq(raw, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil || id <= 0 || len(ids) == 100 {
			return nil, r.param("message_ids is invalid")
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, r.param("message_ids is undefined")
	}
	me := Caller(tok)
	items := []any{}
	r.mu.RLock()
	for _, id := range ids {
		m := r.messageLocked(id)
		if m == nil || m.DeletedForAll || (m.FromID != me && m.PeerID != me) {
			continue
		}
		seen, out := *m, 1
		if m.FromID != me {
			// Seen from the recipient, the conversation's peer is the
			// sender (a chat keeps its peer_id).
			out = 0
			if m.PeerID < ChatPeerBase {
				seen.PeerID = m.FromID
			}
		}
		o := messageObject(seen, out, "", 0)
		o["version"] = m.ID // the schema requires it; the mock's choice of value
		items = append(items, o)
	}
	r.mu.RUnlock()
	b, err := json.Marshal(map[string]any{"count": len(items), "items": items})
	if err != nil {
		return nil, r.coded(vkerr.Server)
	}
	return b, nil
}
