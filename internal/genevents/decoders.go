package main

import (
	"fmt"
	"strings"
)

// The single-pass decoders of the generated structs: a decodeFrom method
// per struct, on vkevent's reader (vkevent/reader.go, on internal/jsonread), with one case per
// member that reads its value straight into the field.

// structDecl is a struct written and its fields, for its decoder.
type structDecl struct {
	name   string
	fields []fieldDecl
}

type fieldDecl struct{ key, goName, goType string }

// hooks are the structs whose decoder calls a hand-written hook (vkevent's
// message.go): its seen for every member name, its field for the values of
// members the struct lacks, and its done at the end with the object's
// bytes. They read the legacy message_new shape.
var hooks = map[string]string{
	"Message":       "messageHook",
	"MessageObject": "messageObjectHook",
}

// readExpr is the Go expression that reads one JSON value of Go type t
// from the reader r.
func (g *gen) readExpr(t string) (string, error) {
	switch t {
	case "int64":
		return "r.int64()", nil
	case "float64":
		return "r.float64()", nil
	case "string":
		return "r.str()", nil
	case "bool":
		return "r.bool()", nil
	case "json.RawMessage":
		return "r.raw()", nil
	}
	if elem, ok := strings.CutPrefix(t, "[]"); ok {
		return g.sliceExpr(t, elem)
	}
	if elem, ok := strings.CutPrefix(t, "*"); ok {
		return "readPtr[" + elem + "](r)", nil
	}
	kind := g.kinds[t]
	for strings.HasPrefix(kind, "alias:") {
		kind = g.kinds[strings.TrimPrefix(kind, "alias:")]
	}
	switch {
	case kind == "struct":
		return "readStruct[" + t + "](r)", nil
	case strings.HasPrefix(kind, "enum:"):
		base, err := g.readExpr(strings.TrimPrefix(kind, "enum:"))
		if base == "r.int64()" {
			base = "r.int()"
		}
		return t + "(" + base + ")", err
	case strings.HasPrefix(kind, "array:"):
		return g.sliceExpr(t, strings.TrimPrefix(kind, "array:"))
	}
	return "", fmt.Errorf("no decoder for Go type %q", t)
}

// sliceExpr reads an array into the slice type t of elem.
func (g *gen) sliceExpr(t, elem string) (string, error) {
	e, err := g.readExpr(elem)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("readSlice[%s](r, func(r *reader) %s { return %s })", t, elem, e), nil
}

// writeDecoder writes the single-pass decoder of a struct: each member
// read straight into its field, unknown members skipped (validated).
func (g *gen) writeDecoder(s structDecl) error {
	hook := hooks[s.name]
	g.printf("\nfunc (o *%s) decodeFrom(r *reader) {\n", s.name)
	if hook != "" {
		g.printf("\tvar h %s\n\tstart := r.Pos()\n", hook)
	}
	g.printf("\tfor first := true; r.NextKey(&first); {\n")
	if hook != "" {
		g.printf("\t\th.seen(r.Key())\n")
	}
	g.printf("\t\tswitch string(r.Key()) {\n")
	for _, f := range s.fields {
		e, err := g.readExpr(f.goType)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", s.name, f.key, err)
		}
		g.printf("\t\tcase %q:\n\t\t\to.%s = %s\n", f.key, f.goName, e)
	}
	if hook != "" {
		g.printf("\t\tdefault:\n\t\t\th.field(r)\n\t\t}\n\t}\n\th.done(o, r.Since(start))\n}\n")
	} else {
		g.printf("\t\tdefault:\n\t\t\tr.skip()\n\t\t}\n\t}\n}\n")
	}
	return nil
}
