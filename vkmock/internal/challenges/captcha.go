package challenges

import (
	"encoding/base64"
	"strconv"
	"strings"
	"sync"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

type captchaEntry struct {
	core.CaptchaInfo
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

// MaxFlows bounds the captchas and the validations kept, and the pending
// confirmations; the oldest go.
const MaxFlows = 20000

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
	for len(f.corder) > MaxFlows {
		if c, ok := f.captchas[f.corder[0]]; ok {
			delete(f.bySuccess, c.SuccessToken)
		}
		delete(f.captchas, f.corder[0])
		f.corder = f.corder[1:]
	}
	for len(f.validations) > MaxFlows && len(f.vorder) > 0 {
		delete(f.validations, f.vorder[0])
		f.vorder = f.vorder[1:]
	}
}

// sid makes the id of a flow: twelve digits from the seed, the label and
// the sequence number.
func (r *Room) sid(label string, seq uint64) string {
	return strconv.FormatUint(r.hash(label, strconv.FormatUint(seq, 10))%900_000_000_000+100_000_000_000, 10)
}

// NewCaptchaError registers a captcha for the request's token and returns
// its error 14: flow "legacy" (the default) or "vkid", attempt its
// captcha_attempt; when lenient, any captcha_key solves it.
func (r *Room) NewCaptchaError(q *core.Request, flow string, attempt int, lenient bool) *vkerr.Error {
	if flow == "" {
		flow = "legacy"
	}
	f := &r.flows
	f.mu.Lock()
	var sid string
	for {
		f.seq++
		sid = r.sid("captcha", f.seq)
		if _, dup := f.captchas[sid]; !dup {
			break
		}
	}
	h := r.hash("captcha-key", sid)
	key := strconv.FormatUint(h%90000+10000, 10)
	c := &captchaEntry{CaptchaInfo: core.CaptchaInfo{SID: sid, Key: key, Attempt: attempt, Flow: flow, Strict: !lenient}, token: core.StoredKey(q.Token)}
	var remix int64
	if flow == "vkid" {
		sum := r.hash("success-token", sid)
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
	now := r.clk.Now()
	e := &vkerr.Error{
		Code:           vkerr.Captcha,
		Message:        r.msgs.Of(vkerr.Captcha),
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

// Answer reads the request's captcha answer: success_token (the VK ID
// flow), else captcha_sid with captcha_key. It returns its state
// (core.AnswerNone, ...) and the captcha answered, if known. With consume,
// a fresh answer is marked used.
func (r *Room) Answer(q *core.Request, consume bool) (int, *core.CaptchaInfo) {
	st, hasST := q.Get("success_token")
	sid, hasSID := q.Get("captcha_sid")
	key, _ := q.Get("captcha_key")
	if !hasST && !hasSID {
		if _, ok := q.Get("captcha_key"); !ok {
			return core.AnswerNone, nil
		}
	}
	f := &r.flows
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
	if c != nil && c.token != core.StoredKey(q.Token) {
		right = false
	}
	var info *core.CaptchaInfo
	if c != nil {
		ci := c.CaptchaInfo
		info = &ci
	}
	switch {
	case !right:
		return core.AnswerWrong, info
	case c.Solved:
		return core.AnswerUsed, info
	}
	if consume {
		c.Solved = true
	}
	return core.AnswerFresh, info
}

// Captcha returns a captcha the room issued, with its right key.
func (r *Room) Captcha(sid string) (core.CaptchaInfo, bool) {
	r.flows.mu.Lock()
	defer r.flows.mu.Unlock()
	c, ok := r.flows.captchas[sid]
	if !ok {
		return core.CaptchaInfo{}, false
	}
	return c.CaptchaInfo, true
}
