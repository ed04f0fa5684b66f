package vkmock

import (
	"encoding/json"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/world"
)

// The world (vkmock/internal/world): a small, seeded set of users,
// communities, albums, posts and messages that the world methods answer
// from (see the package documentation). Explicit entities are listed in
// World; any other user id from 1 to MaxUserID and any other community id
// from 1 to MaxGroupID is an ordinary active user or open community whose
// name is derived from the seed, so that a client may use any plausible
// id. This file makes the room and adapts the rest of the mock to it: its
// events go to Bots Long Poll (emit, which hands them to the Callback
// sender) and User Long Poll (ulp.Update).

// The ids of the world's special entities.
const (
	// WorldFriendID is an active user with a screen name, DefaultUserID's
	// friend: account.setOnline of one is User Long Poll update 8 to the
	// other.
	WorldFriendID = world.FriendID
	// WorldDeletedUserID is a deleted user: 18 as a target.
	WorldDeletedUserID = world.DeletedUserID
	// WorldBannedUserID is a banned user: 18 as a target.
	WorldBannedUserID = world.BannedUserID
	// WorldPrivateUserID has a private profile: 30 for wall.get and
	// photos.getAlbums by others, 902 for messages.send.
	WorldPrivateUserID = world.PrivateUserID
	// WorldClosedGroupID is a closed community; DefaultUserID is a member:
	// others get 15 on its wall.
	WorldClosedGroupID = world.ClosedGroupID
	// WorldPrivateGroupID is a private community without members: 203.
	WorldPrivateGroupID = world.PrivateGroupID
	// WorldMainAlbumID and WorldFullAlbumID are DefaultUserID's albums;
	// the second is full (300 on photos.getUploadServer).
	WorldMainAlbumID = world.MainAlbumID
	WorldFullAlbumID = world.FullAlbumID
)

// The ranges of valid ids.
const (
	MaxUserID  = world.MaxUserID
	MaxGroupID = world.MaxGroupID
	// ChatPeerBase is added to a chat id to make its peer_id.
	ChatPeerBase = world.ChatPeerBase
)

// MaxWorldEntities bounds the explicit users, communities and albums of the
// world, each; their texts are bounded by 1024 bytes and a community's
// members by MaxWorldEntities.
const (
	MaxWorldEntities = world.MaxEntities
)

// MaxMessages is the most messages Limits.Messages may keep; the default
// is DefaultMessages.
const MaxMessages = world.MaxMessages

// User is a user of the world.
type User = world.User

// Group is a community of the world.
type Group = world.Group

// Album is a photo album.
type Album = world.Album

// Post is a wall post.
type Post = world.Post

// Message is a message delivered by messages.send.
type Message = world.Message

// World is a snapshot of the world's explicit entities (GET
// /__vkmock/world), also usable in a configuration file to add entities.
type World = world.World

// InboxMessage is a message a user writes to a community (POST
// /__vkmock/inbox).
type InboxMessage = world.InboxMessage

// ButtonPress is a press of a callback button (POST /__vkmock/button).
type ButtonPress = world.ButtonPress

// InjectedEvent is an event to emit as is (POST /__vkmock/events): its
// object in the 5.103+ shape.
type InjectedEvent = world.InjectedEvent

// InboxResult is the stored message and the message_new event it emitted.
type InboxResult struct {
	Message
	Payload string       `json:"payload,omitempty"`
	Event   EmittedEvent `json:"event"`
}

// ButtonResult is the emitted message_event with the id that
// messages.sendMessageEventAnswer needs.
type ButtonResult struct {
	EventID string       `json:"event_id"`
	Event   EmittedEvent `json:"event"`
}

// newWorld makes the server's world (seeded; applyInitial adds the
// configuration's entities).
func (s *Server) newWorld(lim Limits) *world.Room {
	return world.New(world.Deps{
		Clock:    s.clk,
		Messages: s.msgs(),
		Seed:     s.seed,
		Limits:   world.Limits{Messages: lim.Messages, MessageBytes: lim.MessageBytes, Posts: lim.Posts, PostBytes: lim.PostBytes},
		Owner:    DefaultUserID,
		// The preloaded community is the seeded one.
		Community:         DefaultGroupID,
		Events:            worldEvents{s},
		LongPoll:          worldLongPoll{s},
		Posted:            s.streamingPost, // a post whose text matches a rule is a Streaming event
		AlbumUploadServer: s.albumUploadServer,
	})
}

// worldEvents carries the world's events: a community's to Bots Long Poll
// (and from there to the Callback sender and the user in the
// conversation), a user's to User Long Poll.
type worldEvents struct{ s *Server }

func (e worldEvents) Bot(groupID int64, typ vkevent.Type, object []byte) (world.Emitted, error) {
	ev, err := e.s.lp.Emit(groupID, typ, object)
	return ev, err
}

func (e worldEvents) User(userID int64, update []any, msg json.RawMessage) {
	_ = e.s.ulp.Update(userID, update, msg, false)
}

func (e worldEvents) SetOnline(userID int64, online bool) bool {
	return e.s.ulp.SetOnline(userID, online)
}

// worldLongPoll gives the world the communities' Bots Long Poll settings
// and keys.
type worldLongPoll struct{ s *Server }

func (l worldLongPoll) Settings(groupID int64) world.LongPollSettings {
	return l.s.LongPoll().Settings(groupID)
}

func (l worldLongPoll) SetSettings(ls world.LongPollSettings) error {
	return l.s.LongPoll().SetSettings(ls)
}

func (l worldLongPoll) NewKey(groupID int64) (string, int64, error) {
	return l.s.lp.NewKey(groupID)
}

// worldFunc answers a method from the world or another room: the JSON of
// "response", or the error.
type worldFunc func(s *Server, q *vkRequest, tok Token) ([]byte, *vkerr.Error)

// worldMethods are the methods answered from the world and the other
// rooms; every other method is synthesised from its response schema.
var worldMethods = func() map[string]worldFunc {
	m := map[string]worldFunc{}
	for _, name := range world.MethodNames() {
		m[name] = func(s *Server, q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
			return s.world.Methods()[name](q, tok)
		}
	}
	return m
}()
