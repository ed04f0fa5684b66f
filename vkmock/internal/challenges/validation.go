package challenges

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// validation is a pending check behind a redirect_uri.
type validation struct {
	token string
	code  vkerr.Code
	done  bool
}

// newValidation registers a check of the request's token and returns the
// URL of its page.
func (r *Room) newValidation(q *core.Request, code vkerr.Code) string {
	f := &r.flows
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	sid := r.sid("validation", f.seq)
	// A token longer than the store keeps is unknown: the validation
	// cannot complete.
	tok := ""
	if len(q.Token) <= r.maxToken {
		tok = strings.Clone(q.Token)
	}
	f.validations[sid] = &validation{token: tok, code: code}
	f.vorder = append(f.vorder, sid)
	f.trimLocked()
	return q.Base() + "/validate?sid=" + sid
}

// pendingValidation reports whether sid is a validation not completed yet.
func (r *Room) pendingValidation(sid string) bool {
	r.flows.mu.Lock()
	defer r.flows.mu.Unlock()
	v, ok := r.flows.validations[sid]
	return ok && !v.done
}

// completeValidation completes a check and returns the fragment of the
// blank.html redirect.
func (r *Room) completeValidation(sid string, ok bool) (string, error) {
	r.flows.mu.Lock()
	v, found := r.flows.validations[sid]
	if !found || v.done {
		r.flows.mu.Unlock()
		return "fail=1", errors.New("vkmock: no such pending validation")
	}
	v.done = true
	tok, code := v.token, v.code
	r.flows.mu.Unlock()
	if !ok {
		return "fail=1", errors.New("vkmock: validation canceled")
	}
	if code != vkerr.AuthValidation {
		if !r.tokens.Exists(tok) {
			return "fail=1", errors.New("vkmock: the token is gone")
		}
		r.tokChal.clear(tok, code)
		return "success=1", nil
	}
	nt, err := r.tokens.Reissue(tok)
	if err != nil {
		return "fail=1", err
	}
	return "success=1&access_token=" + url.QueryEscape(nt.Token) + "&user_id=" + strconv.FormatInt(nt.UserID, 10), nil
}

// CompleteValidation completes the check behind a redirect_uri of error 17
// (or 3300-3304) as a person who passes it would, and returns the new
// token (empty for 3300-3304, whose completion clears the token's
// challenge instead).
func (r *Room) CompleteValidation(redirectURI string) (string, error) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		return "", err
	}
	frag, err := r.completeValidation(u.Query().Get("sid"), true)
	if err != nil {
		return "", err
	}
	vals, _ := url.ParseQuery(frag)
	return vals.Get("access_token"), nil
}
