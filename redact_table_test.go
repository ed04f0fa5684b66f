package vkerr_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/redacttest"
)

// outputs renders err in every way a program shows an error: Error(), %v,
// %+v, %#v, %q, %s, json.Marshal and slog's JSON handler at debug.
func outputs(t *testing.T, err error) map[string]string {
	t.Helper()
	out := map[string]string{
		"Error()": err.Error(),
		"%v":      fmt.Sprintf("%v", err),
		"%+v":     fmt.Sprintf("%+v", err),
		"%#v":     fmt.Sprintf("%#v", err),
		"%q":      fmt.Sprintf("%q", err),
		"%s":      fmt.Sprintf("%s", err),
	}
	b, jerr := json.Marshal(err)
	if jerr != nil {
		t.Fatalf("json.Marshal(%T): %v", err, jerr)
	}
	out["json"] = string(b)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("call failed", "err", err)
	out["slog-json"] = buf.String()
	return out
}

// errorsOf decodes body as every decoder would and returns every error it
// yields.
func errorsOf(body []byte) []error {
	var errs []error
	if rep, err := vkerr.Inspect(body); err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, rep.Errors...)
	}
	if _, err := vkerr.DecodeResponse(body); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// TestRedactionTable drives every output of every error type over the
// table of secrets × places × forms (internal/redacttest) and looks for each
// secret and each 8-byte piece of it.
func TestRedactionTable(t *testing.T) {
	t.Parallel() // CPU under -race: beside the other one
	cases := redacttest.Table(raceEnabled)
	checks, leaks := 0, 0
	for _, c := range cases {
		errs := errorsOf(c.Body)
		if len(errs) == 0 {
			t.Errorf("%s: no error decoded from %s", c.Name, c.Body)
			continue
		}
		for _, err := range errs {
			for kind, s := range outputs(t, err) {
				checks++
				if p := redacttest.Leak(s, c.Secret); p != "" {
					leaks++
					if leaks <= 20 {
						t.Errorf("%s: %T %s shows %q of the secret:\n%s", c.Name, err, kind, p, s)
					}
				}
			}
		}
	}
	t.Logf("%d cases (%d names × %d forms × %d places, + by-name, token and snippet-offset cases), %d output checks, %d leaks",
		len(cases), len(redacttest.Names), len(redacttest.Forms), len(redacttest.Places), checks, leaks)
}
