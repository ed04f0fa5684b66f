package vkmock

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vkerr/vkerr/vkmock/internal/control"
)

// TestControlBodyTooLarge: a control body over control.MaxBody is answered
// 413 "body too large", whether the excess is inside the JSON value or
// after it, never "bad JSON: unexpected EOF".
func TestControlBodyTooLarge(t *testing.T) {
	s := testServer(t)
	big := strings.Repeat("a", control.MaxBody+10)
	for name, body := range map[string]string{
		"inside": `{"method":"users.get","suffix":"` + big + `","error":{"error_code":6}}`,
		"after":  `{"method":"users.get","error":{"error_code":6}}` + strings.Repeat(" ", control.MaxBody+10),
	} {
		resp, err := s.HTTPClient().Post(s.URL()+"/__vkmock/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Error string }
		if resp.StatusCode != http.StatusRequestEntityTooLarge || json.Unmarshal(b, &e) != nil || !strings.Contains(e.Error, "too large") {
			t.Errorf("%s: %d %s", name, resp.StatusCode, b)
		}
	}
	if n := len(s.Faults().List()); n != 0 {
		t.Fatalf("%d rules added by refused bodies", n)
	}
	// Within the limit, a cut body is still bad JSON.
	resp, err := s.HTTPClient().Post(s.URL()+"/__vkmock/faults", "application/json", strings.NewReader(`{"method":`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "bad JSON") {
		t.Fatalf("cut body: %d %s", resp.StatusCode, b)
	}
}
