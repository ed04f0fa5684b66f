package vkscript

import (
	"math"
	"strings"
)

// The methods VKScript values have (push, pop, slice, split, ...).

// method runs an array or string method.
func (in *interp) method(obj any, name string, args []any) any {
	arg := func(i int) any {
		if i < len(args) {
			return args[i]
		}
		return nil
	}
	intArg := func(i int, def int) int {
		if i >= len(args) || args[i] == nil {
			return def
		}
		f, ok := toNumber(args[i])
		if !ok || math.IsNaN(f) {
			in.fail(name + ": argument is not a number")
		}
		if f > 1e9 {
			return 1e9
		}
		if f < -1e9 {
			return -1e9
		}
		return int(f)
	}
	switch o := obj.(type) {
	case *Array:
		switch name {
		case "push":
			in.alloc(16 * len(args))
			o.elems = append(o.elems, args...)
			return float64(len(o.elems))
		case "pop":
			if len(o.elems) == 0 {
				return nil
			}
			v := o.elems[len(o.elems)-1]
			o.elems = o.elems[:len(o.elems)-1]
			return v
		case "shift":
			if len(o.elems) == 0 {
				return nil
			}
			v := o.elems[0]
			o.elems = append(o.elems[:0:0], o.elems[1:]...)
			return v
		case "unshift":
			in.alloc(16 * (len(args) + len(o.elems)))
			out := make([]any, 0, len(args)+len(o.elems))
			o.elems = append(append(out, args...), o.elems...)
			return float64(len(o.elems))
		case "slice":
			a, b := sliceRange(intArg(0, 0), intArg(1, len(o.elems)), len(o.elems))
			in.alloc(16 * (b - a))
			return &Array{elems: append([]any(nil), o.elems[a:b]...)}
		case "splice":
			n := len(o.elems)
			start, _ := sliceRange(intArg(0, 0), n, n)
			del := n - start
			if len(args) > 1 {
				del = min(max(intArg(1, 0), 0), n-start)
			}
			removed := append([]any(nil), o.elems[start:start+del]...)
			var ins []any
			if len(args) > 2 {
				ins = args[2:]
			}
			in.alloc(16 * (n + len(ins)))
			out := make([]any, 0, n-del+len(ins))
			out = append(out, o.elems[:start]...)
			out = append(out, ins...)
			o.elems = append(out, o.elems[start+del:]...)
			return &Array{elems: removed}
		case "indexOf":
			for i, el := range o.elems {
				if strictEqual(el, arg(0)) {
					return float64(i)
				}
			}
			return float64(-1)
		case "join":
			sep := ","
			if len(args) > 0 && args[0] != nil {
				sep, _ = toString(args[0])
			}
			parts := make([]string, len(o.elems))
			for i, el := range o.elems {
				if el == nil {
					continue
				}
				s, ok := toString(el)
				if !ok {
					in.fail("join: unsupported element")
				}
				parts[i] = s
				in.alloc(len(s) + len(sep))
			}
			return strings.Join(parts, sep)
		}
	case string:
		switch name {
		case "indexOf":
			sub, ok := arg(0).(string)
			if !ok {
				sub, _ = toString(arg(0))
			}
			i := strings.Index(o, sub)
			if i < 0 {
				return float64(-1)
			}
			return float64(in.index(o).runeCount(o, i))
		case "split":
			sep, ok := arg(0).(string)
			if !ok {
				if arg(0) != nil {
					in.fail("split: separator is not a string")
				}
				return &Array{elems: []any{o}}
			}
			var parts []string
			if sep == "" {
				parts = strings.Split(o, "")
			} else {
				parts = strings.Split(o, sep)
			}
			in.alloc(len(o) + 16*len(parts))
			a := &Array{elems: make([]any, len(parts))}
			for i, p := range parts {
				a.elems[i] = p
			}
			return a
		case "substr":
			x := in.index(o)
			start := intArg(0, 0)
			if start < 0 {
				start = max(x.runes+start, 0)
			}
			start = min(start, x.runes)
			length := intArg(1, x.runes-start)
			length = min(max(length, 0), x.runes-start)
			return in.substring(o, x, start, start+length)
		case "slice":
			x := in.index(o)
			a, b := sliceRange(intArg(0, 0), intArg(1, x.runes), x.runes)
			return in.substring(o, x, a, b)
		}
	}
	in.fail("method " + name + " is not supported for " + typeName(obj))
	return nil
}

// sliceRange resolves JavaScript slice bounds.
func sliceRange(a, b, n int) (int, int) {
	if a < 0 {
		a = max(n+a, 0)
	}
	if b < 0 {
		b = max(n+b, 0)
	}
	a, b = min(a, n), min(b, n)
	if b < a {
		b = a
	}
	return a, b
}
