package streaming

import (
	"testing"

	"github.com/vkerr/vkerr"
)

func TestCompileAndMatch(t *testing.T) {
	for _, tc := range []struct {
		value string
		code  vkerr.StreamingCode
		match map[string]bool
	}{
		{"кот", 0, map[string]bool{"Кот спит": true, "котик": false, "": false}},
		{"кот -собака", 0, map[string]bool{"кот": true, "кот и собака": false}},
		{`"Рыжий кот"`, 0, map[string]bool{"Рыжий кот": true, "рыжий кот": false}},
		{`кот -"злая собака"`, 0, map[string]bool{"кот и злая собака": false, "кот и собака": true}},
		{"-кот", vkerr.StreamingMinusOnly, nil},
		{`"кот`, vkerr.StreamingUnbalancedQuotes, nil},
		{`""`, vkerr.StreamingInvalidRule, nil},
		{"", vkerr.StreamingInvalidRule, nil},
	} {
		c, code := compile(Rule{Value: tc.value, Tag: "t"})
		if code != tc.code {
			t.Errorf("compile(%q) = %d, want %d", tc.value, code, tc.code)
			continue
		}
		for text, want := range tc.match {
			if got := c.matches(text, textWords(text)); got != want {
				t.Errorf("%q matches %q: %v, want %v", tc.value, text, got, want)
			}
		}
	}
}
