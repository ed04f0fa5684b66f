package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
)

func init() { register(newDemoCmd) }

func newDemoCmd() *cobra.Command {
	var lang string
	var seed int64
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Walk a vkapi client through the errors of VK's errors page, against an in-process vkmock",
		Long: `Demo starts an in-process vkmock and walks a vkapi client through the errors
of VK's page of returned errors: for each, what the server answered and what
the client did about it (waited for its rate limiter, retried with backoff,
asked the captcha hook and resent, refused a quota-exhausted method locally,
...), ending with a one-screen summary. It needs no token and no network.`,
		Example: "  vk demo\n  vk demo --lang ru",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			lang, err := resolveLang(lang)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmdContext(cmd), 2*time.Minute)
			defer cancel()
			failed, err := runDemo(ctx, cmd.OutOrStdout(), lang, seed)
			if err != nil {
				return &exitError{code: 1, err: err}
			}
			if failed > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d step(s) did not go as documented", failed)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "", langUsage)
	cmd.Flags().Int64Var(&seed, "seed", 1, "seed of the mock's world and answers")
	return stopOnSignal(cmd)
}

// demo is one run: the mock, what the client was seen doing, the summary.
type demo struct {
	w       io.Writer
	lang    string
	srv     *vkmock.Server
	url     string
	rec     *recorder
	summary []summaryRow
	mark    int // index in the mock's request log where the step began
}

type summaryRow struct {
	code           vkerr.Code
	server, client string
	ok             bool
}

// recorder is the client's Observer: it keeps what the client did during
// one step.
type recorder struct {
	mu       sync.Mutex
	requests int
	waits    int
	maxWait  time.Duration
	retries  []vkapi.RetryEvent
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests, r.waits, r.maxWait, r.retries = 0, 0, 0, nil
}

func (r *recorder) observer() vkapi.Observer {
	return vkapi.ObserverFuncs{
		Request: func(context.Context, vkapi.RequestEvent) {
			r.mu.Lock()
			r.requests++
			r.mu.Unlock()
		},
		Retry: func(_ context.Context, e vkapi.RetryEvent) {
			r.mu.Lock()
			r.retries = append(r.retries, e)
			r.mu.Unlock()
		},
		LimiterWait: func(_ context.Context, e vkapi.LimiterWaitEvent) {
			r.mu.Lock()
			r.waits++
			r.maxWait = max(r.maxWait, e.Waited)
			r.mu.Unlock()
		},
	}
}

// client returns a vkapi client on the demo's mock, observed by the
// recorder.
func (d *demo) client(token string, kind vkapi.TokenKind, opts ...vkapi.Option) *vkapi.Client {
	base := []vkapi.Option{vkapi.WithBaseURL(d.url), vkapi.WithTokenKind(kind), vkapi.WithLang(d.lang),
		vkapi.WithObserver(d.rec.observer()),
		vkapi.WithRetry(vkapi.RetryPolicy{BaseDelay: 50 * time.Millisecond, MaxDelay: 400 * time.Millisecond})}
	return vkapi.New(token, append(base, opts...)...)
}

// token creates a fresh token of kind, so that each step has its own rate
// budget on the mock (a budget belongs to a token, not to a client).
func (d *demo) token(kind vkmock.TokenKind) string {
	t, err := d.srv.Tokens().Create(vkmock.Token{Kind: kind})
	if err != nil {
		panic(fmt.Sprintf("vkmock rejected a token of kind %s: %v", kind, err))
	}
	return t.Token
}

// served returns what the mock answered since the step began, such as
// "users.get → 10, users.get → ok".
func (d *demo) served() (string, int) {
	recs := d.srv.Requests().All()
	var parts []string
	n := 0
	for _, r := range recs[min(d.mark, len(recs)):] {
		n++
		ans := "ok"
		switch {
		case r.ErrorCode != nil:
			ans = fmt.Sprintf(d.tr("error %d"), int(*r.ErrorCode))
		case r.Effect != "":
			ans = r.Effect
		case r.HTTPStatus != http.StatusOK:
			ans = fmt.Sprintf("HTTP %d", r.HTTPStatus)
		}
		parts = append(parts, r.Method+" → "+ans)
	}
	if len(parts) > 6 {
		parts = append(parts[:3], fmt.Sprintf(d.tr("… %d more …"), len(parts)-5), parts[len(parts)-2], parts[len(parts)-1])
	}
	return strings.Join(parts, ", "), n
}

// step runs one scenario and prints it.
func (d *demo) step(n, total int, code vkerr.Code, intro string, run func(ctx context.Context) (client string, ok bool, err error)) {
	d.rec.reset()
	d.mark = len(d.srv.Requests().All())
	info := code.Info()
	if code == 0 {
		fmt.Fprintf(d.w, d.tr("\n[%d/%d] execute — up to 25 calls in one request, the documented answer to 6 and 9\n"), n, total)
	} else {
		fmt.Fprintf(d.w, "\n[%d/%d] %d %s — %s (%s)\n", n, total, code, info.GoName, info.Message(d.lang), info.Category)
	}
	fmt.Fprintf(d.w, d.tr("  setup:  %s\n"), intro)
	client, ok, err := run(context.Background())
	server, _ := d.served()
	fmt.Fprintf(d.w, d.tr("  server: %s\n"), server)
	fmt.Fprintf(d.w, d.tr("  client: %s\n"), client)
	if err != nil {
		fmt.Fprintf(d.w, d.tr("  error:  %v\n"), err)
	}
	mark := "ok"
	if !ok {
		mark = d.tr("NOT AS DOCUMENTED")
	}
	if code != 0 {
		fmt.Fprintf(d.w, d.tr("  remedy: %s\n"), info.Remedy(d.lang))
	}
	fmt.Fprintf(d.w, d.tr("  result: %s\n"), mark)
	d.summary = append(d.summary, summaryRow{code: code, server: server, client: client, ok: ok})
}

func (d *demo) retried() string {
	d.rec.mu.Lock()
	defer d.rec.mu.Unlock()
	var parts []string
	for _, r := range d.rec.retries {
		if r.Retry {
			parts = append(parts, fmt.Sprintf(d.tr("retried after %v (%s)"), r.Delay.Round(time.Millisecond), r.Reason))
		} else {
			parts = append(parts, fmt.Sprintf(d.tr("did not retry (%s)"), r.Reason))
		}
	}
	return strings.Join(parts, "; ")
}

// runDemo runs every step and prints the summary; it returns how many steps
// did not go as documented.
func runDemo(ctx context.Context, w io.Writer, lang string, seed int64) (int, error) {
	srv, err := vkmock.New(vkmock.WithSeed(seed), vkmock.WithRequestLogSize(100000))
	if err != nil {
		return 0, err
	}
	srvCtx, stop := context.WithCancel(ctx)
	defer stop()
	url, err := serveMock(srvCtx, srv)
	if err != nil {
		return 0, err
	}
	d := &demo{w: w, lang: lang, srv: srv, url: url, rec: &recorder{}}
	fmt.Fprint(w, d.tr("vk demo: the VK API error system end to end: a vkapi client against an in-process\n"))
	fmt.Fprintf(w, d.tr("vkmock (%s, VK API schema %s, seed %d). No token, no network.\n"), url, srv.SchemaVersion(), seed)

	steps := demoSteps(d)
	for i, s := range steps {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		d.step(i+1, len(steps), s.code, s.intro, s.run)
		d.summary[len(d.summary)-1].client = s.did
	}

	failed := 0
	fmt.Fprint(w, d.tr("\nSummary\n\n"))
	fmt.Fprintf(w, "  %-4s %-17s %-13s %-4s %s\n", d.tr("code"), d.tr("error"), d.tr("category"), "", d.tr("what the client did"))
	for _, r := range d.summary {
		info := r.code.Info()
		mark := "ok"
		if !r.ok {
			mark, failed = d.tr("FAIL"), failed+1
		}
		code, name, cat := fmt.Sprint(int(r.code)), info.GoName, info.Category.String()
		if r.code == 0 {
			code, name, cat = "—", d.tr("execute batch"), "—"
		}
		fmt.Fprintf(w, "  %-4s %-17s %-13s %-4s %s\n", code, name, cat, mark, r.client)
	}
	fmt.Fprintf(w, d.tr("\n%d of %d steps went as documented. Requests the mock answered: %d.\n"), len(d.summary)-failed, len(d.summary), len(srv.Requests().All()))
	return failed + d.longPollDemo(ctx), nil
}

type demoStep struct {
	code  vkerr.Code
	did   string // the client's remedy, in a few words, for the summary
	intro string
	run   func(ctx context.Context) (string, bool, error)
}

func demoSteps(d *demo) []demoStep {
	user := func() string { return d.token(vkmock.TokenUser) }
	group := func() string { return d.token(vkmock.TokenGroup) }
	return []demoStep{
		{vkerr.TooMany, d.tr("kept to 3 req/s by its limiter: no error 6"), d.tr("9 concurrent callers of users.get on one user token; the mock allows 3 requests in any rolling second"), func(ctx context.Context) (string, bool, error) {
			c := d.client(user(), vkapi.KindUser)
			start := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, 9)
			for i := range 9 {
				wg.Go(func() { errs <- c.Call(ctx, "users.get", vkapi.Params{"user_ids": 1 + i}, nil) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					return "", false, err
				}
			}
			_, n := d.served()
			return fmt.Sprintf(d.tr("kept to the budget by its rolling-window limiter: %d calls in %v, waited %d times (longest %v), never provoked error 6"),
				n, time.Since(start).Round(10*time.Millisecond), d.rec.waits, d.rec.maxWait.Round(10*time.Millisecond)), d.errorCount(vkerr.TooMany) == 0, nil
		}},
		{vkerr.Server, d.tr("retried the read with backoff and jitter"), d.tr("a fault rule answers the next two users.get calls with error 10"), func(ctx context.Context) (string, bool, error) {
			d.srv.Faults().Add(vkmock.Fault{Method: "users.get", Times: 2, Error: &vkerr.Error{Code: vkerr.Server}})
			err := d.client(group(), vkapi.KindGroup).Call(ctx, "users.get", vkapi.Params{"user_ids": 1}, nil)
			return d.tr("retried a safe read with exponential backoff and full jitter: ") + d.retried(), err == nil && d.rec.requests == 3, err
		}},
		{vkerr.Unknown, d.tr("resent the write with the same random_id"), d.tr("messages.send; the mock stores the message, then its answer is lost (HTTP 502 page), then error 1"), func(ctx context.Context) (string, bool, error) {
			d.srv.World().ClearMessages()
			d.srv.Faults().Add(vkmock.Fault{Method: "messages.send", Times: 1, HTTPStatus: 502, Phase: "after"})
			d.srv.Faults().Add(vkmock.Fault{Method: "messages.send", Times: 1, Error: &vkerr.Error{Code: vkerr.Unknown}})
			var id int64
			err := d.client(group(), vkapi.KindGroup).Call(ctx, "messages.send", vkapi.Params{"peer_id": vkmock.DefaultUserID, "message": "hello"}, &id)
			msgs := d.srv.World().Messages()
			return fmt.Sprintf(d.tr("set random_id once and resent the write with the same key: %s; the mock holds %d message(s)"), d.retried(), len(msgs)),
				err == nil && len(msgs) == 1, err
		}},
		{vkerr.Captcha, d.tr("asked the captcha hook, resent with the key"), d.tr("a captcha rule: every messages.send needs one"), func(ctx context.Context) (string, bool, error) {
			d.srv.Challenges().Set(vkmock.Challenges{Captcha: []vkmock.CaptchaRule{{Method: "messages.send", Threshold: 0}}})
			defer d.srv.Challenges().Set(vkmock.Challenges{})
			var asked []string
			solver := vkapi.CaptchaSolverFunc(func(ctx context.Context, c *vkapi.Captcha) (vkapi.CaptchaAnswer, error) {
				size, err := fetchSize(ctx, c.Img)
				if err != nil {
					return vkapi.CaptchaAnswer{}, err
				}
				// A real solver shows the picture to a person; the demo
				// reads the answer from the mock's control API.
				info, _ := d.srv.Challenges().Captcha(c.SID)
				asked = append(asked, fmt.Sprintf(d.tr("sid %s, a %d-byte PNG"), c.SID, size))
				return vkapi.CaptchaAnswer{Key: info.Key}, nil
			})
			err := d.client(user(), vkapi.KindUser, vkapi.WithCaptchaSolver(solver)).Call(ctx, "messages.send", vkapi.Params{"peer_id": vkmock.WorldFriendID, "message": "hi"}, nil)
			return fmt.Sprintf(d.tr("asked the captcha hook (%s) and resent with captcha_sid and captcha_key"), strings.Join(asked, "; ")), err == nil && len(asked) == 1, err
		}},
		{vkerr.AuthValidation, d.tr("asked the validator, replaced the token"), d.tr("the user token is marked as needing validation"), func(ctx context.Context) (string, bool, error) {
			tok := user()
			d.srv.Challenges().SetToken(tok, vkerr.AuthValidation)
			validator := vkapi.ValidatorFunc(func(ctx context.Context, v *vkapi.Validation) (string, error) {
				// A real validator opens redirect_uri in a browser.
				return d.srv.Challenges().CompleteValidation(v.RedirectURI)
			})
			err := d.client(tok, vkapi.KindUser, vkapi.WithValidator(validator)).Call(ctx, "users.get", nil, nil)
			return d.tr("asked the validator hook to open redirect_uri, took the new token from blank.html#access_token=…, replaced the old one in its pool and resent"), err == nil, err
		}},
		{vkerr.NeedConfirmation, d.tr("asked the confirmer, resent with confirm=1"), d.tr("a confirmation rule on friends.delete"), func(ctx context.Context) (string, bool, error) {
			d.srv.Challenges().Set(vkmock.Challenges{Confirm: []vkmock.ConfirmRule{{Method: "friends.delete", Text: "Remove this friend?"}}})
			defer d.srv.Challenges().Set(vkmock.Challenges{})
			var text string
			confirmer := vkapi.ConfirmerFunc(func(ctx context.Context, c *vkapi.Confirmation) (bool, error) {
				text = c.Text
				return true, nil
			})
			err := d.client(user(), vkapi.KindUser, vkapi.WithConfirmer(confirmer)).Call(ctx, "friends.delete", vkapi.Params{"user_id": vkmock.WorldFriendID}, nil)
			return fmt.Sprintf(d.tr("showed confirmation_text %q to the confirmer hook, which said yes, and resent with confirm=1"), text), err == nil && text != "", err
		}},
		{vkerr.Flood, d.tr("failed fast with a *CooldownError"), d.tr("a flood rule: two messages to one peer per minute"), func(ctx context.Context) (string, bool, error) {
			d.srv.Challenges().Set(vkmock.Challenges{Flood: []vkmock.FloodRule{{Method: "messages.send", Threshold: 2, CooldownMS: 600000}}})
			defer d.srv.Challenges().Set(vkmock.Challenges{})
			c := d.client(group(), vkapi.KindGroup)
			var err error
			for i := range 3 {
				err = c.Call(ctx, "messages.send", vkapi.Params{"peer_id": vkmock.WorldFriendID, "message": fmt.Sprint("ping ", i)}, nil)
			}
			var ce *vkapi.CooldownError
			if !errors.As(err, &ce) {
				return "", false, err
			}
			return fmt.Sprintf(d.tr("failed fast with a *CooldownError: do not repeat before %s; no retry loop"), ce.Until.Format(time.TimeOnly)), d.rec.requests == 3, nil
		}},
		{vkerr.RateLimit, d.tr("refused the method locally until the reset"), d.tr("a daily quota of 2 wall.get calls per token"), func(ctx context.Context) (string, bool, error) {
			d.srv.Challenges().Set(vkmock.Challenges{Quota: []vkmock.QuotaRule{{Method: "wall.get", PerDay: 2}}})
			defer d.srv.Challenges().Set(vkmock.Challenges{})
			c := d.client(user(), vkapi.KindUser)
			var errs []error
			for range 4 {
				errs = append(errs, c.Call(ctx, "wall.get", vkapi.Params{"owner_id": vkmock.DefaultUserID}, nil))
			}
			var first, local *vkapi.CooldownError
			ok := errs[0] == nil && errs[1] == nil && errors.As(errs[2], &first) && !first.Local && errors.As(errs[3], &local) && local.Local
			other := c.Call(ctx, "users.get", nil, nil)
			return fmt.Sprintf(d.tr("after the 29, refused wall.get on that token locally until %s without a request (the 4th call); users.get still works"), first.Until.Format(time.DateTime)),
				ok && other == nil && d.rec.requests == 4, nil
		}},
		{vkerr.Auth, d.tr("dropped the dead token, went on with the other"), d.tr("a pool of two user tokens; the first is revoked"), func(ctx context.Context) (string, bool, error) {
			dead, live := user(), user()
			d.srv.Tokens().SetState(dead, vkmock.StateRevoked)
			c := d.client(dead, vkapi.KindUser, vkapi.WithTokens(live))
			var tokenErrs, others int
			for range 4 {
				var te *vkapi.TokenError
				switch err := c.Call(ctx, "users.get", nil, nil); {
				case errors.As(err, &te):
					tokenErrs++
				case err != nil:
					others++
				}
			}
			return fmt.Sprintf(d.tr("never resent with the dead token: it left the pool after its one error 5 (%d *TokenError), the other %d calls used the live token"),
				tokenErrs, 4-tokenErrs-others), tokenErrs == 1 && others == 0 && d.errorCount(vkerr.Auth) == 1, nil
		}},
		{vkerr.Param, d.tr("no retry; the message names the parameter"), d.tr("users.get with a name_case outside its enum"), func(ctx context.Context) (string, bool, error) {
			err := d.client(user(), vkapi.KindUser).Call(ctx, "users.get", vkapi.Params{"name_case": "vocative"}, nil)
			var ve *vkerr.Error
			ok := errors.As(err, &ve) && ve.Code == vkerr.Param && d.rec.requests == 1
			msg := ""
			if ve != nil {
				msg = ve.Message
			}
			return fmt.Sprintf(d.tr("did not retry a malformed request; returned %q"), msg), ok, nil
		}},
		{vkerr.UserDeleted, d.tr("no retry; skip the target, keep the token"), d.tr("wall.get of a deleted user, then of a private profile"), func(ctx context.Context) (string, bool, error) {
			c := d.client(user(), vkapi.KindUser)
			e18 := c.Call(ctx, "wall.get", vkapi.Params{"owner_id": vkmock.WorldDeletedUserID}, nil)
			e30 := c.Call(ctx, "wall.get", vkapi.Params{"owner_id": vkmock.WorldPrivateUserID}, nil)
			return d.tr("returned target errors at once (18 not_found, 30 permission): the token is fine, skip the target"),
				errors.Is(e18, vkerr.UserDeleted) && errors.Is(e30, vkerr.PrivateProfile) && d.rec.requests == 2, nil
		}},
		{vkerr.GroupAuth, d.tr("no retry; the method needs a user token"), d.tr("a community token calls friends.get, a user-only method"), func(ctx context.Context) (string, bool, error) {
			raw := vkapi.New(group(), vkapi.WithBaseURL(d.url), vkapi.WithObserver(d.rec.observer()))
			err := raw.Call(ctx, "friends.get", nil, nil)
			return d.tr("did not retry: the schema's access_token_type predicts it; use a user token"), errors.Is(err, vkerr.GroupAuth), nil
		}},
		{0, d.tr("25 calls in one request, errors paired"), d.tr("one execute carries 25 calls, two of which fail inside"), func(ctx context.Context) (string, bool, error) {
			c := d.client(user(), vkapi.KindUser)
			b := c.Batch()
			calls := make([]*vkapi.BatchCall, 0, 25)
			for i := range 23 {
				calls = append(calls, b.Add("users.get", vkapi.Params{"user_ids": 1 + i}, nil))
			}
			calls = append(calls, b.Add("wall.get", vkapi.Params{"owner_id": vkmock.WorldDeletedUserID}, nil))
			calls = append(calls, b.Add("wall.get", vkapi.Params{"owner_id": vkmock.WorldPrivateUserID}, nil))
			err := b.Do(ctx)
			okCount := 0
			for _, bc := range calls[:23] {
				if bc.Err == nil {
					okCount++
				}
			}
			ok := okCount == 23 && errors.Is(calls[23].Err, vkerr.UserDeleted) && errors.Is(calls[24].Err, vkerr.PrivateProfile) && d.rec.requests == 1
			if err == nil {
				ok = false
			}
			return fmt.Sprintf(d.tr("sent 25 calls as one execute (one request against the rate limit): %d succeeded, each false result took its execute_errors entry (18, 30)"), okCount), ok, nil
		}},
		{vkerr.Compile, d.tr("no retry; compile error with its line"), d.tr("execute with a VKScript program that does not compile"), func(ctx context.Context) (string, bool, error) {
			err := d.client(user(), vkapi.KindUser).Call(ctx, "execute", vkapi.Params{"code": "var a = API.users.get({\"user_ids\": 1})\nreturn a"}, nil)
			var ve *vkerr.Error
			if !errors.As(err, &ve) {
				return "", false, err
			}
			return fmt.Sprintf(d.tr("returned %q at once, the line included; a program error is not retried"), ve.Message), ve.Code == vkerr.Compile && d.rec.requests == 1, nil
		}},
	}
}

// errorCount counts the answers with code since the step began.
func (d *demo) errorCount(code vkerr.Code) int {
	recs := d.srv.Requests().All()
	n := 0
	for _, r := range recs[min(d.mark, len(recs)):] {
		if r.ErrorCode != nil && *r.ErrorCode == code {
			n++
		}
	}
	return n
}

// fetchSize downloads url and returns its size.
func fetchSize(ctx context.Context, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return len(b), err
}
