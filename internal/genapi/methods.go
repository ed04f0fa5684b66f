package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vkerr/vkerr"
)

// The methods: for every folder with methods.json, a service type of
// package api with one method per schema method (and one more for the
// extended response), the params struct of each, the enums of its
// parameters, the responses of the folder's responses.json, and the
// iterators of the methods that page.

const rawField = "\t// Raw is the response exactly as VK sent it, for what the types miss.\n\tRaw json.RawMessage `json:\"-\"`\n"

// writeResponse writes the Go type of one definition of responses.json.
func (e *emitter) writeResponse(folder, def string, n *node) error {
	name := camel(def)
	x := n.Properties["response"]
	if x == nil {
		return fmt.Errorf("%s/responses.json %s: no response property", folder, def)
	}
	doc := fmt.Sprintf("%s is %s of the schema.", name, def)
	if d := oneLine(x.Description, 200); d != "" {
		doc += " " + d
	}
	embed := ""
	if x.Ref != "" {
		r, err := e.s.resolve(folder, x.Ref)
		if err != nil {
			return err
		}
		if e.s.kindOf(r) == kindStruct {
			embed = e.qual(camel(r.name))
		}
	}
	switch {
	case embed != "":
		if err := e.declare(name, def); err != nil {
			return err
		}
		e.printf(folder, "\n// %s\ntype %s struct {\n\t%s\n%s}\n", doc, name, embed, rawField)
	case x.Ref == "" && (len(x.Properties) > 0 || len(x.AllOf) > 0):
		if err := e.writeStruct(folder, name, doc, x, folder, rawField); err != nil {
			return err
		}
	default:
		if err := e.declare(name, def); err != nil {
			return err
		}
		t, err := e.fieldType(folder, x, name+"Value", folder)
		if err != nil {
			return fmt.Errorf("%s: %w", def, err)
		}
		e.printf(folder, "\n// %s\ntype %s struct {\n\tValue %s\n%s}\n", doc, name, t, rawField)
		e.printf(folder, "\n// MarshalJSON encodes the value alone, as VK sends it.\nfunc (r %s) MarshalJSON() ([]byte, error) { return json.Marshal(r.Value) }\n", name)
		e.printf(folder, "\n// UnmarshalJSON decodes the response tolerantly and keeps it in Raw.\nfunc (r *%s) UnmarshalJSON(b []byte) error { return decode(b, &r.Value, &r.Raw) }\n", name)
		return nil
	}
	e.printf(folder, "\n// UnmarshalJSON decodes the response tolerantly and keeps it in Raw.\nfunc (r *%s) UnmarshalJSON(b []byte) error {\n\ttype plain %s\n\treturn decode(b, (*plain)(r), &r.Raw)\n}\n", name, name)
	return nil
}

// schemaGaps are parameters the schema omits that VK's documentation
// gives: execute's code (dev.vk.com/method/execute: "code", string,
// required) and wall.get's owner_id (dev.vk.com/method/wall.get:
// "owner_id", integer; the wall to read, the caller's by default).
var schemaGaps = map[string][]*paramNode{
	"execute":  {{node: node{Type: "string", Required: true, Description: "VKScript code to run: at most 25 API calls, its return value is the response."}, Name: "code"}},
	"wall.get": {{node: node{Type: "integer", Description: "ID of the user or community (negative) whose wall to read; the caller's by default."}, Name: "owner_id"}},
}

// param is one field of a params struct.
type param struct {
	name, field, goType string
	set                 string // the statement that puts it in q
	sample              string // a value for the proof test
	required            bool
	desc                string
}

// paramField works out the Go type of a parameter and how it is sent.
// typeBase names the enums written for it.
func (e *emitter) paramField(folder string, p *paramNode, typeBase, key string) (param, error) {
	f := param{name: p.Name, required: p.required(), desc: oneLine(p.Description, 150)}
	set := func(cond, val string) { f.set = fmt.Sprintf("if %s {\n\tq[%q] = %s\n}", cond, p.Name, val) }
	scalar := func(n *node, named string) (goType, zero, conv, sample string, err error) {
		if n.Ref != "" {
			r, err := e.s.resolve(folder, n.Ref)
			if err != nil {
				return "", "", "", "", err
			}
			t := e.qual(camel(r.name))
			switch e.s.kindOf(r) {
			case kindEnumInt:
				return t, "0", "int64", fmt.Sprintf("%s(%v)", t, r.n.Enum[0]), nil
			case kindEnumString:
				return t, `""`, "string", fmt.Sprintf("%s(%q)", t, fmt.Sprint(r.n.Enum[0])), nil
			}
			return "string", `""`, "", `"{}"`, nil // an object: its JSON text
		}
		switch {
		case len(n.Enum) > 0 && (n.typeName() == "integer" || n.typeName() == "string"):
			base, zero, conv := "int64", "0", "int64"
			sample := fmt.Sprintf("%s(%v)", named, n.Enum[0])
			if n.typeName() == "string" {
				base, zero, conv = "string", `""`, "string"
				sample = fmt.Sprintf("%s(%q)", named, fmt.Sprint(n.Enum[0]))
			}
			if err := e.declare(named, "an enum of "+p.Name); err != nil {
				return "", "", "", "", err
			}
			e.printf(key, "\n// %s are the values of the %s parameter.\ntype %s %s\n", named, p.Name, named, base)
			e.enumConsts(key, named, n)
			return named, zero, conv, sample, nil
		case n.typeName() == "integer":
			sample := "1"
			if n.Minimum != nil && *n.Minimum > 1 {
				sample = fmt.Sprint(int64(*n.Minimum))
			}
			return "int64", "0", "", sample, nil
		case n.typeName() == "number":
			return "float64", "0", "", "1", nil
		case n.typeName() == "boolean":
			return "bool", "false", "", "true", nil
		}
		return "string", `""`, "", fmt.Sprintf("%q", strings.Repeat("1", max(n.MinLength, 1))), nil
	}
	if p.typeName() == "array" && p.Items != nil {
		et, _, conv, sample, err := scalar(p.Items, typeBase+"Item")
		if err != nil {
			return f, err
		}
		f.goType = "[]" + et
		f.sample = fmt.Sprintf("%s{%s}", f.goType, sample)
		join := "joinStrings"
		if conv == "int64" || et == "int64" {
			join = "joinInts"
		}
		if et == "bool" || et == "float64" {
			f.goType, f.sample, join = "[]string", `[]string{"1"}`, "joinStrings"
		}
		set(fmt.Sprintf("len(p.%s) > 0", "%s"), join+"(p.%s)")
		return f, nil
	}
	t, zero, conv, sample, err := scalar(&p.node, typeBase)
	if err != nil {
		return f, err
	}
	f.goType, f.sample = t, sample
	val := "p.%s"
	if conv != "" {
		val = conv + "(p.%s)"
	}
	switch {
	case f.required && t == "bool":
		f.set = fmt.Sprintf("q[%q] = 0\nif p.%%s {\n\tq[%q] = 1\n}", p.Name, p.Name)
		f.desc = strings.TrimSpace("Always sent, as 0 or 1. " + f.desc)
	case t == "bool":
		set("p.%s", "1")
	case f.required && zero == "0" && e.zeroValid(folder, p):
		// A required number whose zero is a valid value is always sent.
		f.set = fmt.Sprintf("q[%q] = %s", p.Name, val)
		f.desc = strings.TrimSpace("Always sent, 0 included. " + f.desc)
	default:
		set("p.%s != "+zero, val)
	}
	return f, nil
}

// zeroValid reports whether 0 is a valid value of a numeric parameter:
// its enum holds 0 (a minimum of 0 does not count: on an id it means
// "not negative", not that 0 names something).
func (e *emitter) zeroValid(folder string, p *paramNode) bool {
	n := &p.node
	if n.Ref != "" {
		r, err := e.s.resolve(folder, n.Ref)
		if err != nil {
			return false
		}
		n = r.n
	}
	for _, v := range n.Enum {
		if fmt.Sprint(v) == "0" {
			return true
		}
	}
	return false
}

// kindsDoc is the doc line of the token kinds that may call a method.
func kindsDoc(kinds []string) string {
	if len(kinds) == 0 {
		return "Token kinds: none listed (an open method)."
	}
	return "Token kinds: " + strings.Join(kinds, ", ") + "."
}

// errorCodes are the codes of the errors a method lists, in its order.
func (e *emitter) errorCodes(m *schemaMethod) ([]int, []string, error) {
	var codes []int
	var names []string
	for _, er := range m.Errors {
		_, name, ok := strings.Cut(er.Ref, "#/errors/")
		code, known := e.s.errors[name]
		if !ok || !known {
			return nil, nil, fmt.Errorf("%s: error $ref %q: no such error", m.Name, er.Ref)
		}
		codes = append(codes, code)
		names = append(names, name)
	}
	return codes, names, nil
}

// errorsDoc is the doc paragraph of a method's errors and their remedies.
func (e *emitter) errorsDoc(m *schemaMethod) (string, error) {
	codes, names, err := e.errorCodes(m)
	if err != nil || len(codes) == 0 {
		return "", err
	}
	var b strings.Builder
	b.WriteString("//\n// Errors the schema lists for it, besides the global ones, with the\n// catalogue's remedy (see Errors):\n")
	for i, code := range codes {
		info, ok := vkerr.LookupName(names[i])
		if !ok {
			info = vkerr.Code(code).Info()
		}
		fmt.Fprintf(&b, "//   - %d %s: %s\n", code, names[i], oneLine(firstSentence(info.RemedyEN), 160))
	}
	return b.String(), nil
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}

// testEntry is one line of the proof test's table.
type testEntry struct {
	method, variant, kind, call string
}

// writeMethods writes the service of one folder.
func (e *emitter) writeMethods(folder string, methods []*schemaMethod, tests *[]testEntry) (string, error) {
	ns, _, _ := strings.Cut(methods[0].Name, ".")
	svc := camel(ns) + "Service"
	if err := e.declare(svc, "namespace "+ns); err != nil {
		return "", err
	}
	key := folder
	e.printf(key, "\n// %s calls the %s.* methods. Get one from New; its zero value has no client.\ntype %s struct{ c *vkapi.Client }\n", svc, ns, svc)
	goMethods := map[string]string{}
	claim := func(name, what string) error {
		if prev, ok := goMethods[name]; ok {
			return fmt.Errorf("%s.%s of %s is taken by %s", svc, name, what, prev)
		}
		goMethods[name] = what
		return nil
	}
	for _, m := range methods {
		mns, local, _ := strings.Cut(m.Name, ".")
		if mns != ns {
			return "", fmt.Errorf("%s/methods.json: method %s outside namespace %s", folder, m.Name, ns)
		}
		gm, base := camel(local), camel(ns)+camel(local)
		if local == "" { // execute: the method is its own namespace
			gm, base = camel(ns), camel(ns)
		}
		if err := claim(gm, m.Name); err != nil {
			return "", err
		}
		for _, p := range schemaGaps[m.Name] {
			if !slices.ContainsFunc(m.Parameters, func(q *paramNode) bool { return q.Name == p.Name }) {
				m.Parameters = append(m.Parameters, p)
			}
		}
		pt := base + "Params"
		if err := e.declare(pt, "params of "+m.Name); err != nil {
			return "", err
		}
		var fields []param
		taken := map[string]bool{"Extra": true}
		for _, p := range m.Parameters {
			fname := claimName(taken, camel(p.Name), "Param")
			f, err := e.paramField(folder, p, base+fname, key)
			if err != nil {
				return "", fmt.Errorf("%s %s: %w", m.Name, p.Name, err)
			}
			f.field = fname
			f.set = strings.ReplaceAll(f.set, "%s", fname)
			fields = append(fields, f)
		}
		var req []string
		e.printf(key, "\n// %s are the parameters of %s. A zero field is not sent; Extra is sent as it is, after the fields (a key of Extra wins), for what they cannot say (a zero that matters, a parameter the schema lacks).\ntype %s struct {\n", pt, m.Name, pt)
		for _, f := range fields {
			d := f.desc
			if f.required {
				d = strings.TrimSpace("Required. " + d)
				req = append(req, fmt.Sprintf("%q", f.name))
			}
			if d != "" {
				e.printf(key, "\t// %s\n", d)
			}
			e.printf(key, "\t%s %s\n", f.field, f.goType)
		}
		e.printf(key, "\t// Extra holds parameters sent as they are.\n\tExtra vkapi.Params\n}\n")
		e.printf(key, "\nfunc (p *%s) params() (vkapi.Params, error) {\n\tq := make(vkapi.Params, %d+len(p.Extra))\n", pt, min(len(fields), 8))
		for _, f := range fields {
			e.printf(key, "%s\n", f.set)
		}
		e.printf(key, "\treturn finish(%s)\n}\n", strings.Join(append([]string{"q", "p.Extra", fmt.Sprintf("%q", m.Name)}, req...), ", "))

		errDoc, err := e.errorsDoc(m)
		if err != nil {
			return "", err
		}
		desc := oneLine(m.Description, 400)
		if desc == "" {
			desc = "(the schema gives no description)"
		}
		variants, err := e.variants(folder, m)
		if err != nil {
			return "", err
		}
		var sample []string
		for _, f := range fields {
			if f.required {
				sample = append(sample, fmt.Sprintf("%s: %s", f.field, f.sample))
			}
		}
		kind := "user"
		for _, k := range []string{"user", "group", "service"} {
			if slices.Contains(m.AccessTokenType, k) {
				kind = k
				break
			}
		}
		for _, v := range variants {
			name, helper := gm, "call"
			doc := fmt.Sprintf("// %s calls %s: %s\n//\n// %s\n%s", name, m.Name, desc, kindsDoc(m.AccessTokenType), errDoc)
			if v.extended {
				name, helper = gm+"Extended", "callExtended"
				if err := claim(name, m.Name+" extended"); err != nil {
					return "", err
				}
				doc = fmt.Sprintf("// %s calls %s with extended=1, for the extended response; see %s.\n", name, m.Name, gm)
			}
			e.printf(key, "\n%sfunc (s %s) %s(ctx context.Context, p %s) (*%s, error) {\n\tq, err := p.params()\n\treturn %s[%s](ctx, s.c, %q, q, err)\n}\n",
				doc, svc, name, pt, v.goType, helper, v.goType, m.Name)
			*tests = append(*tests, testEntry{m.Name, v.variant, kind,
				fmt.Sprintf("func(ctx context.Context, a *API) (any, error) { return a.%s.%s(ctx, %s{%s}) }", camel(ns), name, pt, strings.Join(sample, ", "))})
			if v.extended {
				continue
			}
			if err := e.writePager(key, svc, gm, pt, m, fields, v, claim); err != nil {
				return "", err
			}
		}
	}
	return svc, nil
}

// variant is a response of a method that gets a Go method.
type variant struct {
	variant  string // "response", "extendedResponse"...
	goType   string
	def      ref
	extended bool
}

// variants picks the responses of m that get a Go method: "response" (or,
// for the few methods without one, the first other), and
// "extendedResponse" when the method takes extended.
func (e *emitter) variants(folder string, m *schemaMethod) ([]variant, error) {
	keys := slices.Sorted(maps.Keys(m.Responses))
	main := "response"
	if m.Responses[main] == nil {
		main = keys[0]
	}
	var out []variant
	for _, k := range []string{main, "extendedResponse"} {
		n := m.Responses[k]
		if n == nil || (k == "extendedResponse" && k == main) {
			continue
		}
		if k == "extendedResponse" && !slices.ContainsFunc(m.Parameters, func(p *paramNode) bool { return p.Name == "extended" }) {
			continue
		}
		r, err := e.s.resolve(folder, n.Ref)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", m.Name, k, err)
		}
		out = append(out, variant{k, camel(r.name), r, k == "extendedResponse"})
	}
	return out, nil
}

// writePager writes the iterator of a method that pages: by offset and
// count when the response has items and count, by cursor (start_from,
// next_from) when it has items and next_from.
func (e *emitter) writePager(key, svc, gm, pt string, m *schemaMethod, fields []param, v variant, claim func(string, string) error) error {
	field := map[string]param{}
	for _, f := range fields {
		field[f.name] = f
	}
	x := v.def.n.Properties["response"]
	props := map[string]*node{}
	if err := e.s.props(v.def.folder, x, props); err != nil {
		return err
	}
	for k, p := range objectGaps[v.def.name] {
		if props[k] == nil {
			props[k] = p
		}
	}
	items := props["items"]
	if items == nil || items.typeName() != "array" || items.Items == nil {
		return nil
	}
	et, err := e.fieldType(v.def.folder, items.Items, v.goType+"Item", v.def.folder)
	if err != nil {
		return err
	}
	et = strings.TrimPrefix(et, "*")
	name := gm + "Iter"
	off, cnt := field["offset"], field["count"]
	switch {
	case off.goType == "int64" && cnt.goType == "int64" && props["count"] != nil:
		if err := claim(name, m.Name+" pages"); err != nil {
			return err
		}
		size := int64(100)
		for _, p := range m.Parameters {
			if p.Name == "count" && p.Maximum != nil && *p.Maximum >= 1 {
				size = int64(*p.Maximum)
			}
		}
		e.printf(key, "\n// %s iterates over the items of %s, page after page from p.Offset, in pages of p.Count (or %d, the most the method returns), as far as the count VK reports; o packs pages into execute requests. A page that fails ends the iteration with a *PageError.\nfunc (s %s) %s(ctx context.Context, p %s, o PageOptions) iter.Seq2[%s, error] {\n\tq, err := p.params()\n\treturn offsetPages(ctx, s.c, %q, q, err, p.Offset, p.Count, %d, o, func(r *%s) ([]%s, int64) { return r.Items, int64(r.Count) })\n}\n",
			name, m.Name, size, svc, name, pt, et, m.Name, size, v.goType, et)
	case field["start_from"].goType == "string" && props["next_from"] != nil:
		if err := claim(name, m.Name+" pages"); err != nil {
			return err
		}
		e.printf(key, "\n// %s iterates over the items of %s, page after page from p.StartFrom, following next_from until VK sends none. A page that fails ends the iteration with a *PageError.\nfunc (s %s) %s(ctx context.Context, p %s) iter.Seq2[%s, error] {\n\tq, err := p.params()\n\treturn cursorPages(ctx, s.c, %q, q, err, func(r *%s) ([]%s, string) { return r.Items, string(r.NextFrom) })\n}\n",
			name, m.Name, svc, name, pt, et, m.Name, v.goType, et)
	}
	return nil
}
