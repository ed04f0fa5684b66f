package vkmock

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
	"github.com/vkerr/vkerr/vkmock/internal/fifo"
	"github.com/vkerr/vkerr/vkmock/internal/vkscript"
)

// execute runs VKScript: the code parameter of execute, or a stored
// procedure (execute.NAME). See the package documentation for the
// language and the errors.

// procedures holds the stored procedures and a cache of compiled code.
type procedures struct {
	mu     sync.RWMutex
	code   map[string]string
	progs  map[string]*vkscript.Program // by source
	order  fifo.FIFO[string]            // the sources in progs, oldest first
	limits Limits
}

// progCost estimates the bytes a compiled program of src keeps alive: its
// source (the cache's key) and the program, about as large again.
func progCost(src string) int64 { return 2*int64(len(src)) + 1024 }

func (p *procedures) reset(initial map[string]string) error {
	code := map[string]string{}
	for name, src := range initial {
		if err := validProcedure(name, src); err != nil {
			return err
		}
		code[name] = src
	}
	p.mu.Lock()
	p.code = code
	p.progs = map[string]*vkscript.Program{}
	p.order = fifo.New[string](p.limits.ScriptCache, p.limits.ScriptCacheBytes)
	p.mu.Unlock()
	return nil
}

// Stored procedures are bounded: MaxProcedures of them, each at most
// maxProcedureBytes of code.
const (
	MaxProcedures     = 1000
	maxProcedureBytes = 1 << 20
)

func validProcedure(name, src string) error {
	if len(name) > 256 || len(src) > maxProcedureBytes {
		return fmt.Errorf("vkmock: procedure names are at most 256 bytes and code at most %d", maxProcedureBytes)
	}
	if name == "" || strings.ContainsAny(name, "./ \t\r\n?&#") {
		return fmt.Errorf("vkmock: procedure name %q: letters, digits and _ only", name)
	}
	if _, err := vkscript.Compile(src); err != nil {
		return fmt.Errorf("vkmock: procedure %s: Unable to compile code: %v", name, err)
	}
	return nil
}

// compile returns the compiled program of src, from the cache when it can.
func (p *procedures) compile(src string) (*vkscript.Program, error) {
	p.mu.RLock()
	prog, ok := p.progs[src]
	p.mu.RUnlock()
	if ok {
		return prog, nil
	}
	// The program may keep pieces of its source: compile a copy, not a
	// slice of the request's body.
	src = strings.Clone(src)
	prog, err := vkscript.Compile(src)
	if err != nil {
		return nil, err
	}
	cost := progCost(src)
	if cost > p.limits.ScriptCacheBytes/4 {
		return prog, nil // too large to keep
	}
	p.mu.Lock()
	if _, ok := p.progs[src]; !ok {
		p.progs[src] = prog
		p.order.Add(src, cost, func(old string) { delete(p.progs, old) })
	}
	p.mu.Unlock()
	return prog, nil
}

func (p *procedures) get(name string) (string, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	src, ok := p.code[name]
	return src, ok
}

// Set stores a procedure, callable as execute.NAME; its code must
// compile.
func (ctl ProcedureControl) Set(name, code string) error {
	s := ctl.s
	if err := validProcedure(name, code); err != nil {
		return err
	}
	s.procs.mu.Lock()
	defer s.procs.mu.Unlock()
	if _, ok := s.procs.code[name]; !ok && len(s.procs.code) >= MaxProcedures {
		return fmt.Errorf("vkmock: at most %d stored procedures", MaxProcedures)
	}
	s.procs.code[name] = code
	return nil
}

// Remove removes a procedure; it reports whether it existed.
func (ctl ProcedureControl) Remove(name string) bool {
	s := ctl.s
	s.procs.mu.Lock()
	defer s.procs.mu.Unlock()
	_, ok := s.procs.code[name]
	delete(s.procs.code, name)
	return ok
}

// Procedure is a stored procedure.
type Procedure struct {
	Name string `json:"name"`
	Code string `json:"code"`
}

// List returns the stored procedures, by name.
func (ctl ProcedureControl) List() []Procedure {
	s := ctl.s
	s.procs.mu.RLock()
	defer s.procs.mu.RUnlock()
	out := make([]Procedure, 0, len(s.procs.code))
	for name, code := range s.procs.code {
		out = append(out, Procedure{name, code})
	}
	slices.SortFunc(out, func(a, b Procedure) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// noArgs are the parameters that are not the script's Args.
var noArgs = map[string]bool{"access_token": true, "code": true, "v": true}

// inheritedParams are the outer request's parameters every inner call
// gets unless it sets them.
var inheritedParams = []string{"v", "lang", "test_mode"}

// execute runs the code of execute, or the stored procedure proc.
func (s *Server) execute(q *vkRequest, tok Token, proc string) ([]byte, vkerr.ExecuteErrors, *vkerr.Error) {
	var src string
	if proc != "" {
		var ok bool
		if src, ok = s.procs.get(proc); !ok {
			return nil, nil, &vkerr.Error{Code: vkerr.Method, Message: s.message(vkerr.Method)}
		}
	} else {
		var ok bool
		if src, ok = q.Get("code"); !ok || strings.TrimSpace(src) == "" {
			return nil, nil, s.msgs().Param("code is undefined")
		}
	}
	prog, err := s.procs.compile(src)
	if err != nil {
		return nil, nil, &vkerr.Error{Code: vkerr.Compile, Message: s.message(vkerr.Compile) + ": " + err.Error()}
	}
	var args []vkscript.Param
	for _, p := range q.Params {
		if !noArgs[p.Key] {
			args = append(args, vkscript.Param{Key: p.Key, Value: p.Value})
		}
	}
	var errs vkerr.ExecuteErrors
	env := &vkscript.Env{Args: args, Call: func(method string, params []vkscript.Param) ([]byte, bool) {
		body, e := s.innerCall(q, tok, method, params)
		if e != nil {
			errs = append(errs, &vkerr.Error{Method: method, Code: e.Code, Message: e.Message})
			return nil, false
		}
		return body, true
	}}
	res, err := prog.Run(env)
	if err != nil {
		var rt *vkscript.RuntimeError
		detail := err.Error()
		if errors.As(err, &rt) {
			detail = rt.Detail
		}
		return nil, nil, s.withSuffix(vkerr.Runtime, detail)
	}
	if proc != "" && len(errs) > 0 {
		// VK lists the procedure itself after its failed calls.
		last := errs[len(errs)-1]
		errs = append(errs, &vkerr.Error{Method: "execute." + proc, Code: last.Code, Message: last.Message})
	}
	return res.JSON, errs, nil
}

// innerCall makes an API call of a script: the method must exist (3), take
// the token's kind (27, 28, 15) and valid parameters (100); fault rules
// whose effect is an error apply, then confirmation, flood control and
// quotas, then the world or the synthesised answer. Inner calls are not
// counted against the rate limit: the execute was.
func (s *Server) innerCall(outer *vkRequest, tok Token, method string, params []vkscript.Param) ([]byte, *vkerr.Error) {
	q := &vkRequest{Name: method, Token: outer.Token, HasToken: outer.HasToken, TLS: outer.TLS, Host: outer.Host,
		Params: make([]kv, 0, len(params)+len(inheritedParams))}
	for _, p := range params {
		q.Params = append(q.Params, kv{Key: p.Key, Value: p.Value})
	}
	for _, name := range inheritedParams {
		if _, ok := q.Get(name); !ok {
			if v, ok := outer.Get(name); ok {
				q.Params = append(q.Params, kv{Key: name, Value: v})
			}
		}
	}
	m := s.schema.Method(method)
	if m == nil || method == "execute" {
		return nil, &vkerr.Error{Code: vkerr.Method, Message: s.message(vkerr.Method)}
	}
	if outer.HasToken && !m.Accepts(tok.Kind) {
		return nil, s.kindError(tok.Kind)
	}
	if e := s.validate(m, q); e != nil {
		return nil, e
	}
	if f := s.matchFault(q, tok.Kind, m, phaseBefore, true); f != nil {
		return nil, s.faultError(f, q)
	}
	if e := s.chal.Check(q, false, true); e != nil {
		return nil, e
	}
	return s.answer(m, q, tok)
}

// answer is the response of a method that passed the checks: from the
// world for the world methods, else synthesised.
func (s *Server) answer(m *apiMethod, q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	if f := worldMethods[m.Name()]; f != nil {
		if !cachedWorldMethods[m.Name()] {
			return f(s, q, tok)
		}
		// A reading method's answer depends on the request, the caller and
		// the world's version: cache it like a synthesised one.
		key := s.methods.Key(m, "world", q).
			With(strconv.FormatInt(core.Caller(tok), 10)).
			With(strconv.FormatUint(s.world.Version(), 10))
		if b, ok := s.methods.Cached(key); ok {
			return b, nil
		}
		b, e := f(s, q, tok)
		if e == nil {
			s.methods.Keep(key, b)
		}
		return b, e
	}
	return s.methods.Synthesize(m, q), nil
}

// cachedWorldMethods are the world methods whose answer depends only on
// the request, the caller and the world (not on the clock, the token's
// scopes or the messages).
var cachedWorldMethods = map[string]bool{
	"users.get": true, "groups.getById": true, "wall.get": true, "photos.getAlbums": true, "utils.resolveScreenName": true,
}

// executeEnvelope is the body of an execute answer.
func executeEnvelope(resp []byte, errs vkerr.ExecuteErrors) []byte {
	b := make([]byte, 0, len(resp)+64)
	b = append(b, `{"response":`...)
	b = append(b, resp...)
	if len(errs) > 0 {
		ee, err := errs.MarshalWire()
		if err == nil {
			b = append(b, `,"execute_errors":`...)
			b = append(b, ee...)
		}
	}
	return append(b, '}')
}
