package streaming

import (
	"slices"
	"strings"
	"unicode"

	"github.com/vkerr/vkerr"
)

// The limits of VK's "Rules" page (vk.com/dev/streaming_api_docs, section
// 2, and the SDKs that quote it).
const (
	MaxRules      = 300  // rules per stream
	MaxKeywords   = 100  // keywords (filters) per rule
	MaxValueBytes = 4096 // bytes of a rule's value
	MaxTagBytes   = 256  // bytes of a rule's tag
)

// Rule is a rule of a stream.
type Rule struct {
	Value string `json:"value"`
	Tag   string `json:"tag"`
}

// keyword is one filter of a rule: a word (any case) or, quoted, an exact
// phrase; minus excludes the texts that have it.
type keyword struct {
	text  string
	exact bool
	minus bool
}

// compiled is a rule ready to match.
type compiled struct {
	Rule
	words []keyword
}

// compile checks a rule against VK's limits and parses its value; the
// error is the Streaming code its defect gets.
func compile(r Rule) (compiled, vkerr.StreamingCode) {
	if strings.TrimSpace(r.Tag) == "" || len(r.Tag) > MaxTagBytes || strings.TrimSpace(r.Value) == "" || len(r.Value) > MaxValueBytes {
		return compiled{}, vkerr.StreamingInvalidRule
	}
	if strings.Count(r.Value, `"`)%2 != 0 {
		return compiled{}, vkerr.StreamingUnbalancedQuotes
	}
	var words []keyword
	rest := r.Value
	for {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if rest == "" {
			break
		}
		k := keyword{}
		if rest[0] == '-' {
			k.minus, rest = true, rest[1:]
		}
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			k.text, k.exact, rest = rest[1:1+end], true, rest[2+end:]
		} else {
			end := strings.IndexFunc(rest, func(c rune) bool { return unicode.IsSpace(c) || c == '"' })
			if end < 0 {
				end = len(rest)
			}
			k.text, rest = strings.ToLower(rest[:end]), rest[end:]
		}
		if strings.TrimSpace(k.text) == "" {
			return compiled{}, vkerr.StreamingInvalidRule
		}
		words = append(words, k)
	}
	if len(words) > MaxKeywords {
		return compiled{}, vkerr.StreamingTooManyFilters
	}
	if !slices.ContainsFunc(words, func(k keyword) bool { return !k.minus }) {
		return compiled{}, vkerr.StreamingMinusOnly
	}
	return compiled{Rule: r, words: words}, 0
}

// textWords splits a text into its lower-case words.
func textWords(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(c rune) bool { return !unicode.IsLetter(c) && !unicode.IsNumber(c) })
}

// matches reports whether a text matches the rule: every keyword without a
// minus is in it, none with a minus is. A word matches a word of the text
// in any case (VK also matches its other forms; the mock does not); a
// quoted phrase matches the text's exact characters.
func (c compiled) matches(text string, words []string) bool {
	for _, k := range c.words {
		var has bool
		if k.exact {
			has = strings.Contains(text, k.text)
		} else {
			has = slices.Contains(words, k.text)
		}
		if has == k.minus {
			return false
		}
	}
	return true
}
