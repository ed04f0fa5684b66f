package streaming

import (
	"encoding/json"
	"strconv"
)

// Spec describes events to make: by the control API (inject, rate) or
// from a post of the mock's world.
type Spec struct {
	// EventType is "post" (default), "comment" or "share".
	EventType string `json:"event_type,omitempty"`
	Text      string `json:"text"`
	// OwnerID is the wall's owner (default -1, a community); AuthorID the
	// author (default OwnerID).
	OwnerID  int64 `json:"owner_id,omitempty"`
	AuthorID int64 `json:"author_id,omitempty"`
	// PostID is the post; 0 takes the next id of the mock's own range.
	PostID int64 `json:"post_id,omitempty"`
}

// validEventType reports whether t is one of VK's event types.
func validEventType(t string) bool { return t == "" || t == "post" || t == "comment" || t == "share" }

// eventID is the event_id object of VK's events.
type eventID struct {
	PostOwnerID  int64 `json:"post_owner_id"`
	PostID       int64 `json:"post_id"`
	CommentID    int64 `json:"comment_id,omitempty"`
	SharedPostID int64 `json:"shared_post_id,omitempty"`
}

type author struct {
	ID        int64  `json:"id"`
	AuthorURL string `json:"author_url"`
}

type event struct {
	EventType    string   `json:"event_type"`
	EventID      eventID  `json:"event_id"`
	EventURL     string   `json:"event_url"`
	Text         string   `json:"text"`
	Action       string   `json:"action"`
	ActionTime   int64    `json:"action_time"`
	CreationTime int64    `json:"creation_time"`
	Tags         []string `json:"tags"`
	Author       author   `json:"author"`
}

// pageURL is the vk.com address of a user (id>0) or a community.
func pageURL(id int64) string {
	if id < 0 {
		return "https://vk.com/club" + strconv.FormatInt(-id, 10)
	}
	return "https://vk.com/id" + strconv.FormatInt(id, 10)
}

// message builds the code-100 message of an event of spec s, numbered
// seq, at unix time now, with the tags of the rules it matched.
func message(s Spec, seq, now int64, tags []string) ([]byte, eventID) {
	e := event{EventType: s.EventType, Text: s.Text, Action: "new", ActionTime: now, CreationTime: now, Tags: tags}
	if e.EventType == "" {
		e.EventType = "post"
	}
	owner := s.OwnerID
	if owner == 0 {
		owner = -1
	}
	who := s.AuthorID
	if who == 0 {
		who = owner
	}
	e.EventID = eventID{PostOwnerID: owner, PostID: s.PostID}
	wall := "https://vk.com/wall" + strconv.FormatInt(owner, 10) + "_" + strconv.FormatInt(s.PostID, 10)
	e.EventURL = wall
	switch e.EventType {
	case "comment":
		e.EventID.CommentID = seq
		e.EventURL = wall + "?reply=" + strconv.FormatInt(seq, 10)
	case "share":
		e.EventID.SharedPostID = seq
	}
	e.Author = author{ID: who, AuthorURL: pageURL(who)}
	b, _ := json.Marshal(struct {
		Code  int   `json:"code"`
		Event event `json:"event"`
	}{100, e})
	return b, e.EventID
}
