package vkmock

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
)

// The example configuration loads, every part of it takes effect, and the
// documentation shows it as it is.
func TestConfigExample(t *testing.T) {
	const path = "testdata/config-example.json"
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	s := testServer(t, WithConfig(c))
	if s.Seed() != 42 || len(s.Faults().List()) != 6 || s.Tokens().Apps()[0].Installs != 50000 {
		t.Fatalf("seed %d, %d faults, apps %+v", s.Seed(), len(s.Faults().List()), s.Tokens().Apps())
	}
	if l := s.Limits(); l != (Limits{}).withDefaults() {
		t.Fatalf("the example's limits are the defaults, got %+v", l)
	}
	if to := s.Timeouts(); to != (Timeouts{}).withDefaults() || to.Write != 11*time.Minute {
		t.Fatalf("the example's timeouts are the defaults, got %+v", to)
	}
	ch := s.Challenges().Rules()
	if len(ch.Captcha) != 1 || len(ch.Confirm) != 1 || len(ch.Flood) != 1 || len(ch.Quota) != 1 {
		t.Fatalf("challenges %+v", ch)
	}
	a := call(t, s, "execute.hello", vals("v", "5.199", "access_token", "my-user-token", "name", "Ann"))
	if string(a.body) != `{"response":"hello, Ann"}` {
		t.Fatalf("procedure: %s", a.body)
	}
	a = call(t, s, "wall.get", vals("v", "5.199", "access_token", "my-user-token", "domain", "ann_lee"))
	if a.code() != vkerr.Captcha {
		t.Fatalf("wall.get: %s", a.body)
	}
	a = call(t, s, "wall.get", vals("v", "5.199", "access_token", "my-user-token", "domain", "ann_lee"))
	if !strings.Contains(string(a.body), "Hello from the configuration") {
		t.Fatalf("world post: %s", a.body)
	}
	// The documentation shows the file verbatim.
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/vkmock.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(doc, file) {
		t.Fatalf("docs/vkmock.md does not show %s as it is", path)
	}
}

// The small configuration shown in the package documentation is valid.
func TestConfigInPackageDoc(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(src), "// object are errors. A small one:\n//\n")
	if !ok {
		t.Fatal("doc.go has no configuration example")
	}
	var js strings.Builder
	for line := range strings.SplitSeq(rest, "\n") {
		code, ok := strings.CutPrefix(line, "//\t")
		if !ok {
			break
		}
		js.WriteString(code + "\n")
	}
	c, err := ParseConfig(strings.NewReader(js.String()))
	if err != nil {
		t.Fatalf("the package doc's example: %v\n%s", err, js.String())
	}
	if _, err := New(WithConfig(c)); err != nil {
		t.Fatal(err)
	}
	if c.Limits == nil || c.Limits.Posts != 5000 || c.Timeouts == nil || c.Timeouts.ReadMS != 10000 {
		t.Fatalf("parsed %+v", c)
	}
}
