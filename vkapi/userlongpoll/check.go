package userlongpoll

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vkerr/vkerr"
)

// check sends one a_check and decodes its answer.
func (p *Poller) check(ctx context.Context) (*Answer, error) {
	server := p.server
	if !strings.Contains(server, "://") {
		server = p.scheme + "://" + server
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		p.key = ""
		return nil, errors.New("userlongpoll: the server is not an http(s) address")
	}
	q := u.Query()
	q.Set("act", "a_check")
	q.Set("key", p.key)
	q.Set("ts", strconv.FormatInt(p.ts, 10))
	q.Set("wait", strconv.Itoa(int(p.cfg.Wait/time.Second)))
	q.Set("mode", strconv.Itoa(p.cfg.Mode))
	q.Set("version", strconv.Itoa(p.cfg.Version))
	u.RawQuery = q.Encode()
	rctx, cancel := context.WithTimeout(ctx, p.cfg.Wait+10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errors.New("userlongpoll: bad request")
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL holds the key
		}
		return nil, err
	}
	defer resp.Body.Close()
	// Decode keeps no reference to body, so the next answer reuses its
	// buffer.
	body, err := p.body.Read(resp.Body, maxAnswerBytes+1)
	defer p.body.Release()
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &vkerr.HTTPError{StatusCode: resp.StatusCode}
	}
	if len(body) > maxAnswerBytes {
		return nil, errors.New("userlongpoll: answer larger than the limit")
	}
	return Decode(body)
}
