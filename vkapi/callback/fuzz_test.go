package callback

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzServeHTTP: any body gets one of the receiver's answers, never a
// panic, and "ok" only for an event with the right secret.
func FuzzServeHTTP(f *testing.F) {
	for _, s := range []string{
		`{"type":"confirmation","group_id":125262672}`,
		eventBody("e", "S"), eventBody("e", "x"), `{"type":"x"}`, `null`, `[]`, `{"type":1}`,
		"\xef\xbb\xbf{\"type\":\"confirmation\"}", `{"type":"wall_post_new","object":null,"secret":"S","event_id":7}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := New(Config{Secret: "S", Confirmation: "code", GroupID: 125262672, QueueSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body))))
		switch w.Code {
		case 200:
			if b := w.Body.String(); b != "ok" && b != "code" {
				t.Fatalf("200 %q", b)
			}
			if w.Body.String() == "ok" && !strings.Contains(string(body), `"S"`) {
				t.Fatalf("ok without the secret: %q", body)
			}
		case 400, 403, 503:
		default:
			t.Fatalf("status %d", w.Code)
		}
	})
}
