package upload

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/internal/httpclient"
	"github.com/vkerr/vkerr/vkapi/internal/lifecycle"
	"github.com/vkerr/vkerr/vkapi/internal/retry"
)

// Caller makes API calls; *vkapi.Client is one.
type Caller interface {
	Call(ctx context.Context, method string, params vkapi.Params, out any) error
}

// Default limits of a file, VK's.
const (
	DefaultMaxPhotoBytes = 50 << 20
	DefaultMaxDocBytes   = 200 << 20
)

// Policy bounds the remedies of an upload. Each zero field takes its
// default; the zero Policy is the default policy.
type Policy struct {
	// Chains caps the chains begun (step 1 calls). Zero means 3.
	Chains int
	// UploadAttempts caps the POSTs to one upload URL. Zero means 3.
	UploadAttempts int
	// SaveAttempts caps the sends of one save. Zero means 4.
	SaveAttempts int
	// URLFresh is how long after step 1 an upload URL is used for a
	// retry; after it a retry begins a new chain. Zero means 5 minutes.
	URLFresh time.Duration
	// Backoff is the base of the exponential backoff (full jitter, capped
	// at 32 times the base) between the retries of steps 2 and 3. Zero
	// means 200 ms.
	Backoff time.Duration
	// AttemptTimeout bounds one POST to an upload server. Zero means 2
	// minutes.
	AttemptTimeout time.Duration
	// MaxBytes caps the file read into memory. Zero means
	// DefaultMaxPhotoBytes for photos and DefaultMaxDocBytes for
	// documents.
	MaxBytes int64
}

func (p Policy) withDefaults() Policy {
	if p.Chains <= 0 {
		p.Chains = 3
	}
	if p.UploadAttempts <= 0 {
		p.UploadAttempts = 3
	}
	if p.SaveAttempts <= 0 {
		p.SaveAttempts = 4
	}
	if p.URLFresh <= 0 {
		p.URLFresh = 5 * time.Minute
	}
	if p.Backoff <= 0 {
		p.Backoff = 200 * time.Millisecond
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = 2 * time.Minute
	}
	return p
}

// permanentUploadErrors are the prefixes of upload servers' error texts
// that complain about the file itself: another URL would not help.
var permanentUploadErrors = [...]string{
	"ERR_UPLOAD_FILE_TOO_LARGE", "ERR_UPLOAD_FILE_TYPE_NOT_ALLOWED", "ERR_UPLOAD_BAD_IMAGE_SIZE",
}

// silentFailureCodes are the save errors that mean the upload went wrong
// silently (nothing saved): the chain goes back to step 1.
var silentFailureCodes = [...]vkerr.Code{vkerr.Param, vkerr.ParamServer, vkerr.ParamHash, vkerr.ParamPhoto, vkerr.Upload}

// Config configures an Uploader. The zero Config uploads with a client of
// its own (the proxy from the environment, dial and TLS timeouts,
// redirects only on the same origin), the default Policy, and no log.
type Config struct {
	// HTTPClient sends the files to the upload servers (step 2). It must
	// not add the token to requests. Its redirects are followed only on
	// the upload URL's origin (vkapi.ErrCrossOriginRedirect otherwise).
	// Nil is a client of its own, whose idle connections Close closes.
	HTTPClient *http.Client
	// Policy bounds the remedies; the zero Policy is the default.
	Policy Policy
	// Logger gets each failed attempt and remedy at debug level (upload
	// URLs redacted). Nil logs nothing.
	Logger *slog.Logger
}

// ErrClosed is matched by the error of an upload begun after Close: it is
// vkapi.ErrClosed.
var ErrClosed = vkapi.ErrClosed

// Uploader runs uploads. It is safe for concurrent use. Make one with New;
// the zero Uploader has no API client and cannot upload.
type Uploader struct {
	api    Caller
	hc     *http.Client
	own    bool // hc is the Uploader's, closed by Close
	policy Policy
	log    *slog.Logger
	now    func() time.Time
	life   *lifecycle.Life
}

// New returns an Uploader that calls the API (steps 1 and 3) through api,
// usually a *vkapi.Client.
func New(api Caller, cfg Config) *Uploader {
	u := &Uploader{api: api, hc: cfg.HTTPClient, policy: cfg.Policy.withDefaults(), log: cfg.Logger, now: time.Now,
		life: lifecycle.New("upload")}
	if u.hc == nil {
		tr := httpclient.Transport()
		tr.ResponseHeaderTimeout = 2 * time.Minute
		u.hc = &http.Client{Transport: tr, CheckRedirect: httpclient.SameOrigin(nil)}
		u.own = true
	} else {
		u.hc = httpclient.Guard(u.hc)
	}
	return u
}

// Close stops accepting uploads (they fail with ErrClosed), waits for the
// uploads in flight and closes the idle connections of the Uploader's own
// HTTP client. It is Shutdown without a bound.
func (u *Uploader) Close() error { return u.Shutdown(context.Background()) }

// Shutdown is Close with the wait bounded by ctx: when ctx ends first, the
// uploads in flight are cancelled and Shutdown returns ctx's error.
func (u *Uploader) Shutdown(ctx context.Context) error {
	err := u.life.Shutdown(ctx)
	if u.own {
		u.hc.CloseIdleConnections()
	}
	return err
}

// target says how an upload is done: the methods, the field of the file,
// the field of the answer the save takes.
type target struct {
	server     string
	params     vkapi.Params
	fileField  string // multipart field
	field      string // the answer's field passed to the save
	save       string
	saveParams vkapi.Params
	doc        bool
}

// MessagePhoto uploads a photo for a message to peerID
// (photos.getMessagesUploadServer, photos.saveMessagesPhoto).
func (u *Uploader) MessagePhoto(ctx context.Context, peerID int64, src Source) (*Photo, error) {
	return u.photo(ctx, target{server: "photos.getMessagesUploadServer", params: vkapi.Params{"peer_id": peerID},
		fileField: "photo", field: "photo", save: "photos.saveMessagesPhoto"}, src)
}

// WallPhoto uploads a photo for a wall post: the user's wall when groupID
// is 0, else the community's (photos.getWallUploadServer,
// photos.saveWallPhoto; a user token).
func (u *Uploader) WallPhoto(ctx context.Context, groupID int64, src Source) (*Photo, error) {
	p := vkapi.Params{}
	if groupID != 0 {
		p["group_id"] = groupID
	}
	return u.photo(ctx, target{server: "photos.getWallUploadServer", params: p, fileField: "photo", field: "photo",
		save: "photos.saveWallPhoto", saveParams: p}, src)
}

// AlbumPhoto uploads a photo to an album, of a community when groupID is
// not 0 (photos.getUploadServer, photos.save; a user token).
func (u *Uploader) AlbumPhoto(ctx context.Context, albumID, groupID int64, src Source) (*Photo, error) {
	p := vkapi.Params{"album_id": albumID}
	if groupID != 0 {
		p["group_id"] = groupID
	}
	return u.photo(ctx, target{server: "photos.getUploadServer", params: p, fileField: "file1", field: "photos_list",
		save: "photos.save", saveParams: p}, src)
}

// AlbumPhotos uploads one to five photos to an album in one upload
// (file1..file5), of a community when groupID is not 0.
func (u *Uploader) AlbumPhotos(ctx context.Context, albumID, groupID int64, srcs ...Source) ([]Photo, error) {
	if len(srcs) == 0 || len(srcs) > 5 {
		return nil, &Error{Step: StepUpload, Err: errors.New("upload: an album upload takes 1 to 5 photos")}
	}
	p := vkapi.Params{"album_id": albumID}
	if groupID != 0 {
		p["group_id"] = groupID
	}
	raw, err := u.runFiles(ctx, target{server: "photos.getUploadServer", params: p, fileField: "file1", field: "photos_list",
		save: "photos.save", saveParams: p}, srcs, func(raw json.RawMessage) error {
		ps, err := parsePhotos(raw)
		if err == nil && len(ps) != len(srcs) {
			err = &answerError{"save: " + strconv.Itoa(len(ps)) + " photos for " + strconv.Itoa(len(srcs)) + " files"}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return parsePhotos(raw)
}

// OwnerPhoto sets the profile photo of the user, or of the community
// ownerID < 0 (photos.getOwnerPhotoUploadServer, photos.saveOwnerPhoto).
func (u *Uploader) OwnerPhoto(ctx context.Context, ownerID int64, src Source) (*OwnerPhoto, error) {
	p := vkapi.Params{}
	if ownerID != 0 {
		p["owner_id"] = ownerID
	}
	raw, err := u.run(ctx, target{server: "photos.getOwnerPhotoUploadServer", params: p, fileField: "photo", field: "photo",
		save: "photos.saveOwnerPhoto"}, src, parseOwnerPhotoCheck)
	if err != nil {
		return nil, err
	}
	return parseOwnerPhoto(raw)
}

// MessageDoc uploads a document for a message to peerID
// (docs.getMessagesUploadServer with type doc, docs.save).
func (u *Uploader) MessageDoc(ctx context.Context, peerID int64, src Source) (*Doc, error) {
	return u.doc(ctx, target{server: "docs.getMessagesUploadServer", params: vkapi.Params{"peer_id": peerID, "type": "doc"}}, src)
}

// WallDoc uploads a document for a wall post, of a community when groupID
// is not 0 (docs.getWallUploadServer, docs.save).
func (u *Uploader) WallDoc(ctx context.Context, groupID int64, src Source) (*Doc, error) {
	p := vkapi.Params{}
	if groupID != 0 {
		p["group_id"] = groupID
	}
	return u.doc(ctx, target{server: "docs.getWallUploadServer", params: p}, src)
}

// Doc uploads a document to the user's documents, or the community's when
// groupID is not 0 (docs.getUploadServer, docs.save; a user token).
func (u *Uploader) Doc(ctx context.Context, groupID int64, src Source) (*Doc, error) {
	p := vkapi.Params{}
	if groupID != 0 {
		p["group_id"] = groupID
	}
	return u.doc(ctx, target{server: "docs.getUploadServer", params: p}, src)
}

func (u *Uploader) photo(ctx context.Context, t target, src Source) (*Photo, error) {
	raw, err := u.run(ctx, t, src, parsePhotosCheck)
	if err != nil {
		return nil, err
	}
	ps, _ := parsePhotos(raw)
	return &ps[0], nil
}

func (u *Uploader) doc(ctx context.Context, t target, src Source) (*Doc, error) {
	t.fileField, t.field, t.save, t.doc = "file", "file", "docs.save", true
	raw, err := u.run(ctx, t, src, parseDocCheck)
	if err != nil {
		return nil, err
	}
	return parseDoc(raw)
}

func parsePhotosCheck(raw json.RawMessage) error { _, err := parsePhotos(raw); return err }
func parseDocCheck(raw json.RawMessage) error    { _, err := parseDoc(raw); return err }
func parseOwnerPhotoCheck(raw json.RawMessage) error {
	_, err := parseOwnerPhoto(raw)
	return err
}

// action is what to do after a failed step.
type action int

const (
	actFail     action = iota // end the call
	actRetry                  // the same request again
	actNewChain               // back to step 1
)

func (a action) String() string {
	switch a {
	case actRetry:
		return "retry with the same URL"
	case actNewChain:
		return "new upload URL"
	}
	return "give up"
}

// run does the chain: step 1, step 2 with its retries, step 3 with its
// resends, going back to step 1 as the remedies say.
func (u *Uploader) run(ctx context.Context, t target, src Source, check func(json.RawMessage) error) (json.RawMessage, error) {
	return u.runFiles(ctx, t, []Source{src}, check)
}

// runFiles is run of one or more files (file1..file5 of an album).
func (u *Uploader) runFiles(ctx context.Context, t target, srcs []Source, check func(json.RawMessage) error) (json.RawMessage, error) {
	ctx, leave, err := u.life.Enter(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	limit := u.policy.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxPhotoBytes
		if t.doc {
			limit = DefaultMaxDocBytes
		}
	}
	body := &multipartFile{}
	for i, src := range srcs {
		data, err := src.read(limit)
		if err != nil {
			return nil, &Error{Step: StepUpload, Err: err}
		}
		field := t.fileField
		if len(srcs) > 1 {
			field = "file" + strconv.Itoa(i+1)
		}
		body.add(field, src.Name, data)
	}
	body.close()
	var last *Error
	for chain := 1; chain <= u.policy.Chains; chain++ {
		// Step 1.
		var server json.RawMessage
		if err := u.api.Call(ctx, t.server, t.params, &server); err != nil {
			last = &Error{Step: StepServer, Method: t.server, Chains: chain, Attempts: 1, Err: err}
			if ctx.Err() == nil && retry.Transient(err) {
				u.debug(ctx, "get upload server failed; new chain", last)
				continue
			}
			return nil, last
		}
		upURL, err := parseServer(server)
		if err != nil {
			return nil, &Error{Step: StepServer, Method: t.server, Chains: chain, Attempts: 1, Err: err}
		}
		issued := u.now()
		// Step 2.
		var up uploaded
		var act action
		for attempt := 1; ; attempt++ {
			up, err = u.post(ctx, upURL, body, t.field)
			if err == nil {
				break
			}
			last = &Error{Step: StepUpload, Chains: chain, Attempts: attempt, URL: redactURL(upURL), Err: err}
			act = uploadAction(ctx, err)
			if act == actRetry && (attempt >= u.policy.UploadAttempts || u.now().Sub(issued) >= u.policy.URLFresh) {
				act = actNewChain
			}
			u.debug(ctx, "upload failed", last, slog.String("remedy", act.String()))
			if act != actRetry {
				break
			}
			if err := u.backoff(ctx, attempt); err != nil {
				return nil, last
			}
		}
		if up == nil {
			if act == actNewChain {
				continue
			}
			return nil, last
		}
		// Step 3.
		sp := vkapi.Params{}
		for k, v := range t.saveParams {
			sp[k] = v
		}
		for k, v := range up {
			sp[k] = v
		}
		unknown := false
		for attempt := 1; ; attempt++ {
			var saved json.RawMessage
			err := u.api.Call(ctx, t.save, sp, &saved)
			if err == nil {
				if err = check(saved); err == nil {
					return saved, nil
				}
				// Saved, in a shape that cannot be read.
				return nil, &Error{Step: StepSave, Method: t.save, Chains: chain, Attempts: attempt, Unknown: true, Err: err}
			}
			last = &Error{Step: StepSave, Method: t.save, Chains: chain, Attempts: attempt, Unknown: unknown, Err: err}
			switch {
			case ctx.Err() != nil:
				last.Unknown = unknown || retry.Transient(err)
				return nil, last
			case silentFailure(err) && !unknown:
				u.debug(ctx, "save refused the upload; new chain", last)
				act = actNewChain
			case (retry.Transient(err) || unknown && silentFailure(err)) && attempt < u.policy.SaveAttempts:
				// The same save again: if an earlier one went through, the
				// resend gets its object; it never saves a second one.
				unknown = true
				u.debug(ctx, "save failed; resending the same save", last)
				if err := u.backoff(ctx, attempt); err != nil {
					last.Unknown = true
					return nil, last
				}
				continue
			default:
				last.Unknown = unknown || retry.Transient(err)
				return nil, last
			}
			break
		}
	}
	return nil, last
}

// uploadAction is the remedy of a failed step 2.
func uploadAction(ctx context.Context, err error) action {
	if ctx.Err() != nil {
		return actFail
	}
	var ue *vkerr.UploadError
	if errors.As(err, &ue) {
		if ue.Shape == "docs" {
			for _, p := range permanentUploadErrors {
				if strings.HasPrefix(ue.Message, p) {
					return actFail
				}
			}
		}
		return actNewChain
	}
	var se *HTTPStatusError
	if errors.As(err, &se) && !retry.Transient(err) {
		return actNewChain // 4xx: the URL is refused
	}
	var fe *vkerr.FormatError
	if errors.Is(err, ErrBadAnswer) || errors.As(err, &fe) {
		return actNewChain // an answer in no known shape: try another URL
	}
	if retry.Transient(err) {
		return actRetry
	}
	var ve *vkerr.Error
	if errors.As(err, &ve) {
		return actNewChain
	}
	return actFail
}

// silentFailure reports a save error that means the upload went wrong.
func silentFailure(err error) bool {
	var e *vkerr.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range silentFailureCodes {
		if e.Code == c {
			return true
		}
	}
	return false
}

// backoff waits before retry number attempt, or until ctx is done.
func (u *Uploader) backoff(ctx context.Context, attempt int) error {
	return retry.Sleep(ctx, retry.Backoff{Base: u.policy.Backoff, Max: 32 * u.policy.Backoff}.Delay(attempt))
}

func (u *Uploader) debug(ctx context.Context, msg string, e *Error, attrs ...slog.Attr) {
	if u.log == nil {
		return
	}
	attrs = append(attrs, slog.String("step", e.Step.String()), slog.Int("chain", e.Chains),
		slog.Int("attempt", e.Attempts), slog.String("error", e.Error()))
	if e.URL != "" {
		attrs = append(attrs, slog.String("url", e.URL))
	}
	u.log.LogAttrs(ctx, slog.LevelDebug, "upload: "+msg, attrs...)
}
