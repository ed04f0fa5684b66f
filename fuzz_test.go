package vkerr_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

// addFixtures seeds a fuzz target with every body under testdata/bodies.
func addFixtures(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "bodies", "*"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"error":{"error_code":1e400}}`))
	f.Add([]byte(`{"error":{"error_code":14,"remixstlid":99999999999999999999}}`))
	f.Add([]byte(`{"response":null,"execute_errors":[null]}`))
}

func FuzzDecodeEnvelope(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := vkerr.DecodeEnvelope(body)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		if env.Error == nil && env.Response == nil {
			t.Fatal("envelope with neither response nor error")
		}
		// Whatever decodes re-encodes, and decodes again to the same error.
		out, err := json.Marshal(env)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		env2, err := vkerr.DecodeEnvelope(out)
		if err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		if (env.Error == nil) != (env2.Error == nil) || env.Error != nil && (env.Error.Code != env2.Error.Code || env.Error.Subcode != env2.Error.Subcode) {
			t.Fatalf("round trip changed the error: %s", out)
		}
		_ = env.Err()
		if env.Error != nil {
			_ = env.Error.Error()
			_ = env.Error.LogValue()
		}
	})
}

func FuzzErrorUnmarshal(f *testing.F) {
	f.Add([]byte(`{"error_code":14,"captcha_sid":"1","captcha_ts":1.5,"request_params":[{"key":"a"}]}`))
	f.Add([]byte(`{"error_code":"5","ban_info":{"access_token":"x"},"x":[1]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e vkerr.Error
		if json.Unmarshal(b, &e) != nil {
			return
		}
		out, err := json.Marshal(&e)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var e2 vkerr.Error
		if err := json.Unmarshal(out, &e2); err != nil {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		if e.Code != e2.Code || e.Subcode != e2.Subcode || e.RemixStlid != e2.RemixStlid || len(e.RequestParams) != len(e2.RequestParams) {
			t.Fatalf("round trip: %+v vs %+v", e, e2)
		}
	})
}

func FuzzDecodeUpload(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := vkerr.DecodeUpload(body)
		if err == nil && !json.Valid(out) {
			t.Fatalf("success with invalid JSON %q", out)
		}
		if err != nil {
			_ = err.Error()
		}
	})
}

func FuzzDecodeOAuth(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := vkerr.DecodeOAuth(body); err != nil {
			_ = err.Error()
		}
	})
}

func FuzzDecodeLongPoll(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := vkerr.DecodeLongPoll(body)
		if err == nil && r == nil {
			t.Fatal("nil response without error")
		}
	})
}

func FuzzDecodeAdsResults(f *testing.F) {
	f.Add([]byte(`[{"id":1},{"error_code":100,"error_desc":"x"},0,602]`))
	f.Add([]byte(`{"id":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, del := range []bool{false, true} {
			items, err := vkerr.DecodeAdsResults(body, del)
			if ae, ok := err.(vkerr.AdsErrors); ok {
				for _, e := range ae {
					if e.Index < 0 || e.Index >= len(items) || items[e.Index] != nil {
						t.Fatalf("bad index %d", e.Index)
					}
				}
			}
		}
	})
}

func FuzzInspect(f *testing.F) {
	addFixtures(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		rep, err := vkerr.Inspect(body)
		if err != nil {
			if rep != nil {
				t.Fatal("report and error")
			}
			return
		}
		for _, e := range rep.Errors {
			if e == nil || reflect.ValueOf(e).IsZero() {
				t.Fatal("nil error in report")
			}
			_ = e.Error()
		}
	})
}

func FuzzRedactString(f *testing.F) {
	f.Add("https://x/?access_token=abc&v=1", "abc")
	f.Add(`{"key":"lpkey","ts":1}`, "lpkey")
	f.Fuzz(func(t *testing.T, prefix, secret string) {
		if len(secret) < 4 || strings.ContainsAny(secret, "&#\"' \t\r\n\\<>,;%=") || !isPrintable(secret) {
			return
		}
		for _, name := range []string{"access_token", "client_secret", "captcha_key", "success_token", "key", "sig"} {
			s := vkerr.RedactString(prefix + "?" + name + "=" + secret)
			if strings.HasSuffix(s, "="+secret) {
				t.Fatalf("%s=%q survived: %q", name, secret, s)
			}
		}
	})
}

func isPrintable(s string) bool {
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	return true
}

// FuzzRedactKeepsJSON: redaction never panics, and JSON text stays JSON (vkapi
// redacts raw JSON fields with it).
func FuzzRedactKeepsJSON(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"vk1.a.abc","key":"method","value":"x"}`,
		`[{"key":"password","value":12345}]`,
		`{"a":"code: \"abc123def\" and sid=9"}`,
		`{"\u0061ccess_token":"x"}`,
		"https://x/?access_token=abc&key=1#sig=2",
		`{"msg":"{\"client_secret\":\"s3cr3t\"}"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := vkerr.RedactString(s)
		if json.Valid([]byte(s)) && !json.Valid([]byte(out)) {
			t.Fatalf("RedactString broke JSON:\n in %s\nout %s", s, out)
		}
	})
}
