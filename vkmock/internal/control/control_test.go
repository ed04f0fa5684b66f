package control

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func serve(routes Routes, method, path, body string) (*httptest.ResponseRecorder, map[string]string) {
	w := httptest.NewRecorder()
	routes.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	var out map[string]string
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w, out
}

func TestRoutes(t *testing.T) {
	type in struct {
		N int32 `json:"n"`
	}
	var removed string
	routes := Routes{
		"/thing": {
			http.MethodGet:  GetJSON(func() any { return map[string]int{"n": 1} }),
			http.MethodPost: PostJSON(http.StatusCreated, func(v in) (any, error) { return v, nil }),
		},
		"/thing/": {http.MethodDelete: RemoveByID("thing", func(id string) bool { removed = id; return id == "7" })},
	}
	if w, _ := serve(routes, "GET", "/__vkmock/thing/", ""); w.Code != 200 || w.Body.String() != "{\"n\":1}\n" {
		t.Errorf("GET: %d %q", w.Code, w.Body)
	}
	if w, out := serve(routes, "PUT", "/__vkmock/thing", ""); w.Code != 405 || w.Header().Get("Allow") != "GET, POST" || out["error"] == "" {
		t.Errorf("PUT: %d, Allow %q, %v", w.Code, w.Header().Get("Allow"), out)
	}
	if w, _ := serve(routes, "GET", "/__vkmock/none", ""); w.Code != 404 {
		t.Errorf("unknown path: %d", w.Code)
	}
	if w, _ := serve(routes, "DELETE", "/__vkmock/thing/7", ""); w.Code != 204 || removed != "7" {
		t.Errorf("DELETE 7: %d, removed %q", w.Code, removed)
	}
	if w, _ := serve(routes, "DELETE", "/__vkmock/thing/8", ""); w.Code != 404 {
		t.Errorf("DELETE 8: %d", w.Code)
	}
	if w, _ := serve(routes, "POST", "/__vkmock/thing", `{"n":5}`); w.Code != 201 || w.Body.String() != "{\"n\":5}\n" {
		t.Errorf("POST: %d %q", w.Code, w.Body)
	}
	for _, tc := range []struct{ body, field, text string }{
		{`{"n":3000000000}`, "n", "between -2147483648 and 2147483647"},
		{`{"x":1}`, "", "unknown field"},
		{`{"n":1} {}`, "", "text after the JSON value"},
		{`{"n":`, "", "bad JSON"},
	} {
		w, out := serve(routes, "POST", "/__vkmock/thing", tc.body)
		if w.Code != 400 || out["field"] != tc.field || !strings.Contains(out["error"], tc.text) {
			t.Errorf("POST %s: %d %v; want 400, field %q, %q", tc.body, w.Code, out, tc.field, tc.text)
		}
	}
	big := `{"n":1,"pad":"` + strings.Repeat("a", MaxBody) + `"}`
	if w, out := serve(routes, "POST", "/__vkmock/thing", big); w.Code != 413 || !strings.Contains(out["error"], "too large") {
		t.Errorf("a body over MaxBody: %d %v", w.Code, out)
	}
}
