package schemac

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/vkerr/vkerr/internal/schemasource"
)

// doc is a JSON object of the schema as encoding/json decodes it.
type doc = map[string]any

// compiler holds the schema files read so far and the type graph being
// built; a named definition gets one node however often it is referenced.
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

	files, err := schemasource.MethodFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("schemac: %w", err)
	}
	for _, file := range files {
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

// load reads and decodes a schema file once; later calls return the same doc.
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
