// Command genmethods writes vkapi/methods_gen.go, the table of VK API methods
// the vkapi client consults on every call, from the official schema's
// */methods.json files: the token kinds each method accepts
// (access_token_type), whether it takes an idempotency key (random_id or
// guid), and whether it only reads (safe to repeat after a transient failure).
//
// The schema has no read/write flag, so a method counts as a read when the
// verb its name starts with only queries (get, search, is, check, are, list,
// resolve, filter, parse, translate), with the exceptions listed in
// readOverrides. Everything else, execute included, counts as a write.
//
// Usage (through go generate in package vkapi):
//
//	go run ../internal/genmethods -schema ../../shared/vk-api-schema -out methods_gen.go
//
// The output is deterministic: methods are sorted by name and nothing depends
// on map order or the time of the run.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/vkerr/vkerr/internal/schemasource"
)

// readVerbs are the leading verbs of method names that only query.
var readVerbs = map[string]bool{
	"get": true, "search": true, "is": true, "check": true, "are": true, "list": true,
	"resolve": true, "filter": true, "parse": true, "translate": true,
}

// readOverrides corrects the verb rule for methods whose names mislead it.
var readOverrides = map[string]bool{
	"video.liveGetCategories": true,  // "live" prefix, then a get
	"apps.promoHasActiveGift": true,  // "promo" prefix, then a query
	"apps.promoUseGift":       false, // consumes the gift
}

type schemaMethods struct {
	Methods []struct {
		Name            string   `json:"name"`
		AccessTokenType []string `json:"access_token_type"`
		Parameters      []struct {
			Name string `json:"name"`
		} `json:"parameters"`
	} `json:"methods"`
}

// method is one row of the generated table.
type method struct {
	Name     string
	Kinds    []string // token kind constant names, in a fixed order
	RandomID bool
	GUID     bool
	Read     bool
}

var kindConst = map[string]string{
	"user":    "kindUser",
	"group":   "kindGroup",
	"service": "kindService",
	"open":    "kindOpen",
}

var kindOrder = []string{"user", "group", "service", "open"}

func main() {
	schema := flag.String("schema", "../../shared/vk-api-schema", "directory of the VK API schema (holds */methods.json)")
	out := flag.String("out", "methods_gen.go", "output file")
	pkg := flag.String("package", "vkapi", "package name of the output")
	flag.Parse()
	methods, err := load(*schema)
	if err != nil {
		log.Fatalf("genmethods: %v", err)
	}
	commit, err := schemasource.Commit(*schema)
	if err != nil {
		log.Fatal(err)
	}
	src, err := render(*pkg, commit, methods)
	if err != nil {
		log.Fatalf("genmethods: %v", err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatalf("genmethods: %v", err)
	}
}

// load reads every */methods.json under dir.
func load(dir string) ([]method, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*", "methods.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no */methods.json under %s", dir)
	}
	slices.Sort(files)
	seen := map[string]bool{}
	var methods []method
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var sm schemaMethods
		if err := json.Unmarshal(data, &sm); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, m := range sm.Methods {
			if m.Name == "" {
				return nil, fmt.Errorf("%s: a method without a name", f)
			}
			if seen[m.Name] {
				return nil, fmt.Errorf("%s: method %s defined twice", f, m.Name)
			}
			seen[m.Name] = true
			row := method{Name: m.Name, Read: isRead(m.Name)}
			for _, k := range kindOrder {
				if slices.Contains(m.AccessTokenType, k) {
					row.Kinds = append(row.Kinds, kindConst[k])
				}
			}
			for _, k := range m.AccessTokenType {
				if _, ok := kindConst[k]; !ok {
					return nil, fmt.Errorf("%s: method %s: unknown access_token_type %q", f, m.Name, k)
				}
			}
			for _, p := range m.Parameters {
				switch p.Name {
				case "random_id":
					row.RandomID = true
				case "guid":
					row.GUID = true
				}
			}
			methods = append(methods, row)
		}
	}
	if len(methods) == 0 {
		return nil, errors.New("the schema lists no methods")
	}
	slices.SortFunc(methods, func(a, b method) int { return strings.Compare(a.Name, b.Name) })
	return methods, nil
}

// isRead classifies a method as read-only by the verb its name starts with.
func isRead(name string) bool {
	if v, ok := readOverrides[name]; ok {
		return v
	}
	_, local, ok := strings.Cut(name, ".")
	if !ok {
		return false // execute
	}
	verb := local
	if i := strings.IndexFunc(local, unicode.IsUpper); i >= 0 {
		verb = local[:i]
	}
	return readVerbs[verb]
}

func render(pkg, commit string, methods []method) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by genmethods from the VK API schema (VKCOM/vk-api-schema commit %s, */methods.json); DO NOT EDIT.\n\n", commit)
	fmt.Fprintf(&b, "package %s\n\n", pkg)
	fmt.Fprintf(&b, "// methodTable lists the %d methods of the schema, sorted by name.\n", len(methods))
	fmt.Fprintf(&b, "var methodTable = [...]methodMeta{\n")
	for _, m := range methods {
		kinds := "0"
		if len(m.Kinds) > 0 {
			kinds = strings.Join(m.Kinds, " | ")
		}
		var flags []string
		if m.Read {
			flags = append(flags, "methodRead")
		}
		if m.RandomID {
			flags = append(flags, "methodRandomID")
		}
		if m.GUID {
			flags = append(flags, "methodGUID")
		}
		fl := "0"
		if len(flags) > 0 {
			fl = strings.Join(flags, " | ")
		}
		fmt.Fprintf(&b, "\t{name: %q, kinds: %s, flags: %s},\n", m.Name, kinds, fl)
	}
	fmt.Fprintf(&b, "}\n")
	return format.Source(b.Bytes())
}
