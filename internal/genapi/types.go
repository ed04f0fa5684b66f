package main

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The objects: every definition of */objects.json becomes a Go type of
// package vkobject, named after the definition. Structs hold flexible
// scalars (vkobject.Int, Float, Bool), lists (vkobject.List) and pointers
// to other structs; inline objects become types of their own, named after
// their parent and field.
//
// A definition built with allOf gets the fields of its bases written into
// it (one merge, schema.props), not the bases embedded: bases that share a
// property (newsfeed_item_wallpost's date and type, account_user_settings'
// first_name) would be ambiguous at one depth, which encoding/json
// resolves by dropping the field; a flat struct also keeps composite
// literals one level deep and every field on the type's own doc page.

const objPkg = "vkobject"

// defKind is what Go type a definition becomes.
type defKind int

const (
	kindStruct defKind = iota // a struct: fields take a pointer to it
	kindEnumInt
	kindEnumString
	kindAlias // an alias of a scalar, a list or raw JSON
)

// emitter writes declarations into one package's files.
type emitter struct {
	s     *schema
	pkg   string                   // "vkobject" or "api"
	bufs  map[string]*bytes.Buffer // file key -> declarations
	names map[string]string        // Go name -> what declared it, to catch collisions
}

func (e *emitter) buf(key string) *bytes.Buffer {
	if e.bufs[key] == nil {
		e.bufs[key] = new(bytes.Buffer)
	}
	return e.bufs[key]
}

func (e *emitter) declare(name, what string) error {
	if prev, ok := e.names[name]; ok {
		return fmt.Errorf("the Go name %s of %s is taken by %s", name, what, prev)
	}
	e.names[name] = what
	return nil
}

// qual qualifies a vkobject name for use from the emitter's package.
func (e *emitter) qual(name string) string {
	if e.pkg == objPkg {
		return name
	}
	return objPkg + "." + name
}

// kindOf tells what the definition r becomes.
func (s *schema) kindOf(r ref) defKind {
	n := r.n
	switch {
	case len(n.Enum) > 0 && n.typeName() == "integer":
		return kindEnumInt
	case len(n.Enum) > 0 && n.typeName() == "string":
		return kindEnumString
	case len(n.OneOf) > 0 || len(n.AnyOf) > 0:
		return kindAlias
	case len(n.Properties) > 0 || len(n.AllOf) > 0 || n.typeName() == "object":
		if n.typeName() == "object" && len(n.Properties) == 0 && len(n.AllOf) == 0 {
			return kindAlias // an object of no known shape: raw JSON
		}
		return kindStruct
	case n.Ref != "":
		t, err := s.resolve(r.folder, n.Ref)
		if err != nil {
			return kindAlias
		}
		return s.kindOf(t)
	}
	return kindAlias
}

// scalar is the flexible Go type of a JSON schema scalar type.
func (e *emitter) scalar(t string) (string, bool) {
	switch t {
	case "integer":
		return e.qual("Int"), true
	case "number":
		return e.qual("Float"), true
	case "boolean":
		return e.qual("Bool"), true
	case "string":
		return e.qual("String"), true
	}
	return "", false
}

// fieldType is the Go type of a property of a response or object. owner
// names inline objects; key is the file their declarations go to.
func (e *emitter) fieldType(from string, n *node, owner, key string) (string, error) {
	switch {
	case n.Ref != "":
		r, err := e.s.resolve(from, n.Ref)
		if err != nil {
			return "", err
		}
		name := e.qual(camel(r.name))
		if e.s.kindOf(r) == kindStruct {
			return "*" + name, nil
		}
		return name, nil
	case len(n.OneOf) > 0 || len(n.AnyOf) > 0:
		return "json.RawMessage", nil
	case len(n.AllOf) > 0 || len(n.Properties) > 0:
		if err := e.writeStruct(from, owner, "", n, key); err != nil {
			return "", err
		}
		return "*" + owner, nil
	}
	if t, ok := e.scalar(n.typeName()); ok {
		return t, nil
	}
	if n.typeName() == "array" && n.Items != nil {
		et, err := e.fieldType(from, n.Items, owner+"Item", key)
		if err != nil {
			return "", err
		}
		return e.qual("List") + "[" + strings.TrimPrefix(et, "*") + "]", nil
	}
	return "json.RawMessage", nil
}

func (e *emitter) printf(key, format string, args ...any) {
	fmt.Fprintf(e.buf(key), format, args...)
}

// objectGaps are properties VK sends that the schema's objects and
// responses lack, by definition:
//   - groups_long_poll_events (the events of groups.getLongPollSettings
//     and groups.getCallbackSettings) has no flag for the events its own
//     groups.setLongPollSettings turns on (message_event, like_add,
//     like_remove), nor for app_payload and vkpay_transaction, events VK
//     sends (dev.vk.com/api/community-events/json-schema; internal/genevents
//     lists them as extraEvents), nor for messages_edit, which the schema's
//     own callback/objects.json callback_type lists;
//   - newsfeed_generic_response (newsfeed.get) has no next_from, the cursor
//     of the next page (dev.vk.com/method/newsfeed.get).
var objectGaps = map[string]map[string]*node{
	"groups_long_poll_events": {
		"app_payload": gapFlag, "like_add": gapFlag, "like_remove": gapFlag,
		"message_event": gapFlag, "messages_edit": gapFlag, "vkpay_transaction": gapFlag,
	},
	"newsfeed_generic_response": {
		"next_from": {Type: "string", Description: "Cursor of the next page, for start_from. Not in the schema; VK sends it (see internal/genapi objectGaps)."},
	},
}

var gapFlag = &node{Ref: "../base/objects.json#/definitions/base_bool_int", Description: "Not in the schema; VK sends it (see internal/genapi objectGaps)."}

// claimName takes name in taken, adding suffix until it is free there:
// two schema names may give one Go name (user_id and userId).
func claimName(taken map[string]bool, name, suffix string) string {
	for taken[name] {
		name += suffix
	}
	taken[name] = true
	return name
}

// writeStruct writes a struct of the merged properties of n. raw adds a
// Raw field and the tolerant UnmarshalJSON of a response.
func (e *emitter) writeStruct(from, name, doc string, n *node, key string, extra ...string) error {
	if err := e.declare(name, "an object of "+from); err != nil {
		return err
	}
	props := map[string]*node{}
	if err := e.s.props(from, n, props); err != nil {
		return err
	}
	for def, gaps := range objectGaps {
		for k, p := range gaps {
			if camel(def) == name && props[k] == nil {
				props[k] = p
			}
		}
	}
	var fields strings.Builder
	taken := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(props)) {
		p := props[k]
		fname := claimName(taken, camel(k), "Alt")
		t, err := e.fieldType(from, p, name+fname, key)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", name, k, err)
		}
		if d := oneLine(p.Description, 150); d != "" {
			fmt.Fprintf(&fields, "\t// %s\n", d)
		}
		tag := k
		if strings.HasPrefix(t, "*") || t == "json.RawMessage" {
			tag += ",omitempty"
		}
		fmt.Fprintf(&fields, "\t%s %s `json:%q`\n", fname, t, tag)
	}
	for _, x := range extra {
		fields.WriteString(x)
	}
	if doc == "" {
		doc = fmt.Sprintf("%s is an inline object of the schema.", name)
	}
	e.printf(key, "\n// %s\ntype %s struct {\n%s}\n", doc, name, fields.String())
	return nil
}

// enumConsts writes the constants of an enum type.
func (e *emitter) enumConsts(key, name string, n *node) {
	e.printf(key, "\n// The values of %s.\nconst (\n", name)
	taken := map[string]bool{}
	for i, v := range n.Enum {
		label := fmt.Sprint(v)
		if i < len(n.EnumNames) && n.EnumNames[i] != "" {
			label = n.EnumNames[i]
		}
		if strings.HasPrefix(label, "-") {
			label = "minus " + label[1:]
		}
		c := claimName(taken, name+camel(label), "V"+camel(fmt.Sprint(v)))
		lit := fmt.Sprint(v)
		if n.typeName() == "string" {
			lit = fmt.Sprintf("%q", fmt.Sprint(v))
		}
		e.printf(key, "\t%s %s = %s\n", c, name, lit)
	}
	e.printf(key, ")\n")
}

// writeObject writes the Go type of one definition of folder/objects.json.
func (e *emitter) writeObject(folder, def string, n *node) error {
	name := camel(def)
	doc := fmt.Sprintf("%s is %s of the schema.", name, def)
	if d := oneLine(n.Description, 200); d != "" {
		doc += " " + d
	}
	r := ref{folder, "objects", def, n}
	switch e.s.kindOf(r) {
	case kindEnumInt:
		if err := e.declare(name, def); err != nil {
			return err
		}
		e.printf(folder, "\n// %s\ntype %s int64\n", doc, name)
		e.printf(folder, "\n// UnmarshalJSON decodes the value tolerantly, as Int does.\nfunc (v *%s) UnmarshalJSON(b []byte) error { return (*Int)(v).UnmarshalJSON(b) }\n", name)
		e.enumConsts(folder, name, n)
		return nil
	case kindEnumString:
		if err := e.declare(name, def); err != nil {
			return err
		}
		e.printf(folder, "\n// %s\ntype %s string\n", doc, name)
		e.enumConsts(folder, name, n)
		return nil
	case kindStruct:
		if n.Ref != "" && len(n.Properties) == 0 && len(n.AllOf) == 0 {
			break // an alias of another struct
		}
		return e.writeStruct(folder, name, doc, n, folder)
	}
	if err := e.declare(name, def); err != nil {
		return err
	}
	var t string
	var err error
	if n.Ref != "" {
		t, err = e.fieldType(folder, &node{Ref: n.Ref}, name, folder)
		t = strings.TrimPrefix(t, "*")
	} else {
		t, err = e.fieldType(folder, n, name, folder)
	}
	if err != nil {
		return err
	}
	e.printf(folder, "\n// %s\ntype %s = %s\n", doc, name, t)
	return nil
}
