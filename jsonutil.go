package vkerr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// flexInt decodes an integer sent as a JSON number or a string of digits;
// null is 0.
func flexInt(v json.RawMessage) (int64, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || isNull(v) {
		return 0, nil
	}
	if v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, err
		}
		if s == "" {
			return 0, nil
		}
		return strconv.ParseInt(s, 10, 64)
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		// Accept 14.0 but not 14.5.
		f, ferr := strconv.ParseFloat(string(v), 64)
		if ferr != nil || f != float64(int64(f)) {
			return 0, fmt.Errorf("not an integer: %s", RedactShort(string(v), 40))
		}
		return int64(f), nil
	}
	return n, nil
}

// flexString decodes a string sent as a JSON string, number or bool; it
// reports whether it was a number. null is "".
func flexString(v json.RawMessage) (string, bool, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || isNull(v) {
		return "", false, nil
	}
	switch v[0] {
	case '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, false, err
	case 't', 'f':
		var b bool
		err := json.Unmarshal(v, &b)
		return strconv.FormatBool(b), false, err
	case '{', '[':
		return "", false, fmt.Errorf("not a string: %s", RedactShort(string(v), 40))
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return "", false, err
	}
	return n.String(), true, nil
}
