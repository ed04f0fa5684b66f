package vkstream

import (
	"encoding/json"
	"time"
)

// EventType is the kind of object an event is about.
type EventType string

// VK's event types.
const (
	Post    EventType = "post"
	Comment EventType = "comment"
	Share   EventType = "share"
)

// EventID identifies the object of an event.
type EventID struct {
	PostOwnerID  int64 `json:"post_owner_id"`
	PostID       int64 `json:"post_id"`
	CommentID    int64 `json:"comment_id,omitempty"`     // comments
	SharedPostID int64 `json:"shared_post_id,omitempty"` // shares
	TopicOwnerID int64 `json:"topic_owner_id,omitempty"` // topic posts
	TopicID      int64 `json:"topic_id,omitempty"`
	TopicPostID  int64 `json:"topic_post_id,omitempty"`
}

// Author is the author of an event's object.
type Author struct {
	ID                  int64  `json:"id"`
	AuthorURL           string `json:"author_url"`
	SharedPostAuthorID  int64  `json:"shared_post_author_id,omitempty"`
	SharedPostAuthorURL string `json:"shared_post_author_url,omitempty"`
	Platform            int    `json:"platform,omitempty"`
}

// Event is a message of code 100: an object that matched the stream's
// rules. Raw keeps the whole event object for the fields not decoded here
// (attachments, geo...).
type Event struct {
	Type                   EventType       `json:"event_type"`
	ID                     EventID         `json:"event_id"`
	URL                    string          `json:"event_url"`
	Text                   string          `json:"text"`
	Action                 string          `json:"action"` // new, update, delete, restore
	ActionTime             int64           `json:"action_time"`
	CreationTime           int64           `json:"creation_time"`
	SharedPostText         string          `json:"shared_post_text,omitempty"`
	SharedPostCreationTime int64           `json:"shared_post_creation_time,omitempty"`
	SignerID               int64           `json:"signer_id,omitempty"`
	Tags                   []string        `json:"tags"`
	Author                 Author          `json:"author"`
	Raw                    json.RawMessage `json:"-"`
}

// Created is CreationTime as a time.
func (e Event) Created() time.Time { return time.Unix(e.CreationTime, 0) }

// ServiceMessage is a message of code 300.
type ServiceMessage struct {
	Message     string `json:"message"`
	ServiceCode int    `json:"service_code"`
}

// Gap is a disconnection: the events published from From (the last moment
// the old connection was known alive: its last message, or its start) to
// To (when the new connection was established) may be missing, since the
// Streaming API has no replay.
type Gap struct {
	From, To time.Time
	Err      error // why the old connection ended
}

// Duration is the length of the gap.
func (g Gap) Duration() time.Duration { return g.To.Sub(g.From) }

// Disconnect is reported when the client notices it lost the connection.
type Disconnect struct {
	At       time.Time // when it noticed
	LastSeen time.Time // the last moment the connection was known alive
	Err      error
}

// DecodeError is a message of the stream that is not a Streaming API
// message; the client reports it with OnError and reads on.
type DecodeError struct {
	Err     error
	Snippet string // the start of the message, secrets redacted
}

func (e *DecodeError) Error() string { return "vkstream: bad message: " + e.Err.Error() }

// Unwrap returns Err.
func (e *DecodeError) Unwrap() error { return e.Err }
