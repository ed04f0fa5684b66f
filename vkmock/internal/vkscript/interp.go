package vkscript

import (
	"math"
	"strconv"
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
