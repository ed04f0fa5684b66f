package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkoauth"
)

func init() { register(newLoginCmd) }

// loginFlags are the flags of vk login.
type loginFlags struct {
	clientID          int64
	scope             string
	groups            []int64
	oauthURL, baseURL string
	tokenFile         string
	print, useMock    bool
	direct, forceSMS  bool
	username          string
	timeout           time.Duration
}

func newLoginCmd() *cobra.Command {
	var lf loginFlags
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Get an access token through VK's OAuth and save it for vk call, listen and upload",
		Long: `Login runs the authorization code flow: it listens on 127.0.0.1, prints the
URL of oauth.vk.com to open in a browser, waits (up to --timeout) for VK to
redirect there, checks the state, exchanges the code with the app's secret
($VK_CLIENT_SECRET) and writes the token to the token file with mode 0600
($VK_TOKEN_FILE, or vk/token.json in the user's configuration directory),
or prints it with --print. vk call, vk listen and vk upload use that token
when neither --token nor $VK_TOKEN is given. A user token is then checked
with users.get against --base-url.

--group asks for community tokens (one per community) instead of a user
token; --scope is then the community's rights.

--direct logs in with a username and a password (direct authorization, for
the apps VK trusts): the password comes from $VK_PASSWORD or the terminal;
a captcha (its picture's URL is shown) and a 2FA code are asked on the
terminal.

--mock runs the whole flow against an in-process vkmock, whose app is used
(no client id or secret needed), and opens the URL itself.

Exit status: 0 on success, 1 when the login failed, 2 on bad usage.`,
		Example: "  VK_CLIENT_SECRET=... vk login --client-id 51000001 --scope messages,offline\n" +
			"  vk login --mock --print\n  vk login --direct --username +79990000000 --client-id 2274003",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLogin(cmd, lf) },
	}
	f := cmd.Flags()
	f.Int64Var(&lf.clientID, "client-id", 0, "the app's ID (its secret: $VK_CLIENT_SECRET)")
	f.StringVar(&lf.scope, "scope", "", "rights to ask: names (messages,offline) or a bit mask")
	f.Int64SliceVar(&lf.groups, "group", nil, "community ID to get a token of (repeatable)")
	f.StringVar(&lf.oauthURL, "oauth-url", vkoauth.DefaultOAuthURL, "OAuth server root")
	f.StringVar(&lf.baseURL, "base-url", vkapi.DefaultBaseURL, "API server root, for the users.get check")
	f.StringVar(&lf.tokenFile, "token-file", "", "where to save the token (default $VK_TOKEN_FILE or the user's config dir)")
	f.BoolVar(&lf.print, "print", false, "print the token instead of saving it")
	f.BoolVar(&lf.useMock, "mock", false, "log in to an in-process vkmock")
	f.BoolVar(&lf.direct, "direct", false, "direct authorization with --username and a password")
	f.StringVar(&lf.username, "username", "", "login for --direct (phone or email)")
	f.BoolVar(&lf.forceSMS, "force-sms", false, "with --direct: ask for the 2FA code by SMS")
	f.DurationVar(&lf.timeout, "timeout", 5*time.Minute, "how long to wait for the browser")
	return cmd
}

func runLogin(cmd *cobra.Command, lf loginFlags) error {
	if lf.timeout <= 0 {
		return &exitError{code: 2, err: errors.New("--timeout must be positive")}
	}
	if lf.direct && lf.username == "" {
		return &exitError{code: 2, err: errors.New("--direct needs --username")}
	}
	if lf.direct && len(lf.groups) > 0 {
		return &exitError{code: 2, err: errors.New("--direct gives a user token: drop --group")}
	}
	ctx, stop := signal.NotifyContext(cmdContext(cmd), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, lf.timeout)
	defer cancel()

	// One transport for the login, its idle connections closed at the end.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	c := &vkoauth.Client{ClientID: lf.clientID, OAuthURL: lf.oauthURL, HTTPClient: hc}
	var mock *vkmock.Server
	if lf.useMock {
		srv, err := vkmock.New()
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("starting vkmock: %w", err)}
		}
		url, err := serveMock(ctx, srv)
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("starting vkmock: %w", err)}
		}
		mock, lf.oauthURL, lf.baseURL = srv, url, url
		app := srv.OAuth().Apps()[0]
		c.ClientID, c.ClientSecret, c.OAuthURL = app.ID, vkoauth.Secret(app.Secret), url
	} else {
		c.ClientSecret = vkoauth.Secret(os.Getenv("VK_CLIENT_SECRET"))
		if c.ClientID <= 0 {
			return &exitError{code: 2, err: errors.New("--client-id is required (or use --mock)")}
		}
		if c.ClientSecret == "" {
			return &exitError{code: 2, err: errors.New("set $VK_CLIENT_SECRET to the app's secure key")}
		}
	}
	var toks []vkoauth.Token
	var err error
	if lf.direct {
		toks, err = loginDirect(ctx, cmd, c, lf, mock)
	} else {
		toks, err = loginCode(ctx, cmd, c, lf, mock != nil)
	}
	if err != nil {
		return loginError(ctx, err)
	}
	return finishLogin(ctx, cmd, lf, hc, toks)
}

// loginError explains a failed login, secrets redacted.
func loginError(ctx context.Context, err error) error {
	var usage *exitError
	if errors.As(err, &usage) {
		return usage
	}
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return &exitError{code: 1, err: errors.New("login: gave up waiting (see --timeout)")}
	}
	msg := vkerr.RedactString(err.Error())
	var oe *vkerr.OAuthError
	if errors.As(err, &oe) {
		if r := oe.Remedy("en"); r != "" {
			msg += "\n  remedy: " + r
		}
	}
	return &exitError{code: 1, err: errors.New("login failed: " + msg)}
}

// authRequest makes the /authorize request of the flags.
func authRequest(lf loginFlags, state string) (vkoauth.AuthRequest, error) {
	r := vkoauth.AuthRequest{State: state, GroupIDs: lf.groups}
	var err error
	if len(lf.groups) > 0 {
		r.GroupScope, err = vkoauth.ParseGroupScope(lf.scope)
	} else {
		r.Scope, err = vkoauth.ParseScope(lf.scope)
	}
	if err != nil {
		return r, &exitError{code: 2, err: fmt.Errorf("--scope: %w", err)}
	}
	return r, nil
}

// loginCode runs the authorization code flow with a redirect to a
// listener on 127.0.0.1; with open, it opens the URL itself (--mock).
func loginCode(ctx context.Context, cmd *cobra.Command, c *vkoauth.Client, lf loginFlags, open bool) ([]vkoauth.Token, error) {
	state := vkoauth.NewState()
	req, err := authRequest(lf, state)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the redirect: %w", err)
	}
	c.RedirectURI = "http://" + ln.Addr().String() + "/callback"
	got := make(chan callbackResult, 1)
	srv := &http.Server{Handler: callbackHandler(c.RedirectURI, state, got), ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	defer func() {
		// Shutdown lets the browser's page finish; Close ends the rest.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = srv.Close()
		wg.Wait()
	}()
	u := c.AuthorizeURL(req)
	errOut := cmd.ErrOrStderr()
	fmt.Fprintf(errOut, "Open this URL in a browser to log in:\n\n  %s\n\nWaiting for VK to redirect to %s ...\n", u, c.RedirectURI)
	if open {
		browse, cancel := context.WithCancel(ctx)
		defer cancel()
		wg.Go(func() { openURL(browse, c.HTTPClient, u) })
	}
	var res callbackResult
	select {
	case res = <-got:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if res.err != nil {
		return nil, res.err
	}
	return c.Exchange(ctx, res.code)
}

// openURL follows the URL as a browser would (for --mock): the mock
// redirects to the listener.
func openURL(ctx context.Context, hc *http.Client, u string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return
	}
	resp, err := hc.Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
	}
}

type callbackResult struct {
	code vkoauth.Secret
	err  error
}

// callbackHandler takes the redirect of /authorize: the first request to
// /callback decides (a code with the right state, or the error); the
// browser gets a short page.
func callbackHandler(redirect, state string, got chan<- callbackResult) http.Handler {
	var once sync.Once
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		var res callbackResult
		red, err := vkoauth.ParseRedirect(strings.TrimSuffix(redirect, "/callback")+r.URL.RequestURI(), time.Time{})
		switch {
		case err != nil:
			res.err = err
		case red.CheckState(state) != nil:
			res.err = vkoauth.ErrStateMismatch
		case red.Code == "":
			res.err = vkoauth.ErrNoAnswer
		default:
			res.code = red.Code
		}
		page := "Logged in: you can close this tab and go back to the terminal."
		status := http.StatusOK
		if res.err != nil {
			page, status = "Login failed: "+vkerr.RedactString(res.err.Error()), http.StatusBadRequest
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "<!DOCTYPE html><html><body><p>"+html.EscapeString(page)+"</p></body></html>\n")
		once.Do(func() { got <- res })
	})
}

// finishLogin saves or prints the tokens, then checks a user token with
// users.get.
func finishLogin(ctx context.Context, cmd *cobra.Command, lf loginFlags, hc *http.Client, toks []vkoauth.Token) error {
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if lf.print {
		for _, t := range toks {
			fmt.Fprintln(out, string(t.AccessToken))
		}
	} else {
		path := lf.tokenFile
		if path == "" {
			var err error
			if path, err = tokenFilePath(); err != nil {
				return &exitError{code: 1, err: err}
			}
		}
		if err := saveTokens(path, toks); err != nil {
			return &exitError{code: 1, err: fmt.Errorf("saving the token: %w", err)}
		}
		fmt.Fprintf(errOut, "Token saved to %s (mode 0600).\n", path)
	}
	for _, t := range toks {
		if t.Kind == vkerr.KindGroup {
			fmt.Fprintf(errOut, "Community %d: token of kind group%s.\n", t.GroupID, expiry(t))
		}
	}
	if toks[0].Kind != vkerr.KindUser {
		return nil
	}
	api := toks[0].Client(vkapi.WithBaseURL(lf.baseURL), vkapi.WithHTTPClient(hc))
	defer api.Close()
	var users []struct {
		ID        int64  `json:"id"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
	}
	if err := api.Call(ctx, "users.get", nil, &users); err != nil || len(users) == 0 {
		fmt.Fprintf(errOut, "Logged in as user %d%s; users.get failed: %s\n", toks[0].UserID, expiry(toks[0]), vkerr.RedactString(fmt.Sprint(err)))
		return nil
	}
	fmt.Fprintf(errOut, "Logged in as %s %s (id %d, users.get)%s.\n", users[0].FirstName, users[0].LastName, users[0].ID, expiry(toks[0]))
	return nil
}

func expiry(t vkoauth.Token) string {
	if t.ExpiresIn == 0 {
		return ", never expires"
	}
	return ", expires in " + t.ExpiresIn.String()
}
