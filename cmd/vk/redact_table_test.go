package main

import (
	"testing"

	"github.com/vkerr/vkerr/internal/redacttest"
)

// TestDecodeRedactionTable runs vk decode, as text and as --json, over the
// table of secrets × places × forms (internal/redacttest) and looks for each
// secret and each 8-byte piece of it in standard output and standard error.
func TestDecodeRedactionTable(t *testing.T) {
	t.Parallel()
	cases := redacttest.Table(raceEnabled)
	checks, leaks := 0, 0
	for _, c := range cases {
		for _, args := range [][]string{{"decode", "--lang", "en"}, {"decode", "--json", "--lang", "ru"}} {
			code, out, errOut := vk(t, string(c.Body), args...)
			if code == 0 {
				t.Errorf("%s %v: exit 0, want an error reported", c.Name, args)
			}
			checks++
			if p := redacttest.Leak(out+errOut, c.Secret); p != "" {
				leaks++
				if leaks <= 20 {
					t.Errorf("%s %v shows %q of the secret:\n%s%s", c.Name, args, p, out, errOut)
				}
			}
		}
	}
	t.Logf("%d cases × 2 outputs (text, --json): %d checks, %d leaks", len(cases), checks, leaks)
}
