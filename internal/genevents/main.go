// Command genevents writes the vkevent event model (vkevent/objects_gen.go)
// from the official VK API schema: every definition of callback/objects.json
// becomes a Go type; the objects those definitions name from other files of
// the schema (a wall post, a photo, a comment...) become structs whose scalar
// fields are typed and whose nested objects stay raw JSON; every event type
// gets a constant, and every event type with an object a typed accessor on
// Event and a method of Router. Every struct gets a single-pass decoder
// (decodeFrom, on vkevent's reader): one case per member, its value read
// straight into the field.
//
// Usage (from the repository root; vkevent's go:generate line runs it):
//
//	go run ./internal/genevents -schema ../shared/vk-api-schema -out vkevent/objects_gen.go
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io/fs"
	"log"
	"maps"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/vkerr/vkerr/internal/schemasource"
)

func main() {
	schemaDir := flag.String("schema", "../shared/vk-api-schema", "directory of the VK API schema (holds callback/objects.json and SOURCE.md)")
	out := flag.String("out", "vkevent/objects_gen.go", "output Go file")
	flag.Parse()
	src, err := generate(os.DirFS(*schemaDir))
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// node is the part of a JSON schema node the generator reads.
type node struct {
	Type        any              `json:"type"` // a string, or a list of them
	Ref         string           `json:"$ref"`
	Properties  map[string]*node `json:"properties"`
	AllOf       []*node          `json:"allOf"`
	Items       *node            `json:"items"`
	Enum        []any            `json:"enum"`
	EnumNames   []string         `json:"enumNames"`
	Description string           `json:"description"`
	Required    any              `json:"required"` // true on a property (a list on some objects)
}

func (n *node) typeName() string {
	s, _ := n.Type.(string)
	return s
}

type schemaFile struct {
	Version     string           `json:"version"`
	Definitions map[string]*node `json:"definitions"`
}

// eventObjects maps the event types of callback_type whose object
// definition is not named callback_<type> to the definition of their
// object; "" means the schema defines no object (the event keeps a raw one).
var eventObjects = map[string]string{
	"confirmation":              "", // the envelope is all there is
	"lead_forms_new":            "",
	"market_order_new":          "",
	"market_order_edit":         "",
	"messages_edit":             "",
	"wall_schedule_post_new":    "",
	"wall_schedule_post_delete": "",
	"message_reply":             "callback_message",
	"message_edit":              "callback_message",
	"market_comment_new":        "callback_market_comment",
	"market_comment_edit":       "callback_market_comment",
	"market_comment_restore":    "callback_market_comment",
	"photo_comment_new":         "callback_photo_comment",
	"photo_comment_edit":        "callback_photo_comment",
	"photo_comment_restore":     "callback_photo_comment",
	"video_comment_new":         "callback_video_comment",
	"video_comment_edit":        "callback_video_comment",
	"video_comment_restore":     "callback_video_comment",
	"wall_reply_delete":         "callback_wall_comment_delete",
}

// extraEvents are event types VK sends that callback_type's enum omits,
// with the definition of their object.
var extraEvents = map[string]string{
	"message_event":                    "callback_message_event",
	"like_add":                         "callback_like_add_remove",
	"like_remove":                      "callback_like_add_remove",
	"app_payload":                      "callback_app_payload",
	"vkpay_transaction":                "callback_vkpay_transaction",
	"donut_subscription_create":        "callback_donut_subscription_create",
	"donut_subscription_prolonged":     "callback_donut_subscription_prolonged",
	"donut_subscription_expired":       "callback_donut_subscription_expired",
	"donut_subscription_cancelled":     "callback_donut_subscription_cancelled",
	"donut_subscription_price_changed": "callback_donut_subscription_price_changed",
	"donut_money_withdraw":             "callback_donut_money_withdraw",
	"donut_money_withdraw_error":       "callback_donut_money_withdraw_error",
}

// notOnTheWire are fields the schema marks required that real bodies lack;
// Validate must accept what VK really sends.
var notOnTheWire = map[string]string{
	"version":    "messages_base_message.version: absent from real message_new bodies (spec wire example 04)",
	"inner_type": "wall_wallpost.inner_type: absent from real wall_post_new bodies (spec wire example 54)",
}

const callbackFolder = "callback"

type gen struct {
	fsys    fs.FS
	files   map[string]*schemaFile // by folder ("callback", "wall"...)
	extern  map[string]bool        // "wall/wall_wallpost": outside callback, written as a shallow struct
	out     bytes.Buffer
	kinds   map[string]string // Go type name -> "struct", "enum:BASE", "array:ELEM" or "alias:TARGET"
	structs []structDecl      // every struct written, for its decoder
}

func (g *gen) file(folder string) (*schemaFile, error) {
	if f, ok := g.files[folder]; ok {
		return f, nil
	}
	b, err := fs.ReadFile(g.fsys, path.Join(folder, "objects.json"))
	if err != nil {
		return nil, err
	}
	var f schemaFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s/objects.json: %w", folder, err)
	}
	g.files[folder] = &f
	return &f, nil
}

// resolve follows a $ref ("../wall/objects.json#/definitions/wall_wallpost").
func (g *gen) resolve(ref string) (folder, name string, n *node, err error) {
	file, frag, ok := strings.Cut(ref, "#/definitions/")
	if !ok {
		return "", "", nil, fmt.Errorf("unsupported $ref %q", ref)
	}
	folder = path.Base(path.Dir(file))
	f, err := g.file(folder)
	if err != nil {
		return "", "", nil, err
	}
	n = f.Definitions[frag]
	if n == nil {
		return "", "", nil, fmt.Errorf("$ref %q: no such definition", ref)
	}
	return folder, frag, n, nil
}

// goName is the Go name of a definition: callback_message_new is
// MessageNew, wall_wallpost is WallWallpost.
func goName(folder, def string) string {
	if folder == callbackFolder {
		return camel(strings.TrimPrefix(def, "callback_"))
	}
	return camel(def)
}

var initialisms = map[string]string{"id": "ID", "url": "URL", "uri": "URI", "ip": "IP", "api": "API", "http": "HTTP", "ts": "TS"}

func camel(s string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(s, "_") {
		if part == "" {
			continue
		}
		if v, ok := initialisms[part]; ok {
			b.WriteString(v)
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	name := b.String()
	if name == "" || (name[0] >= '0' && name[0] <= '9') {
		name = "X" + name
	}
	return name
}

func isScalar(t string) bool {
	return t == "integer" || t == "number" || t == "string" || t == "boolean"
}

func scalarGo(t string) string {
	switch t {
	case "integer":
		return "int64"
	case "number":
		return "float64"
	case "string":
		return "string"
	case "boolean":
		return "bool"
	}
	return "json.RawMessage"
}

// fieldType is the Go type of a property. deep (callback definitions)
// types objects of other folders as shallow structs; shallow (those
// structs) keeps every nested object raw.
func (g *gen) fieldType(p *node, deep bool) (string, error) {
	if p.Ref != "" {
		folder, name, t, err := g.resolve(p.Ref)
		if err != nil {
			return "", err
		}
		tn := t.typeName()
		switch {
		case isScalar(tn) && folder == callbackFolder && len(t.Enum) > 0:
			return goName(folder, name), nil
		case isScalar(tn):
			return scalarGo(tn), nil
		case folder == callbackFolder && tn == "array":
			return goName(folder, name), nil
		case folder == callbackFolder:
			return "*" + goName(folder, name), nil
		case deep:
			g.extern[folder+"/"+name] = true
			return "*" + goName(folder, name), nil
		}
		return "json.RawMessage", nil
	}
	switch tn := p.typeName(); {
	case isScalar(tn):
		return scalarGo(tn), nil
	case tn == "array" && p.Items != nil:
		et, err := g.fieldType(p.Items, deep)
		if err != nil {
			return "", err
		}
		return "[]" + strings.TrimPrefix(et, "*"), nil
	}
	return "json.RawMessage", nil
}

// props merges the properties of a node: its allOf parts in order (the
// later part wins), then its own.
func (g *gen) props(n *node, into map[string]*node) error {
	if n.Ref != "" {
		_, _, t, err := g.resolve(n.Ref)
		if err != nil {
			return err
		}
		if err := g.props(t, into); err != nil {
			return err
		}
	}
	for _, part := range n.AllOf {
		if err := g.props(part, into); err != nil {
			return err
		}
	}
	maps.Copy(into, n.Properties)
	return nil
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:strings.LastIndexByte(s[:160], ' ')] + "..."
	}
	return s
}

func (g *gen) printf(format string, args ...any) { fmt.Fprintf(&g.out, format, args...) }

// writeStruct writes a struct of the merged properties of n and its
// UnmarshalJSON.
func (g *gen) writeStruct(name, doc string, n *node, deep bool) error {
	props := map[string]*node{}
	if err := g.props(n, props); err != nil {
		return err
	}
	g.printf("\n// %s\ntype %s struct {\n", doc, name)
	decl := structDecl{name: name}
	for _, key := range slices.Sorted(maps.Keys(props)) {
		p := props[key]
		t, err := g.fieldType(p, deep)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", name, key, err)
		}
		if d := oneLine(p.Description); d != "" {
			g.printf("\t// %s\n", d)
		}
		g.printf("\t%s %s `json:%q`\n", camel(key), t, key+",omitempty")
		decl.fields = append(decl.fields, fieldDecl{key, camel(key), t})
	}
	g.printf("}\n\n// UnmarshalJSON decodes the object tolerantly (see the package doc).\nfunc (o *%s) UnmarshalJSON(b []byte) error { return decodeObject(b, o) }\n", name)
	g.kinds[name] = "struct"
	g.structs = append(g.structs, decl)
	return nil
}

func (g *gen) writeEnum(name, doc string, n *node) {
	base := scalarGo(n.typeName())
	if base == "int64" {
		base = "int"
	}
	g.printf("\n// %s\ntype %s %s\n", doc, name, base)
	g.kinds[name] = "enum:" + scalarGo(n.typeName())
	if name == "Type" { // its values are written with the event table
		return
	}
	g.printf("\n// The values of %s.\nconst (\n", name)
	for i, v := range n.Enum {
		label := fmt.Sprint(v)
		if i < len(n.EnumNames) {
			label = n.EnumNames[i]
		}
		lit := fmt.Sprint(v)
		if base == "string" {
			lit = fmt.Sprintf("%q", v)
		}
		g.printf("\t%s%s %s = %s\n", name, camel(label), name, lit)
	}
	g.printf(")\n")
}

// writeDef writes one definition of callback/objects.json.
func (g *gen) writeDef(def string, n *node) error {
	name := goName(callbackFolder, def)
	doc := fmt.Sprintf("%s is %s of the schema.", name, def)
	if d := oneLine(n.Description); d != "" {
		doc += " " + d
	}
	switch tn := n.typeName(); {
	case len(n.Enum) > 0:
		g.writeEnum(name, doc, n)
	case tn == "array":
		et, err := g.fieldType(n.Items, true)
		if err != nil {
			return err
		}
		g.printf("\n// %s\ntype %s []%s\n", doc, name, strings.TrimPrefix(et, "*"))
		g.kinds[name] = "array:" + strings.TrimPrefix(et, "*")
	case n.Ref != "" && len(n.Properties) == 0 && len(n.AllOf) == 0:
		t, err := g.fieldType(&node{Ref: n.Ref}, true)
		if err != nil {
			return err
		}
		g.printf("\n// %s\ntype %s = %s\n", doc, name, strings.TrimPrefix(t, "*"))
		g.kinds[name] = "alias:" + strings.TrimPrefix(t, "*")
	default:
		return g.writeStruct(name, doc, n, true)
	}
	return nil
}

type event struct {
	Type, Def string
}

func (g *gen) events(cb *schemaFile) ([]event, error) {
	typ := cb.Definitions["callback_type"]
	if typ == nil {
		return nil, errors.New("callback/objects.json has no callback_type")
	}
	var evs []event
	for _, v := range typ.Enum {
		t := fmt.Sprint(v)
		if _, ok := extraEvents[t]; ok {
			return nil, fmt.Errorf("event %s is in callback_type now: drop it from extraEvents", t)
		}
		def, ok := eventObjects[t]
		if !ok {
			def = "callback_" + t
		}
		if def != "" && cb.Definitions[def] == nil {
			return nil, fmt.Errorf("event %s: no definition %s (add it to eventObjects)", t, def)
		}
		evs = append(evs, event{t, def})
	}
	for t, def := range extraEvents {
		if cb.Definitions[def] == nil {
			return nil, fmt.Errorf("event %s: no definition %s", t, def)
		}
		evs = append(evs, event{t, def})
	}
	slices.SortFunc(evs, func(a, b event) int { return strings.Compare(a.Type, b.Type) })
	return evs, nil
}

func generate(fsys fs.FS) ([]byte, error) {
	source, err := fs.ReadFile(fsys, "SOURCE.md")
	if err != nil {
		return nil, err
	}
	commit, err := schemasource.ParseCommit(source)
	if err != nil {
		return nil, err
	}
	g := &gen{fsys: fsys, files: map[string]*schemaFile{}, extern: map[string]bool{}, kinds: map[string]string{}}
	cb, err := g.file(callbackFolder)
	if err != nil {
		return nil, err
	}
	evs, err := g.events(cb)
	if err != nil {
		return nil, err
	}
	g.printf("// Code generated by internal/genevents from VKCOM/vk-api-schema at commit %s (VK API %s), callback/objects.json. DO NOT EDIT.\n\n", commit, cb.Version)
	g.printf("package vkevent\n\nimport (\n\t\"context\"\n\t\"encoding/json\"\n)\n\n")
	g.printf("// SchemaCommit is the commit of VKCOM/vk-api-schema the model was generated from.\nconst SchemaCommit = %q\n\n", commit)
	g.printf("// SchemaVersion is the VK API version of that schema.\nconst SchemaVersion = %q\n\n", cb.Version)
	g.printf("// DefinitionCount is the number of definitions of callback/objects.json, each a Go type here.\nconst DefinitionCount = %d\n", len(cb.Definitions))

	g.printf("\n// The event types: callback_type's values and the types VK sends beyond it.\nconst (\n")
	for _, e := range evs {
		g.printf("\tType%s Type = %q\n", camel(e.Type), e.Type)
	}
	g.printf(")\n\n// Types lists every event type of the schema, sorted.\nvar Types = []Type{\n")
	for _, e := range evs {
		g.printf("\tType%s,\n", camel(e.Type))
	}
	g.printf("}\n")

	for _, def := range slices.Sorted(maps.Keys(cb.Definitions)) {
		if err := g.writeDef(def, cb.Definitions[def]); err != nil {
			return nil, fmt.Errorf("%s: %w", def, err)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(g.extern)) {
		folder, def, _ := strings.Cut(key, "/")
		n := g.files[folder].Definitions[def]
		doc := fmt.Sprintf("%s is %s of %s/objects.json, its scalar fields typed and its nested objects kept raw.", goName(folder, def), def, folder)
		if err := g.writeStruct(goName(folder, def), doc, n, false); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}

	g.printf("\n// The single-pass decoders of the structs (see reader.go and internal/jsonread).\n")
	for _, s := range g.structs {
		if err := g.writeDecoder(s); err != nil {
			return nil, err
		}
	}

	g.printf("\n// newObject returns a new value of the Go type of the object of events of type t, or nil.\nfunc newObject(t Type) json.Unmarshaler {\n\tswitch t {\n")
	for _, e := range evs {
		if e.Def != "" {
			g.printf("\tcase Type%s:\n\t\treturn new(%s)\n", camel(e.Type), goName(callbackFolder, e.Def))
		}
	}
	g.printf("\t}\n\treturn nil\n}\n")
	g.printf("\n// requiredFields lists, for each event type with an object, the object's fields the schema marks required (but those real bodies lack: %s).\n", strings.Join(slices.Sorted(maps.Keys(notOnTheWire)), ", "))
	g.printf("var requiredFields = map[Type][]string{\n")
	for _, e := range evs {
		if e.Def == "" {
			continue
		}
		props := map[string]*node{}
		if err := g.props(cb.Definitions[e.Def], props); err != nil {
			return nil, err
		}
		var req []string
		for _, k := range slices.Sorted(maps.Keys(props)) {
			if r, _ := props[k].Required.(bool); r && notOnTheWire[k] == "" {
				req = append(req, fmt.Sprintf("%q", k))
			}
		}
		g.printf("\tType%s: {%s},\n", camel(e.Type), strings.Join(req, ", "))
	}
	g.printf("}\n")
	for _, e := range evs {
		if e.Def == "" {
			continue
		}
		m, obj := camel(e.Type), goName(callbackFolder, e.Def)
		g.printf("\n// %s decodes the object of a %s event; it fails with ErrWrongType for another type.\nfunc (e *Event) %s() (*%s, error) { return objectAs[%s](e, Type%s) }\n", m, e.Type, m, obj, obj, m)
		g.printf("\n// On%s routes %s events to fn with their decoded object.\nfunc (r *Router) On%s(fn func(ctx context.Context, e *Event, o *%s) error) {\n\tr.Handle(Type%s, HandlerFunc(func(ctx context.Context, e *Event) error {\n\t\to, err := e.%s()\n\t\tif err != nil {\n\t\t\treturn err\n\t\t}\n\t\treturn fn(ctx, e, o)\n\t}))\n}\n", m, e.Type, m, obj, m, m)
	}
	src, err := format.Source(g.out.Bytes())
	if err != nil {
		return g.out.Bytes(), fmt.Errorf("gofmt of the generated code: %w", err)
	}
	return src, nil
}
