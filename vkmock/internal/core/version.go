package core

import (
	"strconv"
	"strings"
)

// ParseVersion reads an API version "5.199" as (5, 199).
func ParseVersion(v string) ([2]int, bool) {
	a, b, ok := strings.Cut(v, ".")
	if !ok {
		return [2]int{}, false
	}
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || x < 0 || y < 0 {
		return [2]int{}, false
	}
	return [2]int{x, y}, true
}

// VersionLess reports whether API version a is older than b; false when
// either is not a version.
func VersionLess(a, b string) bool {
	x, ok1 := ParseVersion(a)
	y, ok2 := ParseVersion(b)
	if !ok1 || !ok2 {
		return false
	}
	return x[0] < y[0] || (x[0] == y[0] && x[1] < y[1])
}
