package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/vkerr/vkerr/internal/soak"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	failed, err := runDemo(context.Background(), &out, "en", 1)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if failed != 0 {
		t.Fatalf("%d steps did not go as documented:\n%s", failed, text)
	}
	if n := strings.Count(text, "  result: ok"); n != 14 {
		t.Errorf("%d steps ok, want 14:\n%s", n, text)
	}
	for _, want := range []string{"Summary", "14 of 14 steps went as documented", "kept to 3 req/s by its limiter", "error 14", "error 17", "error 24", "error 29", "execute → ok"} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// The step of error 6 must not have provoked one.
	step6 := text[strings.Index(text, "[1/14]"):strings.Index(text, "[2/14]")]
	if strings.Contains(step6, "→ error 6") {
		t.Errorf("the limiter step provoked error 6:\n%s", step6)
	}
	// No token of the mock's (vkmock tokens look like vkmock_...) is printed.
	if m := regexp.MustCompile(`vk1\.a\.[A-Za-z0-9_-]{8,}`).FindString(text); m != "" {
		t.Errorf("a token appears in the demo output: %s", m)
	}
}

// TestDemoCommand: vk demo --lang ru speaks Russian. The demo takes a few
// seconds and TestExamples runs it (in English) by default, so this one
// runs with VKERR_SOAK=1.
func TestDemoCommand(t *testing.T) {
	soak.Require(t)
	code, out, errOut := vk(t, "", "demo", "--lang", "ru")
	if code != 0 || !strings.Contains(out, "Требуется ввод кода с картинки") {
		t.Errorf("vk demo --lang ru: exit %d\n%s%s", code, out, errOut)
	}
}
