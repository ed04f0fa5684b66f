package challenges

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

func serve(r *Room, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(method, "http://mock.test"+target, nil))
	return w
}

func TestCaptchaPicture(t *testing.T) {
	r, _, _ := newRoom(t, 1)
	e := r.NewCaptchaError(call("wall.post", "t"), "", 1, false)
	w := serve(r, http.MethodGet, "/captcha.php?sid="+e.CaptchaSID+"&s=1")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("%d %s", w.Code, w.Header().Get("Content-Type"))
	}
	img, err := png.Decode(bytes.NewReader(w.Body.Bytes()))
	if err != nil || img.Bounds().Dx() != 130 || img.Bounds().Dy() != 50 {
		t.Fatalf("picture: %v", err)
	}
	again := serve(r, http.MethodGet, "/captcha.php?sid="+e.CaptchaSID)
	if !bytes.Equal(again.Body.Bytes(), w.Body.Bytes()) {
		t.Fatal("one captcha, two pictures")
	}
	if w := serve(r, http.MethodGet, "/captcha.php?sid=1"); w.Code != http.StatusNotFound {
		t.Fatalf("unknown sid: %d", w.Code)
	}
	if w := serve(r, http.MethodGet, "/other"); w.Code != http.StatusNotFound || IsPath("/other") || !IsPath("/validate") {
		t.Fatalf("other path: %d", w.Code)
	}
}

func TestVKIDCaptchaPage(t *testing.T) {
	r, _, _ := newRoom(t, 1)
	e := r.NewCaptchaError(call("wall.post", "t"), "vkid", 1, false)
	legacy := r.NewCaptchaError(call("wall.post", "t"), "legacy", 1, false)
	u, err := url.Parse(e.RedirectURI)
	if err != nil {
		t.Fatal(err)
	}
	page := u.RequestURI()
	if w := serve(r, http.MethodGet, page); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "<form method=\"post\"") {
		t.Fatalf("page: %d %s", w.Code, w.Body)
	}
	w := serve(r, http.MethodPost, page)
	var got struct {
		SuccessToken string `json:"success_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusOK {
		t.Fatalf("solve: %d %v", w.Code, err)
	}
	if state, _ := r.Answer(call("wall.post", "t", "success_token", got.SuccessToken), true); state != core.AnswerFresh {
		t.Fatalf("the page's success_token: state %d", state)
	}
	if w := serve(r, http.MethodPut, page); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, POST" {
		t.Fatalf("PUT: %d", w.Code)
	}
	if w := serve(r, http.MethodGet, "/not_robot_captcha?sid="+legacy.CaptchaSID); w.Code != http.StatusNotFound {
		t.Fatalf("a legacy captcha's page: %d", w.Code)
	}
}

func TestValidatePage(t *testing.T) {
	r, _, toks := newRoom(t, 1)
	uri := r.TokenError(vkerr.AuthValidation, call("users.get", "t")).RedirectURI
	u, _ := url.Parse(uri)
	page := u.RequestURI()
	if w := serve(r, http.MethodGet, page); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `value="ok"`) {
		t.Fatalf("page: %d", w.Code)
	}
	w := serve(r, http.MethodPost, page+"&act=ok")
	if w.Code != http.StatusFound || w.Header().Get("Location") != "http://mock.test/blank.html#success=1&access_token=t-new&user_id=7" || !toks.Exists("t-new") {
		t.Fatalf("ok: %d %s", w.Code, w.Header().Get("Location"))
	}
	for _, target := range []string{page, page + "&act=ok"} {
		if w := serve(r, http.MethodGet, target); w.Code != http.StatusFound || !strings.HasSuffix(w.Header().Get("Location"), "#fail=1") {
			t.Fatalf("used %s: %d %s", target, w.Code, w.Header().Get("Location"))
		}
	}
	u, _ = url.Parse(r.TokenError(vkerr.OtpValidationNeed, call("users.get", "u")).RedirectURI)
	if w := serve(r, http.MethodGet, u.RequestURI()+"&act=cancel"); !strings.HasSuffix(w.Header().Get("Location"), "#fail=1") {
		t.Fatalf("cancel: %s", w.Header().Get("Location"))
	}
	if w := serve(r, http.MethodGet, "/validate?sid=%zz"); w.Code != http.StatusBadRequest {
		t.Fatalf("bad form: %d", w.Code)
	}
}
