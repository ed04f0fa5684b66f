package challenges

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzPages: any method and query on the room's pages gets one of their
// answers, never a panic; the sids the room issued are among the inputs.
func FuzzPages(f *testing.F) {
	f.Add("GET", "/captcha.php", "sid=1&s=1")
	f.Add("POST", "/not_robot_captcha", "sid=")
	f.Add("GET", "/validate", "sid=1&act=ok")
	f.Add("POST", "/validate", "sid=%zz")
	f.Add("DELETE", "/not_robot_captcha", "sid=x")
	f.Fuzz(func(t *testing.T, method, path, query string) {
		r, _, _ := newRoom(t, 1)
		q := call("wall.post", "t")
		legacy := r.NewCaptchaError(q, "legacy", 1, false)
		vkid := r.NewCaptchaError(q, "vkid", 1, false)
		valid := r.TokenError(17, q)
		u := &url.URL{Scheme: "http", Host: "mock.test", Path: path, RawQuery: query}
		for _, sid := range []string{"", legacy.CaptchaSID, vkid.CaptchaSID, valid.RedirectURI[len("http://mock.test/validate?sid="):]} {
			if sid != "" {
				u.RawQuery = query + "&sid=" + sid
			}
			req, err := http.NewRequest(method, u.String(), nil)
			if err != nil {
				return
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			switch w.Code {
			case http.StatusOK, http.StatusFound, http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed:
			default:
				t.Fatalf("%s %s: %d", method, u, w.Code)
			}
		}
	})
}
