package vkscript

import (
	"math"
	"strconv"
	"strings"
)

// The operators of VKScript: binary and arithmetic ones, JavaScript's
// strict and loose equality, and parseInt/parseDouble.

func (in *interp) binary(op string, l, r any) any {
	switch op {
	case "+":
		la, lIsArr := l.(*Array)
		ra, rIsArr := r.(*Array)
		switch {
		case lIsArr && rIsArr:
			in.alloc(16 * (len(la.elems) + len(ra.elems)))
			out := make([]any, 0, len(la.elems)+len(ra.elems))
			return &Array{elems: append(append(out, la.elems...), ra.elems...)}
		case lIsArr:
			in.alloc(16 * (len(la.elems) + 1))
			out := make([]any, 0, len(la.elems)+1)
			return &Array{elems: append(append(out, la.elems...), r)}
		}
		_, ls := l.(string)
		_, rs := r.(string)
		if ls || rs {
			a, ok1 := toString(l)
			b, ok2 := toString(r)
			if !ok1 || !ok2 {
				in.fail("Unsupported operand types")
			}
			in.alloc(len(a) + len(b))
			return a + b
		}
		return in.arith(op, l, r)
	case "-", "*", "/", "%":
		return in.arith(op, l, r)
	case "==", "!=":
		eq := looseEqual(l, r)
		if op == "==" {
			return eq
		}
		return !eq
	case "===", "!==":
		eq := strictEqual(l, r)
		if op == "===" {
			return eq
		}
		return !eq
	case "<", ">", "<=", ">=":
		var c int
		switch a := l.(type) {
		case float64:
			b, ok := r.(float64)
			if !ok {
				in.fail("Comparing values of different or unsupported types")
			}
			switch {
			case a < b:
				c = -1
			case a > b:
				c = 1
			case a != b:
				return false // NaN
			}
		case string:
			b, ok := r.(string)
			if !ok {
				in.fail("Comparing values of different or unsupported types")
			}
			c = strings.Compare(a, b)
		default:
			in.fail("Comparing values of different or unsupported types")
		}
		switch op {
		case "<":
			return c < 0
		case ">":
			return c > 0
		case "<=":
			return c <= 0
		}
		return c >= 0
	}
	in.fail("unsupported operator " + op)
	return nil
}

func (in *interp) arith(op string, l, r any) any {
	a, ok1 := toNumber(l)
	b, ok2 := toNumber(r)
	if !ok1 || !ok2 {
		in.fail("Unsupported operand types")
	}
	var v float64
	switch op {
	case "+":
		v = a + b
	case "-":
		v = a - b
	case "*":
		v = a * b
	case "/":
		if b == 0 {
			in.fail("division by zero")
		}
		v = a / b
	case "%":
		if b == 0 {
			in.fail("division by zero")
		}
		v = math.Mod(a, b)
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		in.fail("number out of range")
	}
	return v
}

func strictEqual(l, r any) bool {
	switch a := l.(type) {
	case nil:
		return r == nil
	case bool:
		b, ok := r.(bool)
		return ok && a == b
	case float64:
		b, ok := r.(float64)
		return ok && a == b
	case string:
		b, ok := r.(string)
		return ok && a == b
	case *Array:
		b, ok := r.(*Array)
		return ok && a == b
	case *Object:
		b, ok := r.(*Object)
		return ok && a == b
	}
	return false
}

func looseEqual(l, r any) bool {
	if strictEqual(l, r) {
		return true
	}
	if l == nil || r == nil {
		return false
	}
	switch l.(type) {
	case *Array, *Object:
		return false
	}
	switch r.(type) {
	case *Array, *Object:
		return false
	}
	a, ok1 := toNumber(l)
	b, ok2 := toNumber(r)
	return ok1 && ok2 && a == b
}

func parseIntValue(v any) any {
	switch x := v.(type) {
	case float64:
		return math.Trunc(x)
	case bool:
		if x {
			return float64(1)
		}
		return float64(0)
	case string:
		s := strings.TrimSpace(x)
		i := 0
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			return float64(0)
		}
		f, err := strconv.ParseFloat(s[:j], 64)
		if err != nil || math.IsInf(f, 0) {
			return float64(0)
		}
		return f
	}
	return float64(0)
}

func parseDoubleValue(v any) any {
	switch x := v.(type) {
	case float64:
		return x
	case bool:
		return parseIntValue(x)
	case string:
		s := strings.TrimSpace(x)
		// The longest prefix that is a number.
		end := 0
		for j := 1; j <= len(s) && j <= 64; j++ {
			if f, err := strconv.ParseFloat(s[:j], 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && !strings.ContainsAny(s[:j], "xXpP_iInN") {
				end = j
			}
		}
		if end == 0 {
			return float64(0)
		}
		f, _ := strconv.ParseFloat(s[:end], 64)
		return f
	}
	return float64(0)
}
