// Package world is vkmock's world: a small, seeded set of users,
// communities, albums, posts and messages, the API methods answered from
// it (users.get, groups.getById, wall.*, messages.*, utils.*, the Long
// Poll settings of a community...), and the events its actions emit to
// Bots Long Poll, User Long Poll and the Callback sender (through
// Events). Explicit entities are listed in the store; any other user id
// from 1 to MaxUserID and community id from 1 to MaxGroupID is an
// ordinary active user or open community whose name is derived from the
// seed, so that a client may use any plausible id.
package world

import (
	"sync"
	"sync/atomic"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/fifo"
)

// The ids of the world's special entities.
const (
	// FriendID is an active user with a screen name, the owner's
	// friend: account.setOnline of one is User Long Poll update 8 to the
	// other.
	FriendID int64 = 100000002
	// DeletedUserID is a deleted user: 18 as a target.
	DeletedUserID int64 = 100000003
	// BannedUserID is a banned user: 18 as a target.
	BannedUserID int64 = 100000004
	// PrivateUserID has a private profile: 30 for wall.get and
	// photos.getAlbums by others, 902 for messages.send.
	PrivateUserID int64 = 100000005
	// ClosedGroupID is a closed community; the owner is a member: others
	// get 15 on its wall.
	ClosedGroupID int64 = 200000002
	// PrivateGroupID is a private community without members: 203.
	PrivateGroupID int64 = 200000003
	// MainAlbumID and FullAlbumID are the owner's albums; the second is
	// full (300 on photos.getUploadServer).
	MainAlbumID int64 = 300000001
	FullAlbumID int64 = 300000002
)

// The ranges of valid ids.
const (
	MaxUserID  int64 = 1_999_999_999
	MaxGroupID int64 = 1_999_999_999
	// ChatPeerBase is added to a chat id to make its peer_id.
	ChatPeerBase int64 = 2_000_000_000
)

// Bounds of the store.
const (
	// MaxMessages is the most messages Limits.Messages may keep.
	MaxMessages = 1_000_000
	// MaxEntities bounds the explicit users, communities and albums,
	// each, and a community's members.
	MaxEntities = 10_000
	// maxText bounds a name or title, in bytes.
	maxText = 1024
	// maxButtonPresses bounds the message_event ids kept for
	// messages.sendMessageEventAnswer.
	maxButtonPresses = 10000
)

// Estimated bytes of a stored message or post besides its text.
const (
	messageOverhead = 96
	postOverhead    = 96
)

// User is a user of the world.
type User struct {
	ID         int64  `json:"id"`
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	ScreenName string `json:"screen_name,omitempty"`
	// Deactivated is "deleted" or "banned"; empty for an active user.
	Deactivated string `json:"deactivated,omitempty"`
	// IsClosed is a private profile.
	IsClosed bool `json:"is_closed"`
	Sex      int  `json:"sex"` // 0 unknown, 1 female, 2 male
}

// Group is a community of the world.
type Group struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	ScreenName string `json:"screen_name,omitempty"`
	// IsClosed is 0 (open), 1 (closed) or 2 (private).
	IsClosed int     `json:"is_closed"`
	Type     string  `json:"type"` // "group", "page" or "event"
	Members  []int64 `json:"members,omitempty"`
}

// Album is a photo album.
type Album struct {
	ID      int64  `json:"id"`
	OwnerID int64  `json:"owner_id"`
	Title   string `json:"title"`
	Size    int    `json:"size"`
	// Capacity is the most photos the album holds (VK: 10 000); an album
	// with Size >= Capacity is full.
	Capacity int   `json:"capacity"`
	Created  int64 `json:"created"`
}

// Post is a wall post.
type Post struct {
	ID      int64  `json:"id"`
	OwnerID int64  `json:"owner_id"`
	FromID  int64  `json:"from_id"`
	Date    int64  `json:"date"`
	Text    string `json:"text"`
}

// Message is a message delivered by messages.send.
type Message struct {
	ID       int64  `json:"id"`
	FromID   int64  `json:"from_id"`
	PeerID   int64  `json:"peer_id"`
	RandomID int64  `json:"random_id"`
	Message  string `json:"message"`
	Date     int64  `json:"date"`
	// Attachments are the attachment parameter's items ("photo1_2",
	// "doc-3_4_key"), as sent: the mock keeps no media.
	Attachments []string `json:"attachments,omitempty"`
	// DeletedForAll is a message messages.delete removed for both sides:
	// it can no longer be edited, read, marked or deleted.
	DeletedForAll bool `json:"deleted_for_all,omitempty"`
}

// World is a snapshot of the world's explicit entities (GET
// /__vkmock/world), also usable in a configuration file to add entities.
type World struct {
	Users  []User  `json:"users"`
	Groups []Group `json:"groups"`
	Albums []Album `json:"albums"`
	Posts  []Post  `json:"posts"`
}

// Limits bound the stores of the world: the messages (at most
// MaxMessages) and the posts of all walls together. A zero or negative
// field means its default.
type Limits struct {
	Messages     int
	MessageBytes int64
	Posts        int
	PostBytes    int64
}

// Defaults of Limits.
const (
	DefaultMessages     = 100_000
	DefaultMessageBytes = 64 << 20
	DefaultPosts        = 100_000
	DefaultPostBytes    = 64 << 20
)

func (l Limits) withDefaults() Limits {
	l.Messages = core.PositiveOr(l.Messages, DefaultMessages)
	l.Messages = min(l.Messages, MaxMessages)
	l.MessageBytes = core.PositiveOr(l.MessageBytes, DefaultMessageBytes)
	l.Posts = core.PositiveOr(l.Posts, DefaultPosts)
	l.PostBytes = core.PositiveOr(l.PostBytes, DefaultPostBytes)
	return l
}

// Deps is what the world needs from the rest of the mock.
type Deps struct {
	Clock    *core.Clock
	Messages core.Messages
	Seed     int64
	Limits   Limits
	// Owner is the preloaded user (the owner of the seeded albums, the
	// admin whose user token may manage every community's Long Poll),
	// Community the preloaded community (a configured bot).
	Owner, Community int64
	// Events is where the world's actions go: Bots Long Poll (and the
	// Callback sender), User Long Poll.
	Events Events
	// LongPoll holds the communities' Long Poll settings and keys.
	LongPoll LongPoll
	// Posted is told of every post added (the Streaming API); nil: nobody.
	Posted func(p Post, id int64)
	// AlbumUploadServer answers photos.getUploadServer once the album
	// passed the world's checks (the uploads room).
	AlbumUploadServer core.Handler
}

type msgKey struct{ from, peer, random int64 }

// postRef names a post in the eviction order.
type postRef struct{ owner, id int64 }

type buttonPress struct {
	group, user, peer int64
	answered          bool
}

// Room is the world. The zero value is not usable; New makes one. A Room
// is safe for concurrent use.
type Room struct {
	deps    Deps
	methods map[string]core.Handler

	// version changes with every edit of users, groups, albums and posts,
	// so cached answers of the reading methods go stale.
	version  atomic.Uint64
	mu       sync.RWMutex
	users    map[int64]User
	groups   map[int64]Group
	albums   map[int64]Album
	posts    map[int64][]Post // by owner, oldest first
	postSeq  int64
	byName   map[string]int64 // screen name → id (negative for groups)
	messages fifo.FIFO[Message]
	dedup    map[msgKey]int64
	msgSeq   int64
	order    fifo.FIFO[postRef] // every post, oldest first, for eviction

	// bmu guards the callback buttons pressed.
	bmu      sync.Mutex
	btnSeq   uint64
	buttons  map[string]*buttonPress
	btnOrder []string
}

// New returns the world seeded from deps.Seed (call Reset to add the
// entities of a configuration).
func New(deps Deps) *Room {
	deps.Limits = deps.Limits.withDefaults()
	r := &Room{deps: deps}
	r.methods = make(map[string]core.Handler, len(methodTable))
	for name, f := range methodTable {
		r.methods[name] = func(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) { return f(r, q, tok) }
	}
	_ = r.Reset(nil)
	return r
}

// Version changes with every edit of users, groups, albums and posts: the
// answers of the reading methods may be cached under it.
func (r *Room) Version() uint64 { return r.version.Load() }

// Methods returns the API methods the world answers, bound to it.
func (r *Room) Methods() map[string]core.Handler { return r.methods }

func (r *Room) now() int64 { return r.deps.Clock.Now().Unix() }
