package vkscript

import (
	"sort"
	"unicode/utf8"
	"unsafe"
)

// Strings are Go strings (UTF-8); scripts index them by character, as
// JavaScript does. Converting a string to runes on every s[i], substr or
// slice made a loop over a long argument cost seconds, so a long string
// gets a rune index once per run: its length in runes, whether it is
// ASCII (then characters are bytes), and otherwise the byte offset of
// every runeMark-th character, from which any position is a short walk.

// runeMark is the distance, in characters, between two marks of an index.
const runeMark = 64

// shortString is the length in bytes under which a string is walked
// directly instead of indexed.
const shortString = 256

// maxIndexes bounds the indexes kept per run.
const maxIndexes = 64

type runeIndex struct {
	runes int
	ascii bool
	marks []int // byte offset of character k*runeMark
}

func newRuneIndex(s string) *runeIndex {
	x := &runeIndex{ascii: true}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			x.ascii = false
			break
		}
	}
	if x.ascii {
		x.runes = len(s)
		return x
	}
	n := 0
	for i := range s {
		if n%runeMark == 0 {
			x.marks = append(x.marks, i)
		}
		n++
	}
	x.runes = n
	return x
}

// offset returns the byte offset of character i (0 <= i <= runes).
func (x *runeIndex) offset(s string, i int) int {
	if x.ascii {
		return i
	}
	if i >= x.runes {
		return len(s)
	}
	off := x.marks[i/runeMark]
	for k := i % runeMark; k > 0; k-- {
		_, size := utf8.DecodeRuneInString(s[off:])
		off += size
	}
	return off
}

// runeCount returns the number of characters before byte offset b.
func (x *runeIndex) runeCount(s string, b int) int {
	if x.ascii {
		return b
	}
	k := sort.Search(len(x.marks), func(k int) bool { return x.marks[k] > b }) - 1
	return k*runeMark + utf8.RuneCountInString(s[x.marks[k]:b])
}

// strKey names a string by its bytes' address and length: strings are
// immutable, so the same key is the same text.
type strKey struct {
	p *byte
	n int
}

// index returns the rune index of s, built once per run for long strings.
func (in *interp) index(s string) *runeIndex {
	if len(s) < shortString {
		return newRuneIndex(s)
	}
	k := strKey{unsafe.StringData(s), len(s)}
	if x, ok := in.indexes[k]; ok {
		return x
	}
	if in.indexes == nil || len(in.indexes) >= maxIndexes {
		in.indexes = map[strKey]*runeIndex{}
	}
	x := newRuneIndex(s)
	in.alloc(8 * len(x.marks))
	in.indexes[k] = x
	return x
}

// runeLen is the length of s in characters.
func (in *interp) runeLen(s string) int { return in.index(s).runes }

// charAt is s[i]: the character at i, or false when i is out of range.
func (in *interp) charAt(s string, idx any) (string, bool) {
	x := in.index(s)
	i, ok := index(idx, x.runes)
	if !ok {
		return "", false
	}
	a := x.offset(s, i)
	_, size := utf8.DecodeRuneInString(s[a:])
	return s[a : a+size], true
}

// substring returns the characters a to b (0 <= a <= b <= length).
func (in *interp) substring(s string, x *runeIndex, a, b int) string {
	from := x.offset(s, a)
	to := from
	if b > a {
		if x.ascii {
			to = b
		} else {
			to = x.offset(s, b)
		}
	}
	in.alloc(to - from)
	return s[from:to]
}
