// Package vkscript is a lexer, parser and interpreter for the subset of
// VKScript, the language of the VK API's execute method, that clients send:
// var declarations, assignment to variables, fields and elements, if/else,
// while, return, delete, literals, arithmetic, comparison, logic, the
// ternary operator, + on strings and arrays, .length, indexing, the @.
// pluck, the array and string methods push, pop, shift, unshift, slice,
// splice, indexOf, join, split and substr, parseInt and parseDouble, and
// API.section.method({...}) calls.
//
// Compile errors carry VK's wording and the line ("';' expected, ” found
// in line 1"); runtime errors are bounded by limits on operations, API
// calls, memory and the size of the result.
package vkscript

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tString
	tPunct
)

type token struct {
	kind tokKind
	text string  // source text (punctuation, identifiers, numbers)
	str  string  // the value of a string literal
	num  float64 // the value of a number
	line int
}

// display is how a token is named in a compile error.
func (t token) display() string {
	switch t.kind {
	case tEOF:
		return ""
	case tString:
		return t.text
	}
	return t.text
}

// CompileError is a syntax or name error, with the line it was found on.
type CompileError struct {
	Detail string
	Line   int
}

// Error returns "<detail> in line N", VK's wording after "Unable to
// compile code: ".
func (e *CompileError) Error() string { return e.Detail + " in line " + strconv.Itoa(e.Line) }

// puncts are the punctuators, longest first.
var puncts = []string{
	"===", "!==", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "*=", "/=", "%=", "++", "--",
	"{", "}", "(", ")", "[", "]", ";", ",", ".", ":", "?", "+", "-", "*", "/", "%", "!", "<", ">", "=", "@",
}

// maxTokens bounds the size of a program.
const maxTokens = 200000

func lex(src string) ([]token, error) {
	var toks []token
	line := 1
	i := 0
	for {
		// Spaces and comments.
		for i < len(src) {
			c := src[i]
			switch {
			case c == '\n':
				line++
				i++
			case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
				i++
			case c == '/' && i+1 < len(src) && src[i+1] == '/':
				for i < len(src) && src[i] != '\n' {
					i++
				}
			case c == '/' && i+1 < len(src) && src[i+1] == '*':
				end := strings.Index(src[i+2:], "*/")
				if end < 0 {
					return nil, &CompileError{Detail: "unterminated comment", Line: line}
				}
				line += strings.Count(src[i:i+2+end], "\n")
				i += end + 4
			default:
				goto token
			}
		}
	token:
		if i >= len(src) {
			toks = append(toks, token{kind: tEOF, line: line})
			return toks, nil
		}
		if len(toks) >= maxTokens {
			return nil, &CompileError{Detail: "code is too long", Line: line}
		}
		c := src[i]
		switch {
		case c == '_' || c == '$' || c < utf8.RuneSelf && unicode.IsLetter(rune(c)):
			j := i + 1
			for j < len(src) && (src[j] == '_' || src[j] == '$' || src[j] < utf8.RuneSelf && (unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j])))) {
				j++
			}
			toks = append(toks, token{kind: tIdent, text: src[i:j], line: line})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
				k := j + 1
				if k < len(src) && (src[k] == '+' || src[k] == '-') {
					k++
				}
				if k < len(src) && src[k] >= '0' && src[k] <= '9' {
					for k < len(src) && src[k] >= '0' && src[k] <= '9' {
						k++
					}
					j = k
				}
			}
			text := src[i:j]
			var n float64
			var err error
			if len(text) > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') {
				err = strconv.ErrSyntax
			} else {
				n, err = strconv.ParseFloat(text, 64)
			}
			if err != nil {
				return nil, &CompileError{Detail: "invalid number '" + text + "'", Line: line}
			}
			toks = append(toks, token{kind: tNumber, text: text, num: n, line: line})
			i = j
		case c == '"' || c == '\'':
			s, n, nl, ok := lexString(src[i:])
			if !ok {
				return nil, &CompileError{Detail: "unterminated string", Line: line}
			}
			toks = append(toks, token{kind: tString, text: src[i : i+n], str: s, line: line})
			line += nl
			i += n
		default:
			found := false
			for _, p := range puncts {
				if strings.HasPrefix(src[i:], p) {
					toks = append(toks, token{kind: tPunct, text: p, line: line})
					i += len(p)
					found = true
					break
				}
			}
			if !found {
				r, size := utf8.DecodeRuneInString(src[i:])
				text := string(r)
				if r == utf8.RuneError && size <= 1 {
					text = "?"
					size = 1
				}
				return nil, &CompileError{Detail: "unexpected character '" + text + "'", Line: line}
			}
		}
	}
}

// lexString reads a quoted string at the start of s; it returns the value,
// the length of the literal and the newlines inside it.
func lexString(s string) (string, int, int, bool) {
	q := s[0]
	var b strings.Builder
	nl := 0
	i := 1
	for i < len(s) {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, nl, true
		case c == '\n':
			return "", 0, 0, false
		case c == '\\':
			if i+1 >= len(s) {
				return "", 0, 0, false
			}
			e := s[i+1]
			i += 2
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case '0':
				b.WriteByte(0)
			case 'u':
				if i+4 <= len(s) {
					if v, err := strconv.ParseUint(s[i:i+4], 16, 32); err == nil {
						b.WriteRune(rune(v))
						i += 4
						continue
					}
				}
				b.WriteByte('u')
			case '\n':
				nl++
			default:
				b.WriteByte(e)
			}
			continue
		default:
			b.WriteByte(c)
		}
		i++
	}
	return "", 0, 0, false
}
