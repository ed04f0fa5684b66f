// Package schemac compiles the official VK API JSON schema (the directory
// of VKCOM/vk-api-schema) into the compact table vkmock serves from: every
// method with its token kinds, parameters and their constraints, the error
// codes it may return, and its response schemas as a graph of types with
// every $ref resolved to an index.
//
// The compiled form is plain JSON with short keys, written by Encode in a
// fixed order so that compiling the same schema twice gives the same bytes.
package schemac

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Schema is the compiled schema.
type Schema struct {
	Version string   `json:"version"`
	Global  []int    `json:"global"`  // codes any method may return
	Errors  []Error  `json:"errors"`  // every code of errors.json
	Methods []Method `json:"methods"` // in file and schema order
	Types   []Type   `json:"types"`   // the response type graph
}

// Error is one code of errors.json.
type Error struct {
	Code    int    `json:"c"`
	Name    string `json:"n"`
	Message string `json:"m"`
	Global  bool   `json:"g,omitempty"`
}

// Method is one API method.
type Method struct {
	Name string `json:"n"`
	// Tokens is access_token_type: "user", "group", "service", "open".
	Tokens    []string  `json:"t"`
	Params    []Param   `json:"p,omitempty"`
	Errors    []int     `json:"e,omitempty"` // non-global codes the method lists
	Responses []Variant `json:"r"`
	Timeout   int       `json:"to,omitempty"`
}

// Variant is one of a method's response schemas. When lists the request
// parameters that select it (extendedResponse is selected by extended=1).
type Variant struct {
	Name string   `json:"n"`
	When []string `json:"w,omitempty"`
	Type int      `json:"t"`
}

// Param is a method parameter and its constraints. Type is "integer",
// "number", "string", "boolean", "array" or, for parameters that take
// several types, the types joined by "|".
type Param struct {
	Name      string   `json:"n"`
	Type      string   `json:"t"`
	Format    string   `json:"f,omitempty"`
	Required  bool     `json:"r,omitempty"`
	Min       *float64 `json:"min,omitempty"`
	Max       *float64 `json:"max,omitempty"`
	MinLength *int     `json:"minl,omitempty"`
	MaxLength *int     `json:"maxl,omitempty"`
	MinItems  *int     `json:"mini,omitempty"`
	MaxItems  *int     `json:"maxi,omitempty"`
	Enum      []string `json:"enum,omitempty"` // as the strings a request carries
	Items     *Param   `json:"i,omitempty"`    // the element of an array
	// Parts are the fields of a "value_object" item such as "1_129207899"
	// (owner_id, photo_id), in order.
	Parts []Param `json:"parts,omitempty"`
}

// Type is a node of the response type graph. Kind is "object", "array",
// "string", "integer", "number", "boolean", "any", or several kinds joined
// by "|". References to other nodes are indexes into Schema.Types.
type Type struct {
	Kind     string            `json:"k"`
	Props    []Prop            `json:"p,omitempty"` // sorted by name
	Items    *int              `json:"i,omitempty"`
	AllOf    []int             `json:"all,omitempty"`
	OneOf    []int             `json:"one,omitempty"`
	Enum     []json.RawMessage `json:"enum,omitempty"`
	Min      *float64          `json:"min,omitempty"`
	Max      *float64          `json:"max,omitempty"`
	MinItems *int              `json:"mini,omitempty"`
	MaxItems *int              `json:"maxi,omitempty"`
	MaxProps *int              `json:"maxp,omitempty"`
	Format   string            `json:"f,omitempty"`
	Name     string            `json:"name,omitempty"` // definition name, for named nodes
}

// Prop is a property of an object node.
type Prop struct {
	Name     string `json:"n"`
	Type     int    `json:"t"`
	Required bool   `json:"r,omitempty"`
}

type doc = map[string]any

type compiler struct {
	dir   string
	files map[string]doc // by path relative to dir, slash-separated
	types []Type
	named map[string]int // "file#name" -> index
}

// Compile reads the schema directory dir and compiles it.
func Compile(dir string) (*Schema, error) {
	c := &compiler{dir: dir, files: map[string]doc{}, named: map[string]int{}}
	errDoc, err := c.load("errors.json")
	if err != nil {
		return nil, err
	}
	s := &Schema{}
	if v, ok := errDoc["version"].(string); ok {
		s.Version = v
	}
	codeByName := map[string]int{}
	global := map[int]bool{}
	errs, _ := errDoc["errors"].(doc)
	for name, v := range errs {
		e, _ := v.(doc)
		code, ok := e["code"].(float64)
		if !ok {
			return nil, fmt.Errorf("errors.json: %s has no code", name)
		}
		codeByName[name] = int(code)
		g, _ := e["global"].(bool)
		if g {
			global[int(code)] = true
		}
		msg, _ := e["description"].(string)
		s.Errors = append(s.Errors, Error{Code: int(code), Name: name, Message: msg, Global: g})
	}
	sort.Slice(s.Errors, func(i, j int) bool { return s.Errors[i].Code < s.Errors[j].Code })
	for code := range global {
		s.Global = append(s.Global, code)
	}
	slices.Sort(s.Global)

	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var sections []string
	for _, e := range entries {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(dir, e.Name(), "methods.json")); err == nil {
				sections = append(sections, e.Name())
			}
		}
	}
	sort.Strings(sections)
	if len(sections) == 0 {
		return nil, fmt.Errorf("schemac: no */methods.json under %s", dir)
	}
	for _, sec := range sections {
		file := sec + "/methods.json"
		d, err := c.load(file)
		if err != nil {
			return nil, err
		}
		if s.Version == "" {
			s.Version, _ = d["version"].(string)
		}
		list, _ := d["methods"].([]any)
		for _, mv := range list {
			md, _ := mv.(doc)
			m, err := c.method(file, md, codeByName, global)
			if err != nil {
				return nil, err
			}
			s.Methods = append(s.Methods, m)
		}
	}
	s.Types = c.types
	return s, nil
}

func (c *compiler) load(file string) (doc, error) {
	if d, ok := c.files[file]; ok {
		return d, nil
	}
	b, err := os.ReadFile(filepath.Join(c.dir, filepath.FromSlash(file)))
	if err != nil {
		return nil, err
	}
	var d doc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	c.files[file] = d
	return d, nil
}

// resolve turns a $ref seen in file into (file, definition name, node).
func (c *compiler) resolve(file, ref string) (string, string, doc, error) {
	target, frag, _ := strings.Cut(ref, "#")
	if target == "" {
		target = file
	} else {
		target = path.Clean(path.Join(path.Dir(file), target))
	}
	d, err := c.load(target)
	if err != nil {
		return "", "", nil, err
	}
	parts := strings.Split(strings.TrimPrefix(frag, "/"), "/")
	var node any = d
	for _, p := range parts {
		m, ok := node.(doc)
		if !ok {
			return "", "", nil, fmt.Errorf("%s: bad $ref %q", file, ref)
		}
		node, ok = m[p]
		if !ok {
			return "", "", nil, fmt.Errorf("%s: $ref %q not found", file, ref)
		}
	}
	m, ok := node.(doc)
	if !ok {
		return "", "", nil, fmt.Errorf("%s: $ref %q is not an object", file, ref)
	}
	return target, parts[len(parts)-1], m, nil
}

func (c *compiler) method(file string, md doc, codeByName map[string]int, global map[int]bool) (Method, error) {
	m := Method{}
	m.Name, _ = md["name"].(string)
	if m.Name == "" {
		return m, fmt.Errorf("%s: method without a name", file)
	}
	m.Tokens = []string{}
	for _, t := range asList(md["access_token_type"]) {
		if s, ok := t.(string); ok {
			m.Tokens = append(m.Tokens, s)
		}
	}
	if to, ok := md["timeout"].(float64); ok {
		m.Timeout = int(to)
	}
	for _, pv := range asList(md["parameters"]) {
		pd, _ := pv.(doc)
		p, err := c.param(file, pd)
		if err != nil {
			return m, fmt.Errorf("%s: %w", m.Name, err)
		}
		m.Params = append(m.Params, p)
	}
	seen := map[int]bool{}
	for _, ev := range asList(md["errors"]) {
		ed, _ := ev.(doc)
		ref, _ := ed["$ref"].(string)
		_, name, _ := strings.Cut(ref, "#/errors/")
		code, ok := codeByName[name]
		if !ok {
			return m, fmt.Errorf("%s: unknown error %q", m.Name, ref)
		}
		if !global[code] && !seen[code] {
			seen[code] = true
			m.Errors = append(m.Errors, code)
		}
	}
	slices.Sort(m.Errors)
	resp, _ := md["responses"].(doc)
	names := make([]string, 0, len(resp))
	for k := range resp {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		rd, _ := resp[name].(doc)
		ref, _ := rd["$ref"].(string)
		if ref == "" {
			return m, fmt.Errorf("%s: response %s without $ref", m.Name, name)
		}
		rfile, rname, node, err := c.resolve(file, ref)
		if err != nil {
			return m, err
		}
		// A response definition is {"type":"object","properties":{"response":X}}.
		props, _ := node["properties"].(doc)
		inner, ok := props["response"].(doc)
		if !ok {
			return m, fmt.Errorf("%s: response %s has no response property", m.Name, rname)
		}
		t, err := c.typ(rfile, inner)
		if err != nil {
			return m, fmt.Errorf("%s: %w", m.Name, err)
		}
		m.Responses = append(m.Responses, Variant{Name: name, When: variantParams(name, m.Params), Type: t})
	}
	// Variants that need more parameters come first, "response" last among
	// equals, so that the first variant whose parameters are all set wins.
	sort.SliceStable(m.Responses, func(i, j int) bool {
		a, b := m.Responses[i], m.Responses[j]
		if len(a.When) != len(b.When) {
			return len(a.When) > len(b.When)
		}
		return a.Name != "response" && b.Name == "response"
	})
	return m, nil
}

// variantParams finds the parameters a response variant's name refers to:
// "onlineMobileExtendedResponse" is selected by online_mobile and extended,
// "userIds_Extended_Response" by user_ids and extended. It returns nil when
// the name does not spell parameters of the method.
func variantParams(name string, params []Param) []string {
	stem := strings.ReplaceAll(strings.TrimSuffix(name, "Response"), "_", "")
	if stem == "" || stem == "response" {
		return nil
	}
	camel := map[string]string{}
	for _, p := range params {
		camel[strings.ToLower(strings.ReplaceAll(p.Name, "_", ""))] = p.Name
	}
	// Split stem at upper-case letters into words, then match runs of words.
	var words []string
	start := 0
	for i, r := range stem {
		if i > 0 && unicode.IsUpper(r) {
			words = append(words, strings.ToLower(stem[start:i]))
			start = i
		}
	}
	words = append(words, strings.ToLower(stem[start:]))
	var out []string
	for i := 0; i < len(words); {
		found := false
		for j := len(words); j > i; j-- {
			if p, ok := camel[strings.Join(words[i:j], "")]; ok {
				out = append(out, p)
				i, found = j, true
				break
			}
		}
		if !found {
			return nil
		}
	}
	return out
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

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

func numPtr(v any) *float64 {
	if f, ok := v.(float64); ok && !math.IsNaN(f) {
		return &f
	}
	return nil
}

func intPtr(v any) *int {
	if f, ok := v.(float64); ok {
		n := int(f)
		return &n
	}
	return nil
}

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

// param compiles a method parameter, filling what it lacks from its $ref.
func (c *compiler) param(file string, pd doc) (Param, error) {
	merged := doc{}
	if ref, ok := pd["$ref"].(string); ok {
		_, _, node, err := c.resolve(file, ref)
		if err != nil {
			return Param{}, err
		}
		for k, v := range node {
			merged[k] = v
		}
	}
	for k, v := range pd {
		if k != "$ref" {
			merged[k] = v
		}
	}
	p := Param{}
	p.Name, _ = merged["name"].(string)
	p.Type = typeString(merged["type"])
	p.Format, _ = merged["format"].(string)
	p.Required, _ = merged["required"].(bool)
	p.Min, p.Max = numPtr(merged["minimum"]), numPtr(merged["maximum"])
	p.MinLength, p.MaxLength = intPtr(merged["minLength"]), intPtr(merged["maxLength"])
	p.MinItems, p.MaxItems = intPtr(merged["minItems"]), intPtr(merged["maxItems"])
	for _, e := range asList(merged["enum"]) {
		if s, ok := enumString(e); ok {
			p.Enum = append(p.Enum, s)
		}
	}
	if it, ok := merged["items"].(doc); ok {
		item, err := c.param(file, it)
		if err != nil {
			return Param{}, err
		}
		item.Name = ""
		if props, ok := it["properties"].(doc); ok {
			names := make([]string, 0, len(props))
			for k := range props {
				names = append(names, k)
			}
			// The parts of "owner_id_photo_id" come in the order the
			// schema lists them; JSON objects lose it, so put ids first
			// by the fixed order below and the rest after.
			sort.SliceStable(names, func(i, j int) bool { return partRank(names[i]) < partRank(names[j]) })
			for _, n := range names {
				pp, _ := props[n].(doc)
				part, err := c.param(file, pp)
				if err != nil {
					return Param{}, err
				}
				part.Name = n
				item.Parts = append(item.Parts, part)
			}
		}
		p.Items = &item
	}
	return p, nil
}

func partRank(name string) int {
	switch name {
	case "owner_id":
		return 0
	case "hash", "access_key":
		return 2
	}
	return 1
}

// typ compiles a schema node into the type graph and returns its index.
func (c *compiler) typ(file string, node doc) (int, error) {
	if ref, ok := node["$ref"].(string); ok {
		rfile, name, target, err := c.resolve(file, ref)
		if err != nil {
			return 0, err
		}
		key := rfile + "#" + name
		if i, ok := c.named[key]; ok {
			return i, nil
		}
		i := len(c.types)
		c.types = append(c.types, Type{Name: name})
		c.named[key] = i
		t, err := c.build(rfile, target)
		if err != nil {
			return 0, err
		}
		t.Name = name
		c.types[i] = t
		return i, nil
	}
	i := len(c.types)
	c.types = append(c.types, Type{})
	t, err := c.build(file, node)
	if err != nil {
		return 0, err
	}
	c.types[i] = t
	return i, nil
}

func (c *compiler) build(file string, node doc) (Type, error) {
	t := Type{Kind: typeString(node["type"])}
	if props, ok := node["properties"].(doc); ok {
		names := make([]string, 0, len(props))
		for k := range props {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, n := range names {
			pd, _ := props[n].(doc)
			idx, err := c.typ(file, pd)
			if err != nil {
				return t, err
			}
			req, _ := pd["required"].(bool)
			t.Props = append(t.Props, Prop{Name: n, Type: idx, Required: req})
		}
		if t.Kind == "" {
			t.Kind = "object"
		}
	}
	if it, ok := node["items"].(doc); ok {
		idx, err := c.typ(file, it)
		if err != nil {
			return t, err
		}
		t.Items = &idx
		if t.Kind == "" {
			t.Kind = "array"
		}
	}
	for _, key := range []string{"allOf", "oneOf"} {
		for _, sv := range asList(node[key]) {
			sd, _ := sv.(doc)
			idx, err := c.typ(file, sd)
			if err != nil {
				return t, err
			}
			if key == "allOf" {
				t.AllOf = append(t.AllOf, idx)
			} else {
				t.OneOf = append(t.OneOf, idx)
			}
		}
	}
	if t.Kind == "" {
		switch {
		case len(t.AllOf) > 0:
			t.Kind = "object"
		case len(t.OneOf) > 0:
			t.Kind = "any"
		default:
			t.Kind = "any"
		}
	}
	for _, e := range asList(node["enum"]) {
		b, err := json.Marshal(e)
		if err != nil {
			return t, err
		}
		t.Enum = append(t.Enum, b)
	}
	t.Min, t.Max = numPtr(node["minimum"]), numPtr(node["maximum"])
	t.MinItems, t.MaxItems = intPtr(node["minItems"]), intPtr(node["maxItems"])
	t.MaxProps = intPtr(node["maxProperties"])
	t.Format, _ = node["format"].(string)
	return t, nil
}

// Encode writes the schema as JSON. The output depends only on the schema.
func Encode(s *Schema) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Gzip compresses b deterministically (no name, no time stamp).
func Gzip(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode reads a schema written by Encode, gzip-compressed or not.
func Decode(b []byte) (*Schema, error) {
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(zr); err != nil {
			return nil, err
		}
		b = buf.Bytes()
	}
	s := &Schema{}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, err
	}
	return s, s.Check()
}

// Check verifies that every index in the schema is in range.
func (s *Schema) Check() error {
	n := len(s.Types)
	ok := func(i int) bool { return i >= 0 && i < n }
	for _, m := range s.Methods {
		if m.Name == "" {
			return errors.New("schemac: method without a name")
		}
		for _, v := range m.Responses {
			if !ok(v.Type) {
				return fmt.Errorf("schemac: %s: response type %d out of range", m.Name, v.Type)
			}
		}
	}
	for i, t := range s.Types {
		for _, p := range t.Props {
			if !ok(p.Type) {
				return fmt.Errorf("schemac: type %d: property %s out of range", i, p.Name)
			}
		}
		if t.Items != nil && !ok(*t.Items) {
			return fmt.Errorf("schemac: type %d: items out of range", i)
		}
		for _, j := range append(slices.Clone(t.AllOf), t.OneOf...) {
			if !ok(j) {
				return fmt.Errorf("schemac: type %d: subschema out of range", i)
			}
		}
	}
	return nil
}
