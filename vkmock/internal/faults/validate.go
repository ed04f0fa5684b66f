package faults

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"path"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Validate checks a rule and fills its defaults. most bounds its latency;
// known reports whether an error code is global or listed by a method
// the glob matches.
func Validate(f Fault, most time.Duration, known func(code vkerr.Code, methodGlob string) bool) (Fault, error) {
	if f.Method == "" {
		f.Method = "*"
	}
	f = f.Clone()
	if _, err := path.Match(f.Method, ""); err != nil {
		return f, fmt.Errorf("vkmock: fault method %q: %w", f.Method, err)
	}
	for k, v := range f.Params {
		if _, err := path.Match(v, ""); err != nil {
			return f, fmt.Errorf("vkmock: fault param %s %q: %w", k, v, err)
		}
	}
	if !(f.Probability >= 0 && f.Probability <= 1) {
		return f, core.FieldErr("probability", "must be between 0 and 1")
	}
	if f.Times < 0 {
		return f, core.FieldErr("times", "must be between 0 and %d", int64(math.MaxInt64))
	}
	if f.HTTPStatus != 0 && (f.HTTPStatus < 100 || f.HTTPStatus > 599) {
		return f, core.FieldErr("http_status", "must be 0 or between 100 and 599")
	}
	mostMS := float64(most / time.Millisecond)
	if !(f.LatencyMS >= 0 && f.LatencyMS <= mostMS) { // NaN fails both
		return f, core.FieldErr("latency_ms", "must be between 0 and %v", mostMS)
	}
	if l := f.Latency; l != nil {
		switch l.Dist {
		case "fixed", "uniform", "normal", "exponential":
		default:
			return f, fmt.Errorf("vkmock: fault latency dist %q: want fixed, uniform, normal or exponential", l.Dist)
		}
		for name, v := range map[string]float64{"min_ms": l.MinMS, "max_ms": l.MaxMS, "mean_ms": l.MeanMS, "stddev_ms": l.StddevMS} {
			if !(v >= 0 && v <= mostMS) {
				return f, core.FieldErr("latency."+name, "must be between 0 and %v", mostMS)
			}
		}
		if l.Dist == "uniform" && l.MaxMS < l.MinMS {
			return f, errors.New("vkmock: fault latency max_ms is below min_ms")
		}
	}
	switch f.Phase {
	case "":
		f.Phase = PhaseBefore
	case PhaseBefore, PhaseAfter:
	default:
		return f, fmt.Errorf("vkmock: fault phase %q: want before or after", f.Phase)
	}
	if IsStreamingMethod(f.Method) {
		return f, nil // the Streaming API's rules: vkmock checks the rest
	}
	if f.Streaming != 0 {
		return f, errors.New("vkmock: fault streaming goes with method streaming.stream or streaming.rules")
	}
	switch f.Effect {
	case "", "reset", "truncate":
	case "stall":
		// A request held with no answer until the client gives up: the
		// a_check of Bots Long Poll and the upload POST only.
		if f.Method != "longpoll.bots" && f.Method != "upload.photo" && f.Method != "upload.doc" && f.Method != "upload.*" {
			return f, fmt.Errorf("vkmock: fault effect stall goes with method longpoll.bots, upload.photo, upload.doc or upload.*, not %q", f.Method)
		}
	default:
		return f, fmt.Errorf("vkmock: fault effect %q: want reset, truncate or stall", f.Effect)
	}
	if f.Error != nil {
		if f.Error.Code <= 0 {
			return f, errors.New("vkmock: fault error needs a positive error_code")
		}
		e := *f.Error
		e.Extra = maps.Clone(f.Error.Extra)
		f.Error = &e
		if !known(e.Code, f.Method) {
			return f, fmt.Errorf("vkmock: error %d is not global and no method matching %q lists it", e.Code, f.Method)
		}
	}
	if f.Failed < 0 || f.Failed > 99 {
		return f, errors.New("vkmock: fault failed must be between 1 and 99")
	}
	if err := validateUploadFault(&f); err != nil {
		return f, err
	}
	if f.Error == nil && f.HTTPStatus == 0 && f.Effect == "" && f.LatencyMS == 0 && f.Latency == nil && f.Failed == 0 && f.Upload == "" {
		return f, errors.New("vkmock: fault has no effect: set error, http_status, effect, latency, failed or upload")
	}
	return f, nil
}

// uploadShapes are the values of Fault.Upload.
var uploadShapes = map[string]bool{"docs": true, "video": true, "story": true, "lead_form": true, "empty": true, "expired": true}

// validateUploadFault checks a rule's Upload shape.
func validateUploadFault(f *Fault) error {
	if f.Upload == "" {
		return nil
	}
	if !uploadShapes[f.Upload] {
		return fmt.Errorf("vkmock: fault upload %q: want docs, video, story, lead_form, empty or expired", f.Upload)
	}
	if !strings.HasPrefix(f.Method, "upload.") {
		return fmt.Errorf("vkmock: fault upload %q needs the method upload.photo, upload.doc or upload.*", f.Upload)
	}
	return nil
}

// IsStreamingMethod reports whether a rule is for the Streaming API's
// endpoints, whose effects differ from the API's.
func IsStreamingMethod(m string) bool { return m == "streaming.stream" || m == "streaming.rules" }
