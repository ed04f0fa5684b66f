package vkmock

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/control"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/faults"
	"github.com/vkerr/vkerr/vkmock/internal/streaming"
)

// The Streaming API (see vkmock/internal/streaming and docs/streaming.md).
//
// streaming.getServerUrl (service token only) answers an endpoint on the
// mock, host:port/streaming (with http:// in front when the mock serves
// plain HTTP, since VK's bare host means https), and the key of the
// token's app: the same key each time. The rules are at
// {endpoint}/rules?key=KEY, the stream at {endpoint}/stream?key=KEY.
//
// Events come from the world (a post whose text matches a rule of a key:
// wall.post or AddPost) and from the control API (StreamingInject, or a
// rate of generated events with StreamingSetRate).
//
// Fault rules reach it by the method names "streaming.rules" (each
// request to the rules endpoint) and "streaming.stream" (the upgrade, and
// each event about to be written), with the param "key". At the rules
// endpoint and the upgrade: latency, http_status, effect "reset", and
// "streaming": N, which answers Streaming error N in VK's shape. On the
// stream's frames: effect "close" (the socket is closed), "stall" (the
// stream sends nothing and answers no ping until the client leaves) and
// "malformed" (a frame that is not JSON instead of the event).

// StreamingEvent describes events to inject; StreamingRecord is what
// became of one event on one stream (see StreamingLog).
type (
	StreamingEvent  = streaming.Spec
	StreamingRecord = streaming.Record
)

// The effects of StreamingDrop and of fault rules on a stream.
const (
	StreamingClose     = streaming.EffectClose
	StreamingStall     = streaming.EffectStall
	StreamingMalformed = streaming.EffectMalformed
)

// maxInjectCount bounds the events of one inject request.
const maxInjectCount = 100000

// streamState is the mock's Streaming API, made on first use.
type streamState struct {
	once sync.Once
	hub  *streaming.Hub
}

func (s *Server) streamHub() *streaming.Hub {
	s.stream.once.Do(func() {
		s.stream.hub = streaming.New(streaming.Config{Now: s.now, Seed: s.seed, Fault: s.streamingFault})
	})
	return s.stream.hub
}

// reset and close are called by Server.Reset and Server.Close.
func (st *streamState) reset(s *Server) { s.streamHub().Reset() }
func (st *streamState) close(s *Server) { s.streamHub().Close() }

func init() {
	worldMethods["streaming.getServerUrl"] = (*Server).streamingGetServerURL
}

func (s *Server) streamingGetServerURL(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	app := tok.AppID
	if app == 0 {
		app = DefaultAppID
	}
	endpoint := q.Host + "/streaming"
	if !q.TLS {
		endpoint = "http://" + endpoint
	}
	key := s.streamHub().Key(app)
	return fmt.Appendf(nil, `{"endpoint":%q,"key":%q}`, endpoint, key), nil
}

// serveStreaming serves /streaming/rules and /streaming/stream.
func (s *Server) serveStreaming(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/streaming"), "/") {
	case "/rules":
		s.streamHub().ServeRules(w, r)
	case "/stream":
		s.streamHub().ServeStream(w, r)
	default:
		core.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "not found: the Streaming API is /streaming/rules and /streaming/stream"})
	}
}

// streamingPost makes the stream events of a post stored in the world.
func (s *Server) streamingPost(p Post, id int64) {
	_, _ = s.streamHub().Emit(context.Background(), streaming.Spec{Text: p.Text, OwnerID: p.OwnerID, AuthorID: p.FromID, PostID: id})
}

// isFrameEffect reports whether an effect acts on a stream's frames.
func isFrameEffect(e string) bool {
	return e == streaming.EffectClose || e == streaming.EffectStall || e == streaming.EffectMalformed
}

// validateStreamingFault checks a rule of streaming.stream or
// streaming.rules once its common fields are checked.
func validateStreamingFault(f Fault) (Fault, error) {
	if f.Error != nil || f.Failed != 0 || f.Upload != "" {
		return f, fmt.Errorf("vkmock: fault of %s: use streaming (a Streaming error code), http_status, effect or latency", f.Method)
	}
	if f.Phase != phaseBefore {
		return f, fmt.Errorf("vkmock: fault of %s: phase must be before", f.Method)
	}
	switch {
	case f.Effect == "" || f.Effect == "reset":
	case isFrameEffect(f.Effect):
		if f.Method != "streaming.stream" {
			return f, fmt.Errorf("vkmock: fault effect %q is for streaming.stream", f.Effect)
		}
	default:
		return f, fmt.Errorf("vkmock: fault effect %q: want reset, close, stall or malformed", f.Effect)
	}
	if f.Streaming != 0 && !vkerr.StreamingCode(f.Streaming).Known() {
		return f, core.FieldErr("streaming", "must be a Streaming API error code (1000-1006, 2000-2006, 2008)")
	}
	if f.Streaming != 0 && isFrameEffect(f.Effect) {
		return f, errors.New("vkmock: fault streaming answers a request; it does not go with a stream effect")
	}
	if f.Streaming == 0 && f.HTTPStatus == 0 && f.Effect == "" && f.LatencyMS == 0 && f.Latency == nil {
		return f, errors.New("vkmock: fault has no effect: set streaming, http_status, effect or latency")
	}
	return f, nil
}

// streamingFault finds the first rule that fires for a phase of the
// Streaming endpoints: the rules of streaming.rules for the rules
// endpoint, of streaming.stream without a stream effect for the upgrade,
// with one for each frame.
func (s *Server) streamingFault(phase, key string) *streaming.Action {
	name := "streaming.stream"
	if phase == streaming.PhaseRules {
		name = "streaming.rules"
	}
	q := &vkRequest{Name: name, Params: []kv{{Key: "key", Value: key}}}
	f := s.faults.MatchWhere(&faults.Request{Method: name, Params: q}, func(f *Fault) bool {
		if f.Error != nil || f.Failed != 0 || f.Upload != "" || f.Effect == "truncate" {
			return false
		}
		return (phase == streaming.PhaseFrame) == isFrameEffect(f.Effect)
	})
	if f == nil {
		return nil
	}
	return &streaming.Action{Effect: f.Effect, Code: vkerr.StreamingCode(f.Streaming), HTTPStatus: f.HTTPStatus, Delay: s.delay(f)}
}

// StreamingKey returns the stream key of an app, as streaming.getServerUrl
// hands it out.
func (ctl StreamingControl) Key(appID int64) string { return ctl.s.streamHub().Key(appID) }

// StreamingInject makes the events on every stream whose rules match their
// text, waiting while a connection's queue is full (until ctx ends), and
// returns what became of each.
func (ctl StreamingControl) Inject(ctx context.Context, events ...StreamingEvent) ([]StreamingRecord, error) {
	var out []StreamingRecord
	for _, e := range events {
		recs, err := ctl.s.streamHub().Emit(ctx, e)
		if err != nil {
			return out, err
		}
		out = append(out, recs...)
	}
	return out, nil
}

// StreamingSetRate makes events like e at perSecond a second (0 stops).
func (ctl StreamingControl) SetRate(perSecond float64, e StreamingEvent) error {
	return ctl.s.streamHub().SetRate(perSecond, e)
}

// StreamingDrop closes (StreamingClose) or stalls (StreamingStall) the
// key's connection now; it reports whether there was one.
func (ctl StreamingControl) Drop(key, effect string) (bool, error) {
	return ctl.s.streamHub().Drop(key, effect)
}

// StreamingService sends a service message (code 300) on the key's
// connection; it reports whether there was one.
func (ctl StreamingControl) Service(key, message string, code int) (bool, error) {
	return ctl.s.streamHub().Service(key, message, code)
}

// StreamingLog returns what became of each event on each stream, oldest
// first (at most the last 100,000).
func (ctl StreamingControl) Log() []StreamingRecord { return ctl.s.streamHub().Log() }

// StreamingConnected reports whether the key has a live connection.
func (ctl StreamingControl) Connected(key string) bool { return ctl.s.streamHub().Connected(key) }

// Bodies of the Streaming control requests.
type (
	streamingInject struct {
		Events []StreamingEvent `json:"events"`
		Count  int              `json:"count"`
	}
	streamingRate struct {
		PerSecond float64        `json:"per_second"`
		Event     StreamingEvent `json:"event"`
	}
	streamingDrop struct {
		Key    string `json:"key"`
		Effect string `json:"effect"`
	}
	streamingServiceMsg struct {
		Key         string `json:"key"`
		Message     string `json:"message"`
		ServiceCode int    `json:"service_code"`
	}
)

// streamingKeyOf is the key of a control request: its own, or the default
// app'ctl.s.
func (s *Server) streamingKeyOf(key string) string {
	if key == "" {
		return s.Streaming().Key(DefaultAppID)
	}
	return key
}

// streamingRoutes is the control API of the Streaming API.
func (s *Server) streamingRoutes() control.Routes {
	return control.Routes{
		"/streaming/inject": {http.MethodPost: func(w http.ResponseWriter, r *http.Request) {
			var in streamingInject
			if !control.DecodeBody(w, r, &in) {
				return
			}
			if in.Count == 0 {
				in.Count = 1
			}
			if in.Count < 0 || in.Count*len(in.Events) > maxInjectCount {
				control.Error(w, http.StatusBadRequest, core.FieldErr("count", "count times the events must be between 1 and %d", maxInjectCount))
				return
			}
			states := map[string]int{}
			for range in.Count {
				recs, err := s.Streaming().Inject(r.Context(), in.Events...)
				if err != nil {
					control.Error(w, http.StatusBadRequest, err)
					return
				}
				for _, rec := range recs {
					states[string(rec.State)]++
				}
			}
			core.WriteJSON(w, http.StatusOK, states)
		}},
		"/streaming/rate": {http.MethodPost: control.PostJSON(http.StatusOK, func(in streamingRate) (any, error) {
			return in, s.Streaming().SetRate(in.PerSecond, in.Event)
		})},
		"/streaming/drop": {http.MethodPost: control.PostJSON(http.StatusOK, func(in streamingDrop) (any, error) {
			ok, err := s.Streaming().Drop(s.streamingKeyOf(in.Key), in.Effect)
			return map[string]bool{"connected": ok}, err
		})},
		"/streaming/service": {http.MethodPost: control.PostJSON(http.StatusOK, func(in streamingServiceMsg) (any, error) {
			ok, err := s.Streaming().Service(s.streamingKeyOf(in.Key), in.Message, in.ServiceCode)
			return map[string]bool{"connected": ok}, err
		})},
		"/streaming/log": {http.MethodGet: control.GetJSON(func() any { return s.Streaming().Log() })},
	}
}
