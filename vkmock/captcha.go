package vkmock

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/vkerr/vkerr/vkmock/internal/core"

	"github.com/vkerr/vkerr"
)

// The challenge flows' pages, served by the mock outside /method/ and
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
//	GET  /blank.html                   an empty page, as oauth.vk.com's

// CaptchaInfo is a captcha the mock issued (internal/core).
type CaptchaInfo = core.CaptchaInfo

type captchaEntry struct {
	CaptchaInfo
	token string
}

// flowState holds the captchas and validations in progress.
type flowState struct {
	mu          sync.Mutex
	seq         uint64
	captchas    map[string]*captchaEntry
	bySuccess   map[string]string
	corder      []string
	validations map[string]*validation
	vorder      []string
}

// maxFlows bounds the captchas and the validations kept; the oldest go.
const maxFlows = 20000

func (f *flowState) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq = 0
	f.captchas = map[string]*captchaEntry{}
	f.bySuccess = map[string]string{}
	f.corder = nil
	f.validations = map[string]*validation{}
	f.vorder = nil
}

func (f *flowState) trimLocked() {
	for len(f.corder) > maxFlows {
		if c, ok := f.captchas[f.corder[0]]; ok {
			delete(f.bySuccess, c.SuccessToken)
		}
		delete(f.captchas, f.corder[0])
		f.corder = f.corder[1:]
	}
	for len(f.validations) > maxFlows && len(f.vorder) > 0 {
		delete(f.validations, f.vorder[0])
		f.vorder = f.vorder[1:]
	}
}

// newCaptchaError registers a captcha for the request's token and returns
// its error 14.
func (s *Server) newCaptchaError(q *vkRequest, flow string, attempt int, lenient bool) *vkerr.Error {
	if flow == "" {
		flow = "legacy"
	}
	f := &s.flows
	f.mu.Lock()
	var sid string
	for {
		f.seq++
		sid = strconv.FormatUint(seedHash(s.seed, "captcha", strconv.FormatUint(f.seq, 10))%900_000_000_000+100_000_000_000, 10)
		if _, dup := f.captchas[sid]; !dup {
			break
		}
	}
	h := seedHash(s.seed, "captcha-key", sid)
	key := strconv.FormatUint(h%90000+10000, 10)
	c := &captchaEntry{CaptchaInfo: CaptchaInfo{SID: sid, Key: key, Attempt: attempt, Flow: flow, Strict: !lenient}, token: storedKey(q.Token)}
	var remix int64
	if flow == "vkid" {
		sum := seedHash(s.seed, "success-token", sid)
		var b [16]byte
		for i := range 8 {
			b[i] = byte(sum >> (8 * i))
			b[8+i] = byte(h >> (8 * i))
		}
		c.SuccessToken = "vkmock_captcha_" + base64.RawURLEncoding.EncodeToString(b[:])
		f.bySuccess[c.SuccessToken] = sid
		// remixstlid is above 2^53, as VK's are.
		remix = int64(sum>>2) | 1<<61
	}
	f.captchas[sid] = c
	f.corder = append(f.corder, sid)
	f.trimLocked()
	f.mu.Unlock()
	now := s.now()
	e := &vkerr.Error{
		Code:           vkerr.Captcha,
		Message:        s.message(vkerr.Captcha),
		CaptchaSID:     sid,
		CaptchaImg:     q.Base() + "/captcha.php?sid=" + sid + "&s=1",
		CaptchaTS:      strconv.FormatInt(now.Unix(), 10) + "." + strconv.Itoa(now.Nanosecond()/1e6 + 1000)[1:],
		CaptchaAttempt: attempt,
	}
	if flow == "vkid" {
		e.RedirectURI = q.Base() + "/not_robot_captcha?sid=" + sid
		e.RemixStlid = remix
	}
	return e
}

// The states of a captcha answer in a request (internal/core).
const (
	answerNone  = core.AnswerNone
	answerFresh = core.AnswerFresh
	answerUsed  = core.AnswerUsed
	answerWrong = core.AnswerWrong
)

// captchaAnswer reads the request's answer: success_token (the VK ID
// flow), else captcha_sid with captcha_key. With consume, a fresh answer is
// marked used. It returns the captcha answered, if known.
func (s *Server) captchaAnswer(q *vkRequest, consume bool) (int, *CaptchaInfo) {
	st, hasST := q.Get("success_token")
	sid, hasSID := q.Get("captcha_sid")
	key, _ := q.Get("captcha_key")
	if !hasST && !hasSID {
		if _, ok := q.Get("captcha_key"); !ok {
			return answerNone, nil
		}
	}
	f := &s.flows
	f.mu.Lock()
	defer f.mu.Unlock()
	var c *captchaEntry
	right := false
	switch {
	case hasST && st != "":
		if id, ok := f.bySuccess[st]; ok {
			c = f.captchas[id]
			right = c != nil
		}
	case hasSID:
		c = f.captchas[sid]
		right = c != nil && key != "" && (!c.Strict || strings.EqualFold(strings.TrimSpace(key), c.Key))
	}
	if c != nil && c.token != storedKey(q.Token) {
		right = false
	}
	var info *CaptchaInfo
	if c != nil {
		ci := c.CaptchaInfo
		info = &ci
	}
	switch {
	case !right:
		return answerWrong, info
	case c.Solved:
		return answerUsed, info
	}
	if consume {
		c.Solved = true
	}
	return answerFresh, info
}

// Captcha returns a captcha the mock issued, with its right key.
func (ctl ChallengeControl) Captcha(sid string) (CaptchaInfo, bool) {
	s := ctl.s
	s.flows.mu.Lock()
	defer s.flows.mu.Unlock()
	c, ok := s.flows.captchas[sid]
	if !ok {
		return CaptchaInfo{}, false
	}
	return c.CaptchaInfo, true
}

// serveCaptchaImage serves /captcha.php.
func (s *Server) serveCaptchaImage(w http.ResponseWriter, r *http.Request) {
	c, ok := s.Challenges().Captcha(r.URL.Query().Get("sid"))
	if !ok {
		http.Error(w, "no such captcha", http.StatusNotFound)
		return
	}
	b := captchaPNG(c.Key, seedHash(s.seed, "captcha-noise", c.SID))
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// glyphs are 5×7 bitmaps of the digits.
var glyphs = [10][7]string{
	{"01110", "10001", "10011", "10101", "11001", "10001", "01110"},
	{"00100", "01100", "00100", "00100", "00100", "00100", "01110"},
	{"01110", "10001", "00001", "00010", "00100", "01000", "11111"},
	{"11110", "00001", "00001", "01110", "00001", "00001", "11110"},
	{"00010", "00110", "01010", "10010", "11111", "00010", "00010"},
	{"11111", "10000", "11110", "00001", "00001", "10001", "01110"},
	{"00110", "01000", "10000", "11110", "10001", "10001", "01110"},
	{"11111", "00001", "00010", "00100", "01000", "01000", "01000"},
	{"01110", "10001", "10001", "01110", "10001", "10001", "01110"},
	{"01110", "10001", "10001", "01111", "00001", "00010", "01100"},
}

// captchaPNG draws the digits of key on a 130×50 picture, VK's size, with
// noise from the seed h.
func captchaPNG(key string, h uint64) []byte {
	const width, height, scale = 130, 50, 4
	pal := color.Palette{color.RGBA{0xf4, 0xf6, 0xf8, 0xff}, color.RGBA{0x2a, 0x58, 0x85, 0xff}, color.RGBA{0x99, 0xa8, 0xb8, 0xff}}
	img := image.NewPaletted(image.Rect(0, 0, width, height), pal)
	next := func() uint64 {
		h ^= h << 13
		h ^= h >> 7
		h ^= h << 17
		return h
	}
	for range 120 {
		img.SetColorIndex(int(next()%width), int(next()%height), 2)
	}
	for range 3 {
		y0, y1 := int(next()%height), int(next()%height)
		for x := range width {
			img.SetColorIndex(x, y0+(y1-y0)*x/width, 2)
		}
	}
	x := 6
	for _, ch := range key {
		if ch < '0' || ch > '9' {
			continue
		}
		g := glyphs[ch-'0']
		dy := 6 + int(next()%8)
		for row := range 7 {
			for col := range 5 {
				if g[row][col] != '1' {
					continue
				}
				for i := range scale {
					for j := range scale {
						img.SetColorIndex(x+col*scale+i, dy+row*scale+j, 1)
					}
				}
			}
		}
		x += 5*scale + 4
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil
	}
	return buf.Bytes()
}

// serveVKIDCaptcha serves /not_robot_captcha: the page, and its solution.
func (s *Server) serveVKIDCaptcha(w http.ResponseWriter, r *http.Request) {
	sid := r.URL.Query().Get("sid")
	c, ok := s.Challenges().Captcha(sid)
	if !ok || c.Flow != "vkid" {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such captcha"})
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		writePage(w, http.StatusOK, "VK ID captcha", `<p>Confirm you are not a robot.</p>
<form method="post" action="/not_robot_captcha?sid=`+html.EscapeString(url.QueryEscape(sid))+`"><button type="submit">I am not a robot</button></form>`)
	case http.MethodPost:
		writeJSON(w, http.StatusOK, map[string]string{"success_token": c.SuccessToken})
	default:
		notAllowed(w, "GET, POST")
	}
}

// serveValidate serves /validate: the page of a validation (17) or of a
// 3300-3304 check.
func (s *Server) serveValidate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	sid := r.Form.Get("sid")
	base := requestBase(r)
	act := r.Form.Get("act")
	if act == "" {
		s.flows.mu.Lock()
		v, ok := s.flows.validations[sid]
		pending := ok && !v.done
		s.flows.mu.Unlock()
		if !pending {
			http.Redirect(w, r, base+"/blank.html#fail=1", http.StatusFound)
			return
		}
		esid := html.EscapeString(url.QueryEscape(sid))
		writePage(w, http.StatusOK, "Security check", `<p>Please confirm that this is your account.</p>
<form method="post" action="/validate?sid=`+esid+`"><button name="act" value="ok">Confirm</button> <button name="act" value="cancel">Cancel</button></form>`)
		return
	}
	fragment, _ := s.completeValidation(sid, act == "ok")
	http.Redirect(w, r, base+"/blank.html#"+fragment, http.StatusFound)
}

// completeValidation completes a check and returns the fragment of the
// blank.html redirect.
func (s *Server) completeValidation(sid string, ok bool) (string, error) {
	s.flows.mu.Lock()
	v, found := s.flows.validations[sid]
	if !found || v.done {
		s.flows.mu.Unlock()
		return "fail=1", errors.New("vkmock: no such pending validation")
	}
	v.done = true
	tokStr, code := v.token, v.code
	s.flows.mu.Unlock()
	if !ok {
		return "fail=1", errors.New("vkmock: validation canceled")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, exists := s.tokens[tokStr]
	if !exists {
		return "fail=1", errors.New("vkmock: the token is gone")
	}
	if code != vkerr.AuthValidation {
		if s.tokenChal[tokStr] == code {
			delete(s.tokenChal, tokStr)
		}
		return "success=1", nil
	}
	if len(s.tokens) >= MaxTokens {
		return "fail=1", errors.New("vkmock: too many tokens")
	}
	nt, err := s.createTokenLocked(Token{Kind: old.Kind, UserID: old.UserID, GroupID: old.GroupID, AppID: old.AppID, Scopes: old.Scopes})
	if err != nil {
		return "fail=1", err
	}
	return "success=1&access_token=" + url.QueryEscape(nt.Token) + "&user_id=" + strconv.FormatInt(old.UserID, 10), nil
}

// CompleteValidation completes the check behind a redirect_uri of error 17
// (or 3300-3304) as a person who passes it would, and returns the new
// token (empty for 3300-3304, whose completion clears the token's
// challenge instead).
func (ctl ChallengeControl) CompleteValidation(redirectURI string) (string, error) {
	s := ctl.s
	u, err := url.Parse(redirectURI)
	if err != nil {
		return "", err
	}
	frag, err := s.completeValidation(u.Query().Get("sid"), true)
	if err != nil {
		return "", err
	}
	vals, _ := url.ParseQuery(frag)
	return vals.Get("access_token"), nil
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
