package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"unicode"
)

// node is the part of a JSON schema node the generator reads.
type node struct {
	Type        any              `json:"type"` // a string, or a list of them
	Ref         string           `json:"$ref"`
	Properties  map[string]*node `json:"properties"`
	AllOf       []*node          `json:"allOf"`
	OneOf       []*node          `json:"oneOf"`
	AnyOf       []*node          `json:"anyOf"`
	Items       *node            `json:"items"`
	Enum        []any            `json:"enum"`
	EnumNames   []string         `json:"enumNames"`
	Description string           `json:"description"`
	Required    any              `json:"required"` // true on a property or a parameter
	Maximum     *float64         `json:"maximum"`
	Minimum     *float64         `json:"minimum"`
	MinLength   int              `json:"minLength"`
}

func (n *node) typeName() string {
	s, _ := n.Type.(string)
	return s
}

func (n *node) required() bool {
	r, _ := n.Required.(bool)
	return r
}

type paramNode struct {
	node
	Name string `json:"name"`
}

type schemaMethod struct {
	Name            string           `json:"name"`
	Description     string           `json:"description"`
	AccessTokenType []string         `json:"access_token_type"`
	Parameters      []*paramNode     `json:"parameters"`
	Responses       map[string]*node `json:"responses"`
	Errors          []*node          `json:"errors"`
}

type defsFile struct {
	Version     string           `json:"version"`
	Definitions map[string]*node `json:"definitions"`
}

// schema is the loaded VK API schema.
type schema struct {
	fsys    fs.FS
	version string
	// objects and responses by folder ("users"); methods by folder too.
	objects   map[string]map[string]*node
	responses map[string]map[string]*node
	methods   map[string][]*schemaMethod
	errors    map[string]int // error name -> code
	folders   []string       // sorted
}

func loadSchema(fsys fs.FS) (*schema, error) {
	s := &schema{fsys: fsys, objects: map[string]map[string]*node{}, responses: map[string]map[string]*node{},
		methods: map[string][]*schemaMethod{}, errors: map[string]int{}}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		folder := e.Name()
		found := false
		for _, kind := range []string{"objects", "responses"} {
			b, err := fs.ReadFile(fsys, path.Join(folder, kind+".json"))
			if err != nil {
				continue
			}
			var f defsFile
			if err := json.Unmarshal(b, &f); err != nil {
				return nil, fmt.Errorf("%s/%s.json: %w", folder, kind, err)
			}
			if kind == "objects" {
				s.objects[folder] = f.Definitions
			} else {
				s.responses[folder] = f.Definitions
			}
			found = true
		}
		if b, err := fs.ReadFile(fsys, path.Join(folder, "methods.json")); err == nil {
			var f struct {
				Version string          `json:"version"`
				Methods []*schemaMethod `json:"methods"`
			}
			if err := json.Unmarshal(b, &f); err != nil {
				return nil, fmt.Errorf("%s/methods.json: %w", folder, err)
			}
			s.methods[folder] = f.Methods
			if s.version == "" {
				s.version = f.Version
			}
			found = true
		}
		if found {
			s.folders = append(s.folders, folder)
		}
	}
	b, err := fs.ReadFile(fsys, "errors.json")
	if err != nil {
		return nil, err
	}
	var ef struct {
		Errors map[string]struct {
			Code int `json:"code"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(b, &ef); err != nil {
		return nil, fmt.Errorf("errors.json: %w", err)
	}
	for name, e := range ef.Errors {
		s.errors[name] = e.Code
	}
	slices.Sort(s.folders)
	return s, nil
}

// ref is a resolved $ref.
type ref struct {
	folder, kind, name string // kind: objects or responses
	n                  *node
}

func (s *schema) resolve(from, r string) (ref, error) {
	file, frag, ok := strings.Cut(r, "#/definitions/")
	if !ok {
		return ref{}, fmt.Errorf("unsupported $ref %q", r)
	}
	folder := path.Base(path.Dir(file))
	if path.Dir(file) == "." {
		folder = from
	}
	kind := strings.TrimSuffix(path.Base(file), ".json")
	var defs map[string]*node
	switch kind {
	case "objects":
		defs = s.objects[folder]
	case "responses":
		defs = s.responses[folder]
	default:
		return ref{}, fmt.Errorf("$ref %q: unknown file", r)
	}
	n := defs[frag]
	if n == nil {
		return ref{}, fmt.Errorf("$ref %q: no such definition", r)
	}
	return ref{folder, kind, frag, n}, nil
}

// props merges the properties of n: its $ref's, its allOf parts in order
// (the later part wins), then its own.
func (s *schema) props(from string, n *node, into map[string]*node) error {
	if n.Ref != "" {
		r, err := s.resolve(from, n.Ref)
		if err != nil {
			return err
		}
		if err := s.props(r.folder, r.n, into); err != nil {
			return err
		}
	}
	for _, part := range n.AllOf {
		if err := s.props(from, part, into); err != nil {
			return err
		}
	}
	maps.Copy(into, n.Properties)
	return nil
}

// initialisms are the words written in capitals in Go names.
var initialisms = map[string]string{
	"id": "ID", "ids": "IDs", "url": "URL", "urls": "URLs", "uri": "URI", "ip": "IP", "api": "API",
	"http": "HTTP", "https": "HTTPS", "json": "JSON", "html": "HTML", "ts": "TS", "sms": "SMS", "uid": "UID", "uids": "UIDs",
}

// words splits a schema name into words: at every character that is not a
// letter or digit, and where a lower-case letter meets an upper-case one
// (getById is get, By, Id).
func words(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	var prev rune
	for _, r := range s {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && (unicode.IsLower(prev) || unicode.IsDigit(prev)):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prev = r
	}
	flush()
	return out
}

// camel is the exported Go name of a schema name: users_user_full is
// UsersUserFull, getById GetByID, user_ids UserIDs. A name that would
// start with a digit gets N in front; a name with no letters or digits is
// "Empty".
func camel(s string) string {
	var b strings.Builder
	for _, w := range words(s) {
		if v, ok := initialisms[strings.ToLower(w)]; ok {
			b.WriteString(v)
			continue
		}
		rs := []rune(w)
		b.WriteString(strings.ToUpper(string(rs[0])) + string(rs[1:]))
	}
	name := b.String()
	switch {
	case name == "":
		return "Empty"
	case name[0] >= '0' && name[0] <= '9':
		return "N" + name
	}
	return name
}

// oneLine squeezes a description to one line of at most max bytes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		cut := strings.LastIndexByte(s[:max], ' ')
		if cut < max/2 {
			cut = max
		}
		s = strings.ToValidUTF8(s[:cut], "") + "..."
	}
	return s
}
