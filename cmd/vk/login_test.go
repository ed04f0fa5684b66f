package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/testrun"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkmock/vkmocktest"
	"github.com/vkerr/vkerr/vkoauth"
)

// TestMain points the token file at a path that does not exist, so that a
// developer's own token never reaches the tests, and lets the parallel
// tests (which wait on vkmock's windows, Redis and listeners more than on
// the CPU) run all at once.
func TestMain(m *testing.M) {
	testrun.ParallelAtLeast(8)
	dir, err := os.MkdirTemp("", "vk-test-")
	if err == nil {
		os.Setenv("VK_TOKEN_FILE", filepath.Join(dir, "none.json"))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// terminal is a vk command running with piped standard streams: the test
// reads what it writes to standard error and answers its prompts.
type terminal struct {
	in   *io.PipeWriter
	mu   sync.Mutex
	err  bytes.Buffer
	more chan struct{} // a token per write to standard error
	out  bytes.Buffer
	code chan int
}

type errWriter struct{ t *terminal }

func (w errWriter) Write(p []byte) (int, error) {
	w.t.mu.Lock()
	w.t.err.Write(p)
	w.t.mu.Unlock()
	select {
	case w.t.more <- struct{}{}:
	default:
	}
	return len(p), nil
}

func startVK(t *testing.T, args ...string) *terminal {
	t.Helper()
	inR, inW := io.Pipe()
	term := &terminal{in: inW, more: make(chan struct{}, 1), code: make(chan int, 1)}
	go func() {
		code := run(args, inR, &term.out, errWriter{term})
		inR.Close()
		term.code <- code
	}()
	t.Cleanup(func() { inW.Close() })
	return term
}

// waitFor waits until standard error holds re's match after from, and
// returns the match's submatches and the end of the match.
func (term *terminal) waitFor(t *testing.T, re *regexp.Regexp, from int) ([]string, int) {
	t.Helper()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		term.mu.Lock()
		s := term.err.String()
		term.mu.Unlock()
		if loc := re.FindStringSubmatchIndex(s[from:]); loc != nil {
			m := make([]string, 0, len(loc)/2)
			for i := 0; i < len(loc); i += 2 {
				if loc[i] >= 0 {
					m = append(m, s[from+loc[i]:from+loc[i+1]])
				} else {
					m = append(m, "")
				}
			}
			return m, from + loc[1]
		}
		select {
		case <-term.more:
		case code := <-term.code:
			term.code <- code
			t.Fatalf("vk exited %d before %q; stderr:\n%s", code, re, s)
		case <-timeout.C:
			t.Fatalf("no %q in:\n%s", re, s)
		}
	}
}

func (term *terminal) answer(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(term.in, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

func (term *terminal) exit(t *testing.T) int {
	t.Helper()
	select {
	case code := <-term.code:
		return code
	case <-time.After(20 * time.Second):
		t.Fatal("vk did not exit")
	}
	return -1
}

// browse opens the URL as a browser would, following the redirect to the
// listener of vk login.
func browse(t *testing.T, u string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

var urlLine = regexp.MustCompile(`(?m)^  (http://\S+/authorize\?\S+)$`)

// TestLoginMock: vk login --mock runs the whole flow and checks the token
// with users.get.
func TestLoginMock(t *testing.T) {
	code, out, errOut := vk(t, "", "login", "--mock", "--print", "--scope", "friends")
	if code != 0 || !strings.HasPrefix(out, "vk1.a.") || !strings.Contains(errOut, "(id 100000001, users.get), expires in 24h0m0s") {
		t.Fatalf("%d\n%s\n%s", code, out, errOut)
	}
}

// TestLoginCodeFlow: vk login against a mock the test serves prints the
// URL, waits for the browser, saves the token with mode 0600, and vk call
// then uses it for users.get.
func TestLoginCodeFlow(t *testing.T) {
	mock := vkmocktest.NewServer(t)
	t.Setenv("VK_CLIENT_SECRET", mock.OAuth().Apps()[0].Secret)
	t.Setenv("VK_TOKEN", "")
	file := filepath.Join(t.TempDir(), "vk", "token.json")
	t.Setenv("VK_TOKEN_FILE", file)
	term := startVK(t, "login", "--client-id", strconv.FormatInt(vkmock.DefaultAppID, 10), "--scope", "messages,offline",
		"--oauth-url", mock.URL(), "--base-url", mock.URL())
	m, _ := term.waitFor(t, urlLine, 0)
	browse(t, m[1])
	if code := term.exit(t); code != 0 {
		t.Fatalf("login: %d\n%s", code, term.err.String())
	}
	if !strings.Contains(term.err.String(), "Token saved to "+file+" (mode 0600)") || !strings.Contains(term.err.String(), "never expires") {
		t.Fatalf("stderr:\n%s", term.err.String())
	}
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", st, err)
	}
	var tf tokenFile
	b, _ := os.ReadFile(file)
	if err := json.Unmarshal(b, &tf); err != nil || len(tf.Tokens) != 1 || tf.Tokens[0].Kind != "user" || strings.Contains(term.err.String()+term.out.String(), tf.Tokens[0].AccessToken) {
		t.Fatalf("token file %s (or the token was printed)", b)
	}
	code, out, errOut := vk(t, "", "call", "users.get", "--base-url", mock.URL(), "--kind", "user")
	if code != 0 || !strings.Contains(out, `"id": 100000001`) {
		t.Fatalf("vk call with the saved token: %d\n%s\n%s", code, out, errOut)
	}
	// messages needs the right the token was granted.
	if code, _, errOut := vk(t, "", "call", "messages.getConversations", "--base-url", mock.URL(), "--kind", "user"); code != 0 {
		t.Fatalf("messages.getConversations: %d %s", code, errOut)
	}
}

// TestLoginDenied: the user's refusal ends vk login with the error and
// its remedy.
func TestLoginDenied(t *testing.T) {
	mock := vkmocktest.NewServer(t)
	mock.OAuth().SetDeny(true)
	t.Setenv("VK_CLIENT_SECRET", mock.OAuth().Apps()[0].Secret)
	term := startVK(t, "login", "--client-id", strconv.FormatInt(vkmock.DefaultAppID, 10), "--oauth-url", mock.URL(), "--print")
	m, _ := term.waitFor(t, urlLine, 0)
	browse(t, m[1])
	if code := term.exit(t); code != 1 || !strings.Contains(term.err.String(), "access_denied") || !strings.Contains(term.err.String(), "remedy: The user refused") {
		t.Fatalf("%d\n%s", code, term.err.String())
	}
}

// TestLoginDirectPrompts: direct authorization through a captcha and then
// a 2FA code, answered through the terminal prompts.
func TestLoginDirectPrompts(t *testing.T) {
	mock := vkmocktest.NewServer(t)
	acct := mock.OAuth().Accounts()[1]
	acct.Captcha = true
	if err := mock.OAuth().SetAccount(acct); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VK_CLIENT_SECRET", mock.OAuth().Apps()[0].Secret)
	t.Setenv("VK_PASSWORD", "")
	file := filepath.Join(t.TempDir(), "token.json")
	term := startVK(t, "login", "--direct", "--username", acct.Login, "--client-id", strconv.FormatInt(vkmock.DefaultAppID, 10),
		"--oauth-url", mock.URL(), "--base-url", mock.URL(), "--token-file", file, "--scope", "messages")
	_, at := term.waitFor(t, regexp.MustCompile(`Password for 2fa@vkmock\.test: $`), 0)
	term.answer(t, acct.Password)
	m, at := term.waitFor(t, regexp.MustCompile(`captcha \(attempt 1\): open (\S+captcha\.php\?sid=(\d+)\S*)\nType the text of the picture: $`), at)
	key := ""
	for _, c := range mock.OAuth().Pending().Captchas {
		if c.SID == m[2] {
			key = c.Key
		}
	}
	term.answer(t, key)
	_, at = term.waitFor(t, regexp.MustCompile(`Two-factor authentication: enter the code from the authenticator app: $`), at)
	term.answer(t, "000000x")
	_, _ = term.waitFor(t, regexp.MustCompile(`Two-factor authentication \(the last one was not accepted\): enter the code from the authenticator app: $`), at)
	term.answer(t, mock.OAuth().Pending().TwoFA[0].Code)
	if code := term.exit(t); code != 0 {
		t.Fatalf("login: %d\n%s", code, term.err.String())
	}
	if !strings.Contains(term.err.String(), "(id 100000002, users.get)") && !strings.Contains(term.err.String(), "Logged in as user 100000002") {
		t.Fatalf("stderr:\n%s", term.err.String())
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", st, err)
	}
	if strings.Contains(term.err.String(), acct.Password) {
		t.Fatal("the password was echoed by vk")
	}
}

// TestLoginUsage: the usage errors exit 2.
func TestLoginUsage(t *testing.T) {
	t.Setenv("VK_CLIENT_SECRET", "")
	for _, args := range [][]string{
		{"login"},
		{"login", "--client-id", "1"},
		{"login", "--direct", "--mock"},
		{"login", "--mock", "--scope", "nonsense"},
		{"login", "--mock", "--direct", "--username", "u", "--group", "1"},
	} {
		if code, _, errOut := vk(t, "", args...); code != 2 {
			t.Errorf("%q: %d %s", args, code, errOut)
		}
	}
}

// TestCallbackHandler: the listener takes the first redirect; a wrong
// state or an OAuth error ends the login with that error.
func TestCallbackHandler(t *testing.T) {
	for _, tc := range []struct {
		query string
		check func(error) bool
	}{
		{"code=abc&state=right", func(err error) bool { return err == nil }},
		{"code=abc&state=wrong", func(err error) bool { return errors.Is(err, vkoauth.ErrStateMismatch) }},
		{"error=access_denied&error_reason=user_denied&state=right", func(err error) bool {
			var oe *vkerr.OAuthError
			return errors.As(err, &oe) && oe.Type == "access_denied"
		}},
		{"state=right", func(err error) bool { return errors.Is(err, vkoauth.ErrNoAnswer) }},
	} {
		got := make(chan callbackResult, 1)
		h := callbackHandler("http://127.0.0.1:1/callback", "right", got)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/callback?"+tc.query, nil))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/callback?code=second&state=right", nil))
		res := <-got
		if !tc.check(res.err) || (res.err == nil) != (w.Code == http.StatusOK) {
			t.Errorf("%s: %v, status %d", tc.query, res.err, w.Code)
		}
	}
}

// TestLoginLeavesNoGoroutine: the listener, the opener and the clients of
// vk login --mock end with it.
func TestLoginLeavesNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	if code, _, errOut := vk(t, "", "login", "--mock", "--print"); code != 0 {
		t.Fatalf("%d %s", code, errOut)
	}
}
