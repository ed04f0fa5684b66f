package vkevent

import (
	"bytes"
	"errors"
	"math"
	"strconv"
)

// The tolerant reading of scalars shared by the generated decoders (see
// reader.go): a number in a string, a whole float for an integer, a
// boolean as 0 or 1.

var errNotObject = errors.New("not a JSON object")

func isNull(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("null")) }

// unquote strips the quotes of a JSON string without decoding escapes
// (enough for numbers and booleans sent as strings).
func unquote(raw []byte) []byte {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		return raw[1 : len(raw)-1]
	}
	return raw
}

func flexInt(raw []byte) (int64, bool) {
	s := string(unquote(raw))
	switch s {
	case "true":
		return 1, true
	case "false":
		return 0, true
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
		return 0, false
	}
	return int64(f), true
}

func flexFloat(raw []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(unquote(raw)), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}
