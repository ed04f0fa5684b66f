package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vkerr/vkerr/internal/redistest"
	"github.com/vkerr/vkerr/vkmock"
)

// examplesFile lists every vk command the README and docs/ show; see its
// header.
const examplesFile = "testdata/examples/commands.txt"

// readyMarkers are what a command that runs until Ctrl-C prints once it is
// up: vk mock, vk listen (Long Poll, User Long Poll, Callback).
var readyMarkers = []string{"listening on http", "Ctrl-C stops", "Callback API receiver on", "elected (fence", "consuming queue", "vk stream: connected"}

// TestExamples runs every command of testdata/examples/commands.txt from
// the root of the clone, and checks that list is the vk commands README.md
// and docs/*.md show, so the pages and the test cannot drift apart.
func TestExamples(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
	listed := readExamples(t)
	shown := docCommands(t, append([]string{"README.md"}, globDocs(t)...))
	var lines []string
	for _, e := range listed {
		lines = append(lines, e.line)
	}
	for _, c := range shown {
		if !slices.Contains(lines, c) {
			t.Errorf("a page shows a vk command that %s lacks (add it there, so it is tested):\n  %s", examplesFile, c)
		}
	}
	for _, c := range lines {
		if !slices.Contains(shown, c) {
			t.Errorf("%s lists a command no page shows:\n  %s", examplesFile, c)
		}
	}

	srv, err := vkmock.New() // the seed of vk mock: the tokens the examples name
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mockURL, err := serveMock(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.LongPoll().SetSettings(vkmock.LongPollSettings{GroupID: vkmock.DefaultGroupID, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	for _, e := range listed {
		t.Run(e.line, func(t *testing.T) { runExample(t, e, mockURL) })
	}
}

// runExample runs one command line in-process: its environment
// assignments, an `echo '...' |` as standard input, `go run ./cmd/vk` or
// vk and the arguments. The examples' addresses become the test's.
func runExample(t *testing.T, e example, mockURL string) {
	line := strings.ReplaceAll(e.line, "http://127.0.0.1:8080", mockURL)
	if strings.Contains(line, "redis://127.0.0.1:6379/") { // the queue's examples: the test's Redis
		line = strings.ReplaceAll(line, "redis://127.0.0.1:6379/", "redis://"+redistest.Addr(t)+"/")
	}
	line = strings.NewReplacer("127.0.0.1:8080", "127.0.0.1:0", "127.0.0.1:8081", "127.0.0.1:0").Replace(line)
	stdin := ""
	if rest, ok := strings.CutPrefix(line, "echo "); ok {
		in, cmd, ok := strings.Cut(rest, " | ")
		if !ok {
			t.Fatalf("echo without a pipe: %s", line)
		}
		words := shellWords(t, in)
		stdin, line = strings.Join(words, " ")+"\n", cmd
	}
	words := shellWords(t, line)
	for i := 1; i < len(words); i++ { // a --store path: the test's own directory
		if words[i-1] == "--store" {
			words[i] = filepath.Join(t.TempDir(), filepath.Base(words[i]))
		}
	}
	for len(words) > 0 && strings.Contains(words[0], "=") {
		k, v, _ := strings.Cut(words[0], "=")
		t.Setenv(k, v)
		words = words[1:]
	}
	switch {
	case len(words) >= 3 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/vk":
		words = words[3:]
	case len(words) >= 1 && words[0] == "vk":
		words = words[1:]
	default:
		t.Fatalf("not a vk command: %s", line)
	}
	out := &readyWriter{ready: make(chan struct{})}
	done := make(chan int, 1)
	go func() { done <- run(words, strings.NewReader(stdin), out, out) }()
	timeout := time.After(2 * time.Minute)
	select {
	case code := <-done:
		if code != e.exit {
			t.Fatalf("exit status %d, want %d:\n%s", code, e.exit, out.String())
		}
		if strings.TrimSpace(out.String()) == "" {
			t.Fatal("printed nothing")
		}
		return
	case <-out.ready:
	case <-timeout:
		t.Fatalf("no answer in 2 minutes:\n%s", out.String())
	}
	// Up and running until Ctrl-C: stop it as a user or a supervisor does.
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit status %d after SIGTERM:\n%s", code, out.String())
		}
	case <-timeout:
		t.Fatalf("did not stop on SIGTERM:\n%s", out.String())
	}
}

// readyWriter keeps what a command prints and closes ready when it prints
// one of readyMarkers.
type readyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for _, m := range readyMarkers {
		if bytes.Contains(w.buf.Bytes(), []byte(m)) {
			w.once.Do(func() { close(w.ready) })
		}
	}
	return len(p), nil
}

func (w *readyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// readExamples reads the commands of examplesFile: every line but blanks
// and # comments.
func readExamples(t *testing.T) []example {
	b, err := os.ReadFile(examplesFile)
	if err != nil {
		t.Fatal(err)
	}
	var list []example
	for l := range strings.Lines(string(b)) {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		e := example{line: l}
		if i := strings.Index(l, "  #"); i >= 0 {
			e.line = strings.TrimSpace(l[:i])
			if n, ok := strings.CutPrefix(strings.TrimSpace(l[i+3:]), "exit "); ok {
				if e.exit, err = strconv.Atoi(n); err != nil {
					t.Fatalf("%s: %q", examplesFile, l)
				}
			}
		}
		list = append(list, e)
	}
	return list
}

// example is a line of examplesFile: the command and its exit status.
type example struct {
	line string
	exit int
}

func globDocs(t *testing.T) []string {
	docs, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// docCommands returns the vk command lines of the ```sh blocks of pages,
// each without its trailing "  # comment".
func docCommands(t *testing.T, pages []string) []string {
	var cmds []string
	for _, p := range pages {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		inSh := false
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			l := sc.Text()
			switch {
			case strings.HasPrefix(l, "```"):
				inSh = !inSh && strings.TrimPrefix(l, "```") == "sh"
				continue
			case !inSh:
				continue
			}
			if i := strings.Index(l, "  #"); i >= 0 {
				l = l[:i]
			}
			l = strings.TrimSpace(l)
			if isVKCommand(l) {
				cmds = append(cmds, l)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return cmds
}

// isVKCommand reports whether a shell line runs vk: "vk ...", "go run
// ./cmd/vk ...", after environment assignments or a pipe.
func isVKCommand(l string) bool {
	if _, after, ok := strings.Cut(l, " | "); ok {
		l = after
	}
	for _, w := range strings.Fields(l) {
		if !strings.Contains(w, "=") {
			return w == "vk" || strings.HasPrefix(l[strings.Index(l, w):], "go run ./cmd/vk")
		}
	}
	return false
}

// shellWords splits a command line as sh does for the quoting the examples
// use: words separated by spaces, '...' and "..." kept whole.
func shellWords(t *testing.T, s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("unclosed quote: %s", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// TestHelp: vk --help lists every command, and each command's help has
// examples.
func TestHelp(t *testing.T) {
	code, out, _ := vk(t, "", "--help")
	if code != 0 {
		t.Fatalf("vk --help: exit %d", code)
	}
	for _, c := range newRootCmd().Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		if !strings.Contains(out, "\n  "+c.Name()+" ") {
			t.Errorf("vk --help does not list %s:\n%s", c.Name(), out)
		}
		_, help, _ := vk(t, "", c.Name(), "--help")
		if c.Example == "" || !strings.Contains(help, "Examples:") {
			t.Errorf("vk %s --help has no examples", c.Name())
		}
	}
}

// TestLangFromEnvironment: $LANG picks the language of what the help of
// --lang says it picks (messages and remedies), and nothing else: the
// help and the flags stay as they are.
func TestLangFromEnvironment(t *testing.T) {
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", "ru_RU.UTF-8")
	_, ru, _ := vk(t, "", "explain", "6")
	if !strings.Contains(ru, "Слишком много запросов в секунду") {
		t.Errorf("LANG=ru_RU: explain 6 is not in Russian:\n%s", ru)
	}
	_, helpRU, _ := vk(t, "", "demo", "--help")
	t.Setenv("LANG", "C")
	_, helpC, _ := vk(t, "", "demo", "--help")
	if helpRU != helpC {
		t.Errorf("LANG changes vk demo --help:\n%s\n---\n%s", helpRU, helpC)
	}
	if !strings.Contains(helpC, "$LANG") {
		t.Errorf("vk demo --help does not say $LANG picks the language:\n%s", helpC)
	}
}

// TestDocCommands: the commands TestExamples compares are the vk lines of
// ```sh blocks, comments cut, and nothing else.
func TestDocCommands(t *testing.T) {
	page := filepath.Join(t.TempDir(), "page.md")
	text := "```sh\nvk explain 1  # a comment\ngo run ./cmd/vk demo\nVK_X=1 vk mock\necho '{}' | vk decode\ngo test ./...\ncurl -s http://x/\n```\n\n" +
		"```go\nvk explain 2\n```\n\nvk explain 3\n"
	if err := os.WriteFile(page, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	got := docCommands(t, []string{page})
	want := []string{"vk explain 1", "go run ./cmd/vk demo", "VK_X=1 vk mock", "echo '{}' | vk decode"}
	if !slices.Equal(got, want) {
		t.Errorf("docCommands = %q, want %q", got, want)
	}
}
