package vkmock

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/genschema/schemac"
)

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

// tokenMask is a set of token kinds a method accepts.
type tokenMask uint8

const (
	tmUser tokenMask = 1 << iota
	tmGroup
	tmService
	tmOpen
)

// apiMethod is a method of the schema, with its validators.
type apiMethod struct {
	name     string
	tokens   tokenMask
	params   []*paramSpec
	errors   map[vkerr.Code]bool // non-global codes the schema lists
	variants []variant
	section  string
	timeout  int
}

type variant struct {
	name string
	when []string
	typ  *rtype
}

// paramSpec validates one parameter.
type paramSpec struct {
	name     string
	kinds    kinds
	required bool
	hasMin   bool
	hasMax   bool
	min, max float64
	minLen   int // -1: none
	maxLen   int
	minItems int
	maxItems int
	enum     map[string]bool // lower case
	item     *paramSpec
	parts    []*paramSpec
}

// schemaTable is the loaded schema: immutable once built.
type schemaTable struct {
	version string
	methods map[string]*apiMethod
	ordered []*apiMethod
	global  map[vkerr.Code]bool
	known   map[vkerr.Code]string // code -> schema message
}

func loadEmbedded() (*schemaTable, error) {
	s, err := schemac.Decode(embeddedSchema)
	if err != nil {
		return nil, fmt.Errorf("vkmock: embedded schema: %w", err)
	}
	return buildTable(s)
}

func loadSchemaDir(dir string) (*schemaTable, error) {
	s, err := schemac.Compile(dir)
	if err != nil {
		return nil, fmt.Errorf("vkmock: schema %s: %w", dir, err)
	}
	return buildTable(s)
}

func buildTable(s *schemac.Schema) (*schemaTable, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	t := &schemaTable{
		version: s.Version,
		methods: make(map[string]*apiMethod, len(s.Methods)),
		global:  map[vkerr.Code]bool{},
		known:   map[vkerr.Code]string{},
	}
	for _, c := range s.Global {
		t.global[vkerr.Code(c)] = true
	}
	for _, e := range s.Errors {
		t.known[vkerr.Code(e.Code)] = e.Message
	}
	types := make([]rtype, len(s.Types))
	for i, st := range s.Types {
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
	// Flatten allOf into the property lists.
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
	for _, sm := range s.Methods {
		m := &apiMethod{name: sm.Name, errors: map[vkerr.Code]bool{}, timeout: sm.Timeout}
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
			m.variants = append(m.variants, variant{name: v.Name, when: v.When, typ: &types[v.Type]})
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

func buildParam(p *schemac.Param) *paramSpec {
	ps := &paramSpec{name: p.Name, kinds: parseKinds(p.Type), required: p.Required, minLen: -1, maxLen: -1, minItems: -1, maxItems: -1}
	if p.Min != nil {
		ps.hasMin, ps.min = true, *p.Min
	}
	if p.Max != nil {
		ps.hasMax, ps.max = true, *p.Max
	}
	if p.MinLength != nil {
		ps.minLen = *p.MinLength
	}
	if p.MaxLength != nil {
		ps.maxLen = *p.MaxLength
	}
	if p.MinItems != nil {
		ps.minItems = *p.MinItems
	}
	if p.MaxItems != nil {
		ps.maxItems = *p.MaxItems
	}
	if len(p.Enum) > 0 {
		ps.enum = make(map[string]bool, len(p.Enum))
		for _, e := range p.Enum {
			ps.enum[strings.ToLower(e)] = true
		}
	}
	if p.Items != nil {
		ps.item = buildParam(p.Items)
		ps.item.name = p.Name
	}
	for i := range p.Parts {
		ps.parts = append(ps.parts, buildParam(&p.Parts[i]))
	}
	return ps
}

// paramError is the detail of error 100.
type paramError string

func fmtNum(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e18 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// check validates a non-empty value of the parameter; it returns "" when
// the value is valid, else the detail of error 100 naming the parameter.
func (ps *paramSpec) check(v string) paramError {
	if ps.kinds&kArray != 0 {
		return ps.checkArray(v)
	}
	return ps.checkScalar(ps.name, v)
}

func (ps *paramSpec) checkArray(v string) paramError {
	n := 0
	rest := v
	for {
		item, tail, more := strings.Cut(rest, ",")
		n++
		if ps.maxItems >= 0 && n > ps.maxItems {
			return paramError(ps.name + " has too many items, max " + strconv.Itoa(ps.maxItems))
		}
		item = strings.TrimSpace(item)
		if ps.item != nil {
			if item == "" {
				if ps.item.kinds&(kInteger|kNumber) != 0 && ps.item.kinds&kString == 0 {
					return paramError(ps.name + " is invalid")
				}
			} else if e := ps.item.checkScalar(ps.name, item); e != "" {
				return e
			}
		}
		if !more {
			break
		}
		rest = tail
	}
	if ps.minItems > 0 && n < ps.minItems {
		return paramError(ps.name + " has too few items, min " + strconv.Itoa(ps.minItems))
	}
	return ""
}

func (ps *paramSpec) checkScalar(name, v string) paramError {
	k := ps.kinds
	switch {
	case len(ps.parts) > 0:
		return ps.checkParts(name, v)
	case k&kString != 0 || k&(kObject|kArray) != 0:
		// Strings (and values that may be strings) are checked for enum
		// and length only.
		if k&kInteger != 0 && k&kString != 0 {
			return ""
		}
		if ps.enum != nil && !ps.inEnum(v) {
			return paramError(name + " is invalid")
		}
		if ps.maxLen >= 0 || ps.minLen >= 0 {
			n := 0
			for range v {
				n++
			}
			if ps.maxLen >= 0 && n > ps.maxLen {
				return paramError(name + " is too long, max " + strconv.Itoa(ps.maxLen) + " characters")
			}
			if ps.minLen >= 0 && n < ps.minLen {
				return paramError(name + " is too short, min " + strconv.Itoa(ps.minLen) + " characters")
			}
		}
		return ""
	case k&kInteger != 0:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return paramError(name + " not integer")
		}
		return ps.checkRange(name, float64(n), v)
	case k&kNumber != 0:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return paramError(name + " not number")
		}
		return ps.checkRange(name, f, v)
	case k&kBoolean != 0:
		switch v {
		case "0", "1", "true", "false":
			return ""
		}
		return paramError(name + " is invalid")
	}
	return ""
}

func (ps *paramSpec) checkRange(name string, f float64, v string) paramError {
	if ps.hasMin && f < ps.min {
		return paramError(name + " should be greater or equal to " + fmtNum(ps.min))
	}
	if ps.hasMax && f > ps.max {
		return paramError(name + " should be less or equal to " + fmtNum(ps.max))
	}
	if ps.enum != nil && !ps.inEnum(v) {
		return paramError(name + " is invalid")
	}
	return ""
}

func (ps *paramSpec) inEnum(v string) bool {
	if ps.enum[v] {
		return true
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c >= 'A' && c <= 'Z' {
			return ps.enum[strings.ToLower(v)]
		}
	}
	return false
}

// checkParts validates a "value_object" such as "1_129207899" or
// "-1_2_accesskey": the parts are separated by underscores, and a part
// that is required must be present and of its type.
func (ps *paramSpec) checkParts(name, v string) paramError {
	rest := v
	for i, part := range ps.parts {
		var cur string
		if i == len(ps.parts)-1 {
			cur, rest = rest, ""
		} else {
			var ok bool
			cur, rest, ok = strings.Cut(rest, "_")
			if !ok {
				rest = ""
			}
		}
		if cur == "" {
			if part.required {
				return paramError(name + " is invalid")
			}
			continue
		}
		if part.kinds&kInteger != 0 && part.kinds&kString == 0 {
			n, err := strconv.ParseInt(cur, 10, 64)
			if err != nil {
				return paramError(name + " is invalid")
			}
			if part.hasMin && float64(n) < part.min {
				return paramError(name + " is invalid")
			}
		}
	}
	return ""
}
