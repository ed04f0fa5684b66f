package vkmock

import (
	"net/http"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/control"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/uploads"
)

// The uploads room: the upload servers, in VK's three steps (a
// get-upload-server method answers a signed upload_url; a multipart POST
// to it is checked and answered as VK's upload servers do; a save method
// checks that answer and stores it once), served by
// vkmock/internal/uploads. This file makes the room, adapts the world and
// the fault rules to it, and keeps its public names.

// Limits of the upload servers.
const (
	// UploadURLTTL is how long an upload_url is accepted after it was
	// issued, on the mock's clock.
	UploadURLTTL = uploads.URLTTL
	// UploadResultTTL is how long the answer of an upload can be saved.
	UploadResultTTL = uploads.ResultTTL
	// MaxUploadPhotoBytes and MaxUploadDocBytes bound one file, as VK does
	// (50 MB for a photo, 200 MB for a document).
	MaxUploadPhotoBytes = uploads.MaxPhotoBytes
	MaxUploadDocBytes   = uploads.MaxDocBytes
	// MaxUploadPhotoSides bounds width+height of a photo; a photo's sides
	// may differ by at most MaxUploadPhotoRatio times.
	MaxUploadPhotoSides = uploads.MaxPhotoSides
	MaxUploadPhotoRatio = uploads.MaxPhotoRatio
	// DefaultMaxPendingUploads bounds the uploads answered but not saved;
	// the oldest is forgotten first.
	DefaultMaxPendingUploads = uploads.DefaultMaxPending
	// DefaultMaxStoredUploads and DefaultMaxStoredUploadBytes bound the
	// saved uploads (count, and bytes of the stored objects' JSON); the
	// oldest is forgotten first.
	DefaultMaxStoredUploads     = uploads.DefaultMaxStored
	DefaultMaxStoredUploadBytes = uploads.DefaultMaxStoredBytes
)

// Defaults of UploadLimits.
const (
	// DefaultMaxPhotoPixels bounds width×height of a photo the upload
	// server decodes: 25 megapixels, a 24 MP camera's photo, 100 MB
	// decoded at 4 bytes a pixel (the mock's choice: VK documents only
	// width+height ≤ 14000, which allows 49 megapixels).
	DefaultMaxPhotoPixels = uploads.DefaultMaxPhotoPixels
	// DefaultMaxPhotoBytesPerPixel bounds the decoded bytes per pixel: 4,
	// 8-bit RGBA; 16-bit images (8 bytes a pixel) are refused (the mock's
	// choice).
	DefaultMaxPhotoBytesPerPixel = uploads.DefaultMaxPhotoBytesPerPixel
)

// StoredUpload is an upload that a save method stored (GET
// /__vkmock/uploads). Saves counts the save calls that returned it: a
// second save of the same upload returns the same objects.
type StoredUpload = uploads.Stored

// FileRef describes an uploaded file: its name, size, SHA-256 (hex) and,
// for a photo, its sides.
type FileRef = uploads.FileRef

// TokenSighting is a request to the upload endpoint that carried an access
// token or an Authorization header; where says which ("query
// access_token", "form access_token", "header Authorization"). The value
// is never kept.
type TokenSighting = uploads.TokenSighting

// UploadsState is the answer of GET /__vkmock/uploads.
type UploadsState = uploads.State

// UploadLimits bounds what the upload server decodes. The zero value of
// a field means its default.
type UploadLimits = uploads.Limits

func init() {
	for _, name := range uploads.MethodNames() {
		worldMethods[name] = func(s *Server, q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
			return s.uploads.Methods()[name](q, tok)
		}
	}
}

// newUploadRoom makes the uploads room of s.
func newUploadRoom(s *Server) *uploads.Room {
	return uploads.New(uploads.Deps{
		Clock:    s.clk,
		Messages: s.msgs(),
		World:    uploadWorld{s},
		Faults:   uploadFaults{s},
		Done:     s.run.ctx.Done(),
	})
}

// uploadWorld gives the room the world's owners.
type uploadWorld struct{ s *Server }

func (w uploadWorld) Owner(q *core.Request, tok core.Token) (int64, *vkerr.Error) {
	return w.s.world.OwnerParam(q, tok)
}

// uploadFaults gives the room the fault rules: an upload request is
// matched with no token kind and no method schema.
type uploadFaults struct{ s *Server }

func (f uploadFaults) Match(q *core.Request, phase string) *Fault {
	return f.s.matchFault(q, vkerr.KindUnknown, nil, phase, false)
}

func (f uploadFaults) Delay(rule *Fault) time.Duration { return f.s.delay(rule) }

func (f uploadFaults) Error(rule *Fault, q *core.Request) *vkerr.Error {
	return f.s.faultError(rule, q)
}

// albumUploadServer answers photos.getUploadServer once the world has
// checked the album.
func (s *Server) albumUploadServer(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	return s.uploads.AlbumUploadServer(q, tok)
}

// Stored returns the uploads that save methods stored, oldest first, the
// number pending (answered, not saved) and the tokens seen at the upload
// endpoint.
func (ctl UploadControl) Stored() UploadsState { return ctl.s.uploads.State() }

// Clear forgets every pending and stored upload and the tokens
// seen.
func (ctl UploadControl) Clear() { ctl.s.uploads.Reset() }

// SetLimits sets the upload server's decoding bounds (zero fields take
// their defaults).
func (ctl UploadControl) SetLimits(l UploadLimits) { ctl.s.uploads.SetLimits(l) }

// Limits returns the upload server's decoding bounds.
func (ctl UploadControl) Limits() UploadLimits { return ctl.s.uploads.Limits() }

// uploadRoute is the control endpoint /__vkmock/uploads.
func (s *Server) uploadRoute() control.Route {
	return control.Route{
		http.MethodGet:    control.GetJSON(func() any { return s.Uploads().Stored() }),
		http.MethodDelete: control.NoContent(s.Uploads().Clear),
	}
}
