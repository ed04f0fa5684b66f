package main

import (
	"context"
	"strings"
	"testing"

	"github.com/vkerr/vkerr/vkmock"
)

func TestDemoLongPoll(t *testing.T) {
	t.Parallel()
	srv := vkmock.MustNew()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, err := serveMock(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	d := &demo{w: &out, lang: "en", srv: srv, url: url, rec: &recorder{}}
	if failed := d.longPollDemo(ctx); failed != 0 {
		t.Fatalf("%d Long Poll steps failed:\n%s", failed, out.String())
	}
	text := out.String()
	for _, want := range []string{`{"failed":2}`, `{"failed":3}`, "reported the gap: ts", "the mock lost 2 events", "3 of 3 Long Poll steps went as documented"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Long Poll demo lacks %q:\n%s", want, text)
		}
	}
}
