package challenges

import (
	"html"
	"net/http"
	"net/url"
	"strconv"

	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The pages of the challenge flows, served outside /method/ and
// /__vkmock/:
//
//	GET  /captcha.php?sid=SID          the captcha's picture (image/png)
//	GET  /not_robot_captcha?sid=SID    the VK ID captcha page (HTML)
//	POST /not_robot_captcha?sid=SID    solves it: {"success_token": "..."}
//	GET  /validate?sid=SID             the validation page (HTML, a form)
//	GET|POST /validate?sid=SID&act=ok  completes it: 302 to
//	         /blank.html#success=1&access_token=NEW&user_id=ID (17; 3300-3304:
//	         #success=1 and the token's challenge cleared); act=cancel, an
//	         unknown or used sid: 302 to /blank.html#fail=1
//
// /blank.html itself is the OAuth room's, as on oauth.vk.com.

// IsPath reports whether the room serves path.
func IsPath(path string) bool {
	return path == "/captcha.php" || path == "/not_robot_captcha" || path == "/validate"
}

// ServeHTTP serves the pages above; other paths are not found.
func (r *Room) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	switch req.URL.Path {
	case "/captcha.php":
		r.serveCaptchaImage(w, req)
	case "/not_robot_captcha":
		r.serveVKIDCaptcha(w, req)
	case "/validate":
		r.serveValidate(w, req)
	default:
		http.NotFound(w, req)
	}
}

// serveVKIDCaptcha serves /not_robot_captcha: the page, and its solution.
func (r *Room) serveVKIDCaptcha(w http.ResponseWriter, req *http.Request) {
	sid := req.URL.Query().Get("sid")
	c, ok := r.Captcha(sid)
	if !ok || c.Flow != "vkid" {
		core.WriteJSON(w, http.StatusNotFound, map[string]string{"error": "no such captcha"})
		return
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		writePage(w, http.StatusOK, "VK ID captcha", `<p>Confirm you are not a robot.</p>
<form method="post" action="/not_robot_captcha?sid=`+html.EscapeString(url.QueryEscape(sid))+`"><button type="submit">I am not a robot</button></form>`)
	case http.MethodPost:
		core.WriteJSON(w, http.StatusOK, map[string]string{"success_token": c.SuccessToken})
	default:
		w.Header().Set("Allow", "GET, POST")
		core.WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
	}
}

// serveValidate serves /validate: the page of a validation (17) or of a
// 3300-3304 check.
func (r *Room) serveValidate(w http.ResponseWriter, req *http.Request) {
	if err := req.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	sid := req.Form.Get("sid")
	base := requestBase(req)
	act := req.Form.Get("act")
	if act == "" {
		if !r.pendingValidation(sid) {
			http.Redirect(w, req, base+"/blank.html#fail=1", http.StatusFound)
			return
		}
		esid := html.EscapeString(url.QueryEscape(sid))
		writePage(w, http.StatusOK, "Security check", `<p>Please confirm that this is your account.</p>
<form method="post" action="/validate?sid=`+esid+`"><button name="act" value="ok">Confirm</button> <button name="act" value="cancel">Cancel</button></form>`)
		return
	}
	fragment, _ := r.completeValidation(sid, act == "ok")
	http.Redirect(w, req, base+"/blank.html#"+fragment, http.StatusFound)
}

func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func writePage(w http.ResponseWriter, status int, title, body string) {
	page := "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + html.EscapeString(title) + "</title></head>\n<body>\n<h1>" +
		html.EscapeString(title) + "</h1>\n" + body + "\n</body></html>\n"
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(page))
}
