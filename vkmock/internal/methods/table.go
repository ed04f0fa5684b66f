package methods

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/genschema/schemac"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Table is a loaded schema: the methods, the global error codes and VK's
// error messages. It is immutable once loaded and safe for concurrent
// use; the zero value is not usable (Embedded or LoadDir make one).
type Table struct {
	version string
	methods map[string]*Method
	ordered []*Method
	global  map[vkerr.Code]bool
	known   map[vkerr.Code]string // code -> schema message
}

// Method is a method of the schema: the token kinds it takes, its
// parameters, the errors it lists and its response variants. It is
// immutable; the zero value is not usable (a Table holds them).
type Method struct {
	name     string
	section  string // the part before the dot: "wall", "messages"
	tokens   tokenMask
	params   []*paramSpec
	errors   map[vkerr.Code]bool // non-global codes the schema lists
	variants []Variant
}

// Variant is one response of a method ("response", "extendedResponse"):
// the parameters that select it and the schema of its value.
type Variant struct {
	name string
	when []string // parameters that must be set (extended=1) to select it
	typ  *rtype
}

// Name is the variant's name in the schema.
func (v *Variant) Name() string { return v.name }

// Embedded returns the table compiled into the package (schema_gen.go),
// loaded on the first call and shared afterwards.
var Embedded = sync.OnceValues(func() (*Table, error) {
	s, err := schemac.Decode(embeddedSchema)
	if err != nil {
		return nil, fmt.Errorf("vkmock: embedded schema: %w", err)
	}
	return build(s)
})

// LoadDir compiles the schema directory dir (a checkout of
// VKCOM/vk-api-schema).
func LoadDir(dir string) (*Table, error) {
	s, err := schemac.Compile(dir)
	if err != nil {
		return nil, fmt.Errorf("vkmock: schema %s: %w", dir, err)
	}
	return build(s)
}

// Version is the API version of the schema ("5.199").
func (t *Table) Version() string { return t.version }

// Method returns the method named name (case-sensitive, as VK), or nil.
func (t *Table) Method(name string) *Method { return t.methods[name] }

// Methods returns the methods in schema order. The slice is the table's:
// do not modify it.
func (t *Table) Methods() []*Method { return t.ordered }

// Global reports whether any method may answer error c.
func (t *Table) Global(c vkerr.Code) bool { return t.global[c] }

// GlobalCodes is the set of the global codes, for matchers that take a
// set. It is the table's: do not modify it.
func (t *Table) GlobalCodes() map[vkerr.Code]bool { return t.global }

// Messages gives VK's message of each error code, the schema's first.
func (t *Table) Messages() core.Messages { return core.Messages{Schema: t.known} }

// Name is the method's full name ("wall.get").
func (m *Method) Name() string { return m.name }

// Section is the part of the name before the dot ("wall").
func (m *Method) Section() string { return m.section }

// Open reports whether the method may be called without a token.
func (m *Method) Open() bool { return m.tokens&tmOpen != 0 }

// Accepts reports whether the method may be called with a token of kind k.
func (m *Method) Accepts(k vkerr.TokenKind) bool { return m.tokens&kindMask(k) != 0 }

// Lists reports whether the schema lists error c for the method (global
// codes aside).
func (m *Method) Lists(c vkerr.Code) bool { return m.errors[c] }

// ListedCodes is the set of codes the method lists, for matchers that take
// a set. It is the method's: do not modify it.
func (m *Method) ListedCodes() map[vkerr.Code]bool { return m.errors }

// Variants returns the method's response variants in schema order. The
// slice is the method's: do not modify it.
func (m *Method) Variants() []Variant { return m.variants }

// Select picks the variant a request asks for: the first whose selecting
// parameters are all set (extended=1 and the like), else "response",
// else the first.
func (m *Method) Select(q *core.Request) *Variant {
	var plain *Variant
	for i := range m.variants {
		v := &m.variants[i]
		if len(v.when) == 0 {
			if plain == nil || v.name == "response" {
				plain = v
			}
			continue
		}
		all := true
		for _, p := range v.when {
			val, ok := q.Get(p)
			if !ok || val == "" || val == "0" || val == "false" {
				all = false
				break
			}
		}
		if all {
			return v
		}
	}
	if plain == nil {
		plain = &m.variants[0]
	}
	return plain
}

// tokenMask is a set of token kinds a method accepts.
type tokenMask uint8

const (
	tmUser tokenMask = 1 << iota
	tmGroup
	tmService
	tmOpen
)

// kindMask is the bit of kind k in a method's set of accepted kinds.
func kindMask(k vkerr.TokenKind) tokenMask {
	switch k {
	case vkerr.KindUser:
		return tmUser
	case vkerr.KindGroup:
		return tmGroup
	case vkerr.KindService:
		return tmService
	}
	return 0
}

// kinds is a set of JSON types.
type kinds uint8

const (
	kObject kinds = 1 << iota
	kArray
	kString
	kInteger
	kNumber
	kBoolean
	kAny = kObject | kArray | kString | kInteger | kNumber | kBoolean
)

func parseKinds(s string) kinds {
	var k kinds
	for part := range strings.SplitSeq(s, "|") {
		switch part {
		case "object":
			k |= kObject
		case "array":
			k |= kArray
		case "string":
			k |= kString
		case "integer":
			k |= kInteger
		case "number":
			k |= kNumber
		case "boolean":
			k |= kBoolean
		}
	}
	if k == 0 {
		k = kAny
	}
	return k
}

// rtype is a node of the response type graph, ready for synthesis.
type rtype struct {
	kinds    kinds
	name     string
	props    []rprop // own properties and those of allOf members, by name
	hasProps bool
	items    *rtype
	oneOf    []*rtype
	enum     []json.RawMessage
	min, max float64
	hasMin   bool
	hasMax   bool
	minItems int
	maxItems int // -1: no limit
	maxProps int // -1: no limit
	uri      bool
	raw      schemac.Type
}

type rprop struct {
	name     string
	typ      *rtype
	required bool
}

func build(s *schemac.Schema) (*Table, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	t := &Table{
		version: s.Version,
		methods: make(map[string]*Method, len(s.Methods)),
		global:  map[vkerr.Code]bool{},
		known:   map[vkerr.Code]string{},
	}
	for _, c := range s.Global {
		t.global[vkerr.Code(c)] = true
	}
	for _, e := range s.Errors {
		t.known[vkerr.Code(e.Code)] = e.Message
	}
	types := buildTypes(s.Types)
	for _, sm := range s.Methods {
		m := &Method{name: sm.Name, errors: map[vkerr.Code]bool{}}
		m.section, _, _ = strings.Cut(sm.Name, ".")
		for _, tk := range sm.Tokens {
			switch tk {
			case "user":
				m.tokens |= tmUser
			case "group":
				m.tokens |= tmGroup
			case "service":
				m.tokens |= tmService
			case "open":
				m.tokens |= tmOpen
			}
		}
		if m.tokens == 0 {
			// The schema leaves access_token_type empty for bugtracker.*;
			// those methods are called with user tokens.
			m.tokens = tmUser
		}
		for i := range sm.Params {
			m.params = append(m.params, buildParam(&sm.Params[i]))
		}
		for _, c := range sm.Errors {
			m.errors[vkerr.Code(c)] = true
		}
		for _, v := range sm.Responses {
			m.variants = append(m.variants, Variant{name: v.Name, when: v.When, typ: &types[v.Type]})
		}
		if len(m.variants) == 0 {
			return nil, fmt.Errorf("vkmock: method %s has no response", sm.Name)
		}
		if _, dup := t.methods[m.name]; dup {
			return nil, fmt.Errorf("vkmock: method %s listed twice", m.name)
		}
		t.methods[m.name] = m
		t.ordered = append(t.ordered, m)
	}
	return t, nil
}

// buildTypes makes the response type graph, allOf flattened into the
// property lists.
func buildTypes(sts []schemac.Type) []rtype {
	types := make([]rtype, len(sts))
	for i, st := range sts {
		rt := &types[i]
		rt.raw = st
		rt.kinds = parseKinds(st.Kind)
		rt.name = st.Name
		if st.Items != nil {
			rt.items = &types[*st.Items]
		}
		for _, j := range st.OneOf {
			rt.oneOf = append(rt.oneOf, &types[j])
		}
		rt.enum = st.Enum
		if st.Min != nil {
			rt.hasMin, rt.min = true, *st.Min
		}
		if st.Max != nil {
			rt.hasMax, rt.max = true, *st.Max
		}
		if st.MinItems != nil {
			rt.minItems = *st.MinItems
		}
		rt.maxItems = -1
		if st.MaxItems != nil {
			rt.maxItems = *st.MaxItems
		}
		rt.maxProps = -1
		if st.MaxProps != nil {
			rt.maxProps = *st.MaxProps
		}
		rt.uri = st.Format == "uri"
	}
	for i := range types {
		props := map[string]rprop{}
		collectProps(types, i, props, 0)
		if len(props) > 0 || types[i].kinds == kObject {
			types[i].hasProps = len(props) > 0
			names := make([]string, 0, len(props))
			for n := range props {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				types[i].props = append(types[i].props, props[n])
			}
		}
	}
	return types
}

func collectProps(types []rtype, i int, out map[string]rprop, depth int) {
	if depth > 16 {
		return
	}
	st := types[i].raw
	for _, p := range st.Props {
		if old, ok := out[p.Name]; ok {
			old.required = old.required || p.Required
			out[p.Name] = old
			continue
		}
		out[p.Name] = rprop{name: p.Name, typ: &types[p.Type], required: p.Required}
	}
	for _, j := range st.AllOf {
		collectProps(types, j, out, depth+1)
	}
}
