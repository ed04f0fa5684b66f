package vkscript

import (
	"math"
	"strconv"
	"strings"
)

// Param is a parameter of an API call or an argument of the script.
type Param struct{ Key, Value string }

// Limits bound a run. Zero fields take the defaults.
type Limits struct {
	Ops      int // operations (statements, operators, calls, assignments); default 1000
	Calls    int // API calls; default 25
	Response int // bytes of the JSON result; default 5 MB
	Memory   int // bytes of strings and arrays built; default 32 MB
}

// The default limits, VK's.
const (
	DefaultOps      = 1000
	DefaultCalls    = 25
	DefaultResponse = 5 << 20
	DefaultMemory   = 32 << 20
)

// Env is what a script runs against.
type Env struct {
	Args []Param // readable as Args.name (strings)
	// Call makes an API call. It returns the JSON response, or ok false when
	// the call failed (the call then evaluates to false; the caller records
	// the error).
	Call   func(method string, params []Param) (response []byte, ok bool)
	Limits Limits
}

// RuntimeError is an error while running a script; Detail follows VK's
// "Runtime error occurred during code invocation: ".
type RuntimeError struct{ Detail string }

func (e *RuntimeError) Error() string { return e.Detail }

// Result is the outcome of a run.
type Result struct {
	JSON  []byte // the returned value as JSON ("null" without return)
	Ops   int
	Calls int
}

type interp struct {
	env    *Env
	lim    Limits
	vars   map[string]any
	ops    int
	calls  int
	memory int
	// indexes are the rune indexes of the long strings indexed so far.
	indexes map[strKey]*runeIndex
}

type rtPanic struct{ err *RuntimeError }

func (in *interp) fail(detail string) { panic(rtPanic{&RuntimeError{Detail: detail}}) }

func (in *interp) op() {
	in.ops++
	if in.ops > in.lim.Ops {
		in.fail("too many operations")
	}
}

func (in *interp) alloc(n int) {
	in.memory += n
	if in.memory > in.lim.Memory || n < 0 {
		in.fail("out of memory")
	}
}

// Run runs a compiled program. The error is a *RuntimeError.
func (p *Program) Run(env *Env) (res Result, err error) {
	lim := env.Limits
	if lim.Ops <= 0 {
		lim.Ops = DefaultOps
	}
	if lim.Calls <= 0 {
		lim.Calls = DefaultCalls
	}
	if lim.Response <= 0 {
		lim.Response = DefaultResponse
	}
	if lim.Memory <= 0 {
		lim.Memory = DefaultMemory
	}
	in := &interp{env: env, lim: lim, vars: make(map[string]any, p.vars)}
	defer func() {
		if r := recover(); r != nil {
			rp, ok := r.(rtPanic)
			if !ok {
				panic(r)
			}
			res, err = Result{Ops: in.ops, Calls: in.calls}, rp.err
		}
	}()
	// The arguments count against the memory limit, as what the script
	// builds does.
	for _, a := range env.Args {
		in.alloc(len(a.Key) + len(a.Value))
	}
	var ret any
	for _, s := range p.body {
		if done, v := in.exec(s); done {
			ret = v
			break
		}
	}
	e := encoder{limit: lim.Response}
	if err := e.encode(ret, 0); err != nil {
		in.fail(err.Error())
	}
	return Result{JSON: e.buf, Ops: in.ops, Calls: in.calls}, nil
}

// exec runs a statement; done reports a return.
func (in *interp) exec(n node) (bool, any) {
	switch s := n.(type) {
	case *emptyStmt:
		return false, nil
	case *blockStmt:
		for _, x := range s.list {
			if done, v := in.exec(x); done {
				return true, v
			}
		}
		return false, nil
	}
	in.op()
	switch s := n.(type) {
	case *varStmt:
		for i, name := range s.names {
			var v any
			if s.inits[i] != nil {
				v = in.eval(s.inits[i])
			}
			in.vars[name] = v
		}
	case *exprStmt:
		in.eval(s.x)
	case *ifStmt:
		if truthy(in.eval(s.cond)) {
			return in.exec(s.then)
		} else if s.els_ != nil {
			return in.exec(s.els_)
		}
	case *whileStmt:
		for truthy(in.eval(s.cond)) {
			if done, v := in.exec(s.body); done {
				return true, v
			}
			in.op()
		}
	case *returnStmt:
		if s.x == nil {
			return true, nil
		}
		return true, in.eval(s.x)
	case *deleteStmt:
		switch t := s.target.(type) {
		case *memberExpr:
			if o, ok := in.eval(t.obj).(*Object); ok {
				o.del(t.name)
			}
		case *indexExpr:
			obj, idx := in.eval(t.obj), in.eval(t.idx)
			switch o := obj.(type) {
			case *Object:
				k, _ := toString(idx)
				o.del(k)
			case *Array:
				if i, ok := index(idx, len(o.elems)); ok {
					o.elems[i] = nil
				}
			}
		}
	}
	return false, nil
}

// index converts an index value to an int in [0, n).
func index(v any, n int) (int, bool) {
	f, ok := v.(float64)
	if !ok {
		s, isStr := v.(string)
		if !isStr {
			return 0, false
		}
		var err error
		f, err = strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false
		}
	}
	if f != math.Trunc(f) || f < 0 || f >= float64(n) {
		return 0, false
	}
	return int(f), true
}

func (in *interp) eval(n node) any {
	switch x := n.(type) {
	case *numLit:
		return x.v
	case *strLit:
		return x.v
	case *boolLit:
		return x.v
	case *nullLit:
		return nil
	case *identExpr:
		return in.vars[x.name]
	case *argsExpr:
		o := newObject()
		for _, a := range in.env.Args {
			o.set(a.Key, a.Value)
		}
		return o
	case *arrayLit:
		a := &Array{elems: make([]any, 0, len(x.elems))}
		for _, e := range x.elems {
			a.elems = append(a.elems, in.eval(e))
		}
		in.alloc(16 * len(a.elems))
		return a
	case *objectLit:
		o := newObject()
		for i, k := range x.keys {
			o.set(k, in.eval(x.vals[i]))
		}
		in.alloc(32 * len(x.keys))
		return o
	case *memberExpr:
		if _, ok := x.obj.(*argsExpr); ok {
			for _, a := range in.env.Args {
				if a.Key == x.name {
					return a.Value
				}
			}
			return nil
		}
		return in.member(in.eval(x.obj), x.name)
	case *indexExpr:
		obj := in.eval(x.obj)
		idx := in.eval(x.idx)
		switch o := obj.(type) {
		case *Array:
			if i, ok := index(idx, len(o.elems)); ok {
				return o.elems[i]
			}
		case *Object:
			k, ok := toString(idx)
			if ok {
				v, _ := o.get(k)
				return v
			}
		case string:
			if c, ok := in.charAt(o, idx); ok {
				return c
			}
		}
		return nil
	case *pluckExpr:
		in.op()
		a, ok := in.eval(x.obj).(*Array)
		if !ok {
			return nil
		}
		out := &Array{elems: make([]any, len(a.elems))}
		in.alloc(16 * len(a.elems))
		for i, el := range a.elems {
			out.elems[i] = in.member(el, x.name)
		}
		return out
	case *unaryExpr:
		v := in.eval(x.x)
		in.op()
		switch x.op {
		case "!":
			return !truthy(v)
		default:
			f, ok := toNumber(v)
			if !ok {
				in.fail("Unsupported operand types")
			}
			if x.op == "-" {
				return -f
			}
			return f
		}
	case *logicalExpr:
		l := in.eval(x.l)
		in.op()
		if x.op == "&&" {
			if !truthy(l) {
				return l
			}
		} else if truthy(l) {
			return l
		}
		return in.eval(x.r)
	case *condExpr:
		c := in.eval(x.cond)
		in.op()
		if truthy(c) {
			return in.eval(x.a)
		}
		return in.eval(x.b)
	case *binaryExpr:
		l := in.eval(x.l)
		r := in.eval(x.r)
		in.op()
		return in.binary(x.op, l, r)
	case *assignExpr:
		in.op()
		v := in.eval(x.value)
		if x.op != "=" {
			v = in.binary(x.op[:1], in.eval(x.target), v)
		}
		in.assign(x.target, v)
		return v
	case *funcCall:
		in.op()
		var arg any
		if len(x.args) > 0 {
			arg = in.eval(x.args[0])
		}
		if x.name == "parseInt" {
			return parseIntValue(arg)
		}
		return parseDoubleValue(arg)
	case *methodCall:
		obj := in.eval(x.obj)
		args := make([]any, len(x.args))
		for i, a := range x.args {
			args[i] = in.eval(a)
		}
		in.op()
		return in.method(obj, x.name, args)
	case *apiCall:
		in.op()
		var params []Param
		if len(x.args) > 0 {
			switch a := in.eval(x.args[0]).(type) {
			case *Object:
				for _, k := range a.keys {
					v := a.m[k]
					if v == nil {
						continue
					}
					s, ok := paramString(v)
					if !ok {
						in.fail("invalid value of parameter " + k)
					}
					in.alloc(len(s))
					params = append(params, Param{k, s})
				}
			case nil:
			default:
				in.fail("API method parameters must be an object")
			}
		}
		in.calls++
		if in.calls > in.lim.Calls {
			in.fail("too many API calls")
		}
		resp, ok := in.env.Call(x.method, params)
		if !ok {
			return false
		}
		in.alloc(len(resp))
		v, err := decodeJSON(resp)
		if err != nil {
			return false
		}
		return v
	}
	in.fail("unsupported expression")
	return nil
}

// member reads a field; reading from false, null or a scalar gives null.
func (in *interp) member(v any, name string) any {
	switch o := v.(type) {
	case *Object:
		f, _ := o.get(name)
		return f
	case *Array:
		if name == "length" {
			return float64(len(o.elems))
		}
	case string:
		if name == "length" {
			return float64(in.runeLen(o))
		}
	}
	return nil
}

func paramString(v any) (string, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return "1", true
		}
		return "0", true
	case *Object:
		e := encoder{limit: DefaultResponse}
		if err := e.encode(x, 0); err != nil {
			return "", false
		}
		return string(e.buf), true
	}
	return toString(v)
}

func (in *interp) assign(target node, v any) {
	switch t := target.(type) {
	case *identExpr:
		in.vars[t.name] = v
	case *memberExpr:
		if _, ok := t.obj.(*argsExpr); ok {
			in.fail("Args are read-only")
		}
		o, ok := in.eval(t.obj).(*Object)
		if !ok {
			in.fail("assignment to a field of a non-object")
		}
		in.alloc(32)
		o.set(t.name, v)
	case *indexExpr:
		obj := in.eval(t.obj)
		idx := in.eval(t.idx)
		switch o := obj.(type) {
		case *Array:
			if i, ok := index(idx, len(o.elems)+1); ok {
				if i == len(o.elems) {
					in.alloc(16)
					o.elems = append(o.elems, v)
				} else {
					o.elems[i] = v
				}
				return
			}
			in.fail("index out of range")
		case *Object:
			k, ok := toString(idx)
			if !ok {
				in.fail("invalid key")
			}
			in.alloc(32 + len(k))
			o.set(k, v)
		default:
			in.fail("assignment to an element of a non-array")
		}
	}
}

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
