// The schema is read as plain JSON values (map[string]any, []any, float64,
// string, bool); these helpers turn such values into the compiled fields.

package schemac

import (
	"math"
	"strconv"
	"strings"
)

// asList is v as a JSON array, or nil when it is not one.
func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// typeString is a "type" keyword: the type name, or several joined by "|".
func typeString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		var parts []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, "|")
	}
	return ""
}

// numPtr is v as a number, or nil when it is not one (or is NaN).
func numPtr(v any) *float64 {
	if f, ok := v.(float64); ok && !math.IsNaN(f) {
		return &f
	}
	return nil
}

// intPtr is v as a whole number, or nil when it is not a number.
func intPtr(v any) *int {
	if f, ok := v.(float64); ok {
		n := int(f)
		return &n
	}
	return nil
}

// enumString is an enum value as the string a request carries it as:
// numbers in shortest form, booleans as "1" and "0".
func enumString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case bool:
		if t {
			return "1", true
		}
		return "0", true
	}
	return "", false
}
