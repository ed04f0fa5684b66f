// Package uploads is vkmock's upload servers, in VK's three steps: the
// get-upload-server methods answer a signed upload_url (url.go,
// methods.go); a multipart POST to it is checked (signature, age, fault
// rules, body, image bounds before decoding, document types) and
// answered as VK's upload servers do (serve.go, receive.go, limits.go);
// the save methods check that answer and store it once (save.go). The
// table of checks and fault shapes is in docs/vkmock-design.md ("The
// upload endpoint").
package uploads

import (
	"context"
	"crypto/rand"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/faults"
)

// Bounds of the upload servers.
const (
	// URLTTL is how long an upload_url is accepted after it was issued,
	// on the mock's clock.
	URLTTL = 15 * time.Minute
	// ResultTTL is how long the answer of an upload can be saved.
	ResultTTL = time.Hour
	// MaxPhotoBytes and MaxDocBytes bound one file, as VK does (50 MB for
	// a photo, 200 MB for a document).
	MaxPhotoBytes = 50 << 20
	MaxDocBytes   = 200 << 20
	// MaxPhotoSides bounds width+height of a photo; a photo's sides may
	// differ by at most MaxPhotoRatio times.
	MaxPhotoSides = 14000
	MaxPhotoRatio = 20
	// DefaultMaxPending bounds the uploads answered but not saved; the
	// oldest is forgotten first.
	DefaultMaxPending = 10000
	// DefaultMaxStored and DefaultMaxStoredBytes bound the saved uploads
	// (count, and bytes of the stored objects' JSON); the oldest is
	// forgotten first.
	DefaultMaxStored      = 10000
	DefaultMaxStoredBytes = 32 << 20
	// maxTokenSightings bounds the record of tokens seen at the upload
	// endpoint (the count goes on).
	maxTokenSightings = 100
)

// World is what the room reads of the world.
type World interface {
	// Owner reads owner_id (or domain) of a call, defaulting to the
	// caller; its error is the answer to a bad one.
	Owner(q *core.Request, tok core.Token) (int64, *vkerr.Error)
}

// Faults is what the room asks of the fault rules at the upload endpoint.
type Faults interface {
	// Match returns the first rule of phase (faults.PhaseBefore or
	// PhaseAfter) that matches q (method upload.photo or upload.doc, the
	// URL's unsigned parameters) and fires, or nil.
	Match(q *core.Request, phase string) *faults.Fault
	// Delay draws a rule's latency.
	Delay(f *faults.Fault) time.Duration
	// Error is the VK error a rule with Error answers, filled as for a
	// method (message, Suffix, the fields of 14, 17 and 24).
	Error(f *faults.Fault, q *core.Request) *vkerr.Error
}

// Deps is what the room needs from the rest of the mock. Clock, Messages,
// World and Faults are required; Done, when not nil, is closed when the
// server closes (fault delays and stalls end then). Zero bounds take
// their defaults.
type Deps struct {
	Clock      *core.Clock
	Messages   core.Messages
	World      World
	Faults     Faults
	Done       <-chan struct{}
	MaxPending int
	MaxStored  int
	MaxBytes   int
}

// Stored is an upload that a save method stored. Saves counts the save
// calls that returned it: a second save of the same upload returns the
// same objects.
type Stored struct {
	UploadID    string    `json:"upload_id"`
	SaveMethod  string    `json:"save_method"`
	Target      string    `json:"target"`
	OwnerID     int64     `json:"owner_id"`
	Attachments []string  `json:"attachments"`
	Files       []FileRef `json:"files"`
	Saves       int       `json:"saves"`
	SavedAt     time.Time `json:"saved_at"`
	response    []byte
	source      *pending
}

// FileRef describes an uploaded file: its name, size, SHA-256 (hex) and,
// for a photo, its sides.
type FileRef struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
}

// TokenSighting is a request to the upload endpoint that carried an access
// token or an Authorization header; where says which ("query
// access_token", "form access_token", "header Authorization"). The value
// is never kept.
type TokenSighting struct {
	Time  time.Time `json:"time"`
	Where string    `json:"where"`
}

// State is what the room holds: the stored uploads, oldest first, the
// number pending (answered, not saved) and the tokens seen at the upload
// endpoint.
type State struct {
	Stored         []Stored        `json:"stored"`
	Pending        int             `json:"pending"`
	TokenSightings []TokenSighting `json:"token_sightings"`
	TokensSeen     int             `json:"tokens_seen"`
}

// pending is an upload answered by the endpoint and not yet saved.
type pending struct {
	id     string
	target string
	mid    int64 // the caller the URL was issued to
	gid    int64 // the community of the URL, 0 for none
	aid    int64 // the album
	peer   int64
	dtype  string // docs: doc, audio_message, graffiti
	server int64
	rhash  string // the HMAC of the token the URL was issued to
	files  []FileRef
	at     time.Time
}

// Room is the upload servers of one mock: the signing key, the pending
// and stored uploads, the tokens seen. Make it with New; it is safe for
// concurrent use and starts no goroutine.
type Room struct {
	d          Deps
	key        []byte // signs URLs, answers and ids; random per Room
	maxPending int
	maxStored  int
	maxBytes   int
	methods    map[string]core.Handler

	mu          sync.Mutex
	seq         int64
	objSeq      int64
	pending     map[string]*pending
	pendingFIFO []string
	stored      map[string]*Stored
	storedFIFO  []string
	storedBytes int
	sightings   []TokenSighting
	seen        int
	limits      Limits // zero fields: the defaults
}

// New makes the room of d.
func New(d Deps) *Room {
	r := &Room{d: d, key: make([]byte, 32), maxPending: d.MaxPending, maxStored: d.MaxStored, maxBytes: d.MaxBytes,
		methods: make(map[string]core.Handler, len(methodTable))}
	for name, f := range methodTable {
		r.methods[name] = func(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) { return f(r, q, tok) }
	}
	_, _ = rand.Read(r.key)
	r.maxPending = core.PositiveOr(r.maxPending, DefaultMaxPending)
	r.maxStored = core.PositiveOr(r.maxStored, DefaultMaxStored)
	r.maxBytes = core.PositiveOr(r.maxBytes, DefaultMaxStoredBytes)
	r.Reset()
	return r
}

// Reset forgets every pending and stored upload and the tokens seen; the
// decoding limits stay.
func (r *Room) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending = map[string]*pending{}
	r.pendingFIFO = nil
	r.stored = map[string]*Stored{}
	r.storedFIFO = nil
	r.storedBytes = 0
	r.sightings = nil
	r.seen = 0
}

// State returns the stored uploads, oldest first, the number pending and
// the tokens seen at the upload endpoint; it shares nothing with the room.
func (r *Room) State() State {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := State{Stored: make([]Stored, 0, len(r.stored)), Pending: len(r.pending),
		TokenSightings: slices.Clone(r.sightings), TokensSeen: r.seen}
	for _, id := range r.storedFIFO {
		if st := r.stored[id]; st != nil {
			c := *st
			c.Attachments = slices.Clone(st.Attachments)
			c.Files = slices.Clone(st.Files)
			out.Stored = append(out.Stored, c)
		}
	}
	if out.TokenSightings == nil {
		out.TokenSightings = []TokenSighting{}
	}
	return out
}

// methodTable is the API methods the room answers.
var methodTable = map[string]func(*Room, *core.Request, core.Token) ([]byte, *vkerr.Error){
	"photos.getMessagesUploadServer":   (*Room).photosGetMessagesUploadServer,
	"photos.getWallUploadServer":       (*Room).photosGetWallUploadServer,
	"photos.getOwnerPhotoUploadServer": (*Room).photosGetOwnerPhotoUploadServer,
	"docs.getMessagesUploadServer":     (*Room).docsGetMessagesUploadServer,
	"docs.getWallUploadServer":         (*Room).docsGetWallUploadServer,
	"docs.getUploadServer":             (*Room).docsGetWallUploadServer,
	"photos.saveMessagesPhoto":         (*Room).photosSaveMessagesPhoto,
	"photos.saveWallPhoto":             (*Room).photosSaveWallPhoto,
	"photos.save":                      (*Room).photosSave,
	"photos.saveOwnerPhoto":            (*Room).photosSaveOwnerPhoto,
	"docs.save":                        (*Room).docsSave,
}

// MethodNames are the API methods a Room answers, sorted.
func MethodNames() []string { return slices.Sorted(maps.Keys(methodTable)) }

// Methods returns the room's API methods, bound to it. The map is made
// by New and shared: callers must not change it.
func (r *Room) Methods() map[string]core.Handler { return r.methods }

// now is the mock's time.
func (r *Room) now() time.Time { return r.d.Clock.Now() }

// stall holds a request with no answer until the client goes away or the
// server closes (fault effect "stall").
func (r *Room) stall(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-r.d.Done:
	}
}
