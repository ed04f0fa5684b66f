// Command gencatalogue writes the vkerr error catalogue (catalogue_gen.go) from
// the official VK API schema (errors.json) and the hand-kept annotations.json,
// which adds what the schema lacks: Russian texts, remedies, categories and
// retry advice.
//
// Usage (from the repository root, through go generate):
//
//	go run ./internal/gencatalogue -schema ../shared/vk-api-schema \
//		-annotations internal/gencatalogue/annotations.json -out catalogue_gen.go
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

	"github.com/vkerr/vkerr/internal/schemasource"
)

const defaultDoc = "https://dev.vk.com/ru/reference/errors"

var categories = map[string]string{
	"transient":     "CategoryTransient",
	"rate_limit":    "CategoryRateLimit",
	"user_action":   "CategoryUserAction",
	"auth":          "CategoryAuth",
	"permission":    "CategoryPermission",
	"not_found":     "CategoryNotFound",
	"invalid_input": "CategoryInvalidInput",
	"quota":         "CategoryQuota",
	"feature_state": "CategoryFeatureState",
}

var retries = map[string]string{
	"never":       "RetryNever",
	"short_delay": "RetryShortDelay",
	"backoff":     "RetryBackoff",
	"cooldown":    "RetryCooldown",
	"user_action": "RetryUserAction",
}

// schemaFile is the part of errors.json the catalogue uses.
type schemaFile struct {
	Version     string `json:"version"`
	Definitions struct {
		Subcodes map[string]struct {
			Subcode int `json:"subcode"`
		} `json:"subcodes"`
	} `json:"definitions"`
	Errors map[string]struct {
		Code        int    `json:"code"`
		Description string `json:"description"`
		Global      bool   `json:"global"`
		Subcodes    []struct {
			Ref string `json:"$ref"`
		} `json:"subcodes"`
	} `json:"errors"`
}

type annotation struct {
	Code      int    `json:"code"`
	Category  string `json:"category"`
	Retry     string `json:"retry"`
	MessageRU string `json:"message_ru"`
	RemedyEN  string `json:"remedy_en"`
	RemedyRU  string `json:"remedy_ru"`
	// VKWordsRU is the remedy paragraph of VK's errors page, verbatim.
	VKWordsRU string `json:"vk_words_ru"`
	Seed      bool   `json:"seed"`
	Doc       string `json:"doc"`
	// Note is the maintainers' rationale; it stays in this file and is
	// never generated into what users see.
	Note string `json:"note"`
}

type subcodeAnnotation struct {
	Subcode   int    `json:"subcode"`
	Code      int    `json:"code"`
	MessageEN string `json:"message_en"`
	MessageRU string `json:"message_ru"`
}

type annotations struct {
	Codes    []annotation        `json:"codes"`
	Subcodes []subcodeAnnotation `json:"subcodes"`
}

type subcode struct {
	Value     int
	Name      string
	GoName    string
	Code      int
	MessageEN string
	MessageRU string
}

type entry struct {
	annotation
	Name     string
	GoName   string
	Message  string
	Global   bool
	Subcodes []subcode
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("gencatalogue: ")
	schemaDir := flag.String("schema", "../shared/vk-api-schema", "directory of the VK API schema (holds errors.json)")
	annPath := flag.String("annotations", "internal/gencatalogue/annotations.json", "hand-kept annotations file")
	out := flag.String("out", "catalogue_gen.go", "output Go file")
	flag.Parse()

	src, err := build(filepath.Join(*schemaDir, "errors.json"), *annPath)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func build(errorsPath, annPath string) ([]byte, error) {
	var schema schemaFile
	b, err := os.ReadFile(errorsPath)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		return nil, fmt.Errorf("%s: %w", errorsPath, err)
	}
	var ann annotations
	if err := readJSON(annPath, &ann); err != nil {
		return nil, err
	}
	entries, subs, err := merge(&schema, &ann)
	if err != nil {
		return nil, err
	}
	commit, err := schemasource.Commit(filepath.Dir(errorsPath))
	if err != nil {
		return nil, err
	}
	return render(schema.Version, commit, entries, subs)
}

func merge(schema *schemaFile, ann *annotations) ([]entry, []subcode, error) {
	var errs []error
	byCode := map[int]annotation{}
	for _, a := range ann.Codes {
		if _, dup := byCode[a.Code]; dup {
			errs = append(errs, fmt.Errorf("annotations: code %d listed twice", a.Code))
		}
		byCode[a.Code] = a
	}
	subAnn := map[int]subcodeAnnotation{}
	for _, s := range ann.Subcodes {
		subAnn[s.Subcode] = s
	}
	var entries []entry
	var subs []subcode
	seen := map[int]bool{}
	goNames := map[string]string{}
	for name, e := range schema.Errors {
		a, ok := byCode[e.Code]
		if !ok {
			errs = append(errs, fmt.Errorf("annotations: code %d (%s) missing", e.Code, name))
			continue
		}
		seen[e.Code] = true
		if _, ok := categories[a.Category]; !ok {
			errs = append(errs, fmt.Errorf("annotations: code %d: bad category %q", e.Code, a.Category))
		}
		if _, ok := retries[a.Retry]; !ok {
			errs = append(errs, fmt.Errorf("annotations: code %d: bad retry %q", e.Code, a.Retry))
		}
		for field, v := range map[string]string{"message_ru": a.MessageRU, "remedy_en": a.RemedyEN, "remedy_ru": a.RemedyRU} {
			if strings.TrimSpace(v) == "" {
				errs = append(errs, fmt.Errorf("annotations: code %d: empty %s", e.Code, field))
			}
		}
		if a.Doc == "" {
			a.Doc = defaultDoc
		}
		en := entry{annotation: a, Name: name, GoName: goName(name), Message: e.Description, Global: e.Global}
		if prev, dup := goNames[en.GoName]; dup {
			errs = append(errs, fmt.Errorf("the Go name %s of %s clashes with %s", en.GoName, name, prev))
		}
		goNames[en.GoName] = name
		for _, ref := range e.Subcodes {
			sname := ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
			sc := subcode{Name: sname, Code: e.Code}
			if def, ok := schema.Definitions.Subcodes[sname]; ok {
				sc.Value = def.Subcode
				sc.GoName = "Subcode" + camel(sname)
				sa, ok := subAnn[def.Subcode]
				if !ok || sa.MessageEN == "" || sa.MessageRU == "" {
					errs = append(errs, fmt.Errorf("annotations: subcode %d (%s) missing or incomplete", def.Subcode, sname))
				}
				sc.MessageEN, sc.MessageRU = sa.MessageEN, sa.MessageRU
				subs = append(subs, sc)
			}
			en.Subcodes = append(en.Subcodes, sc)
		}
		entries = append(entries, en)
	}
	for code := range byCode {
		if !seen[code] {
			errs = append(errs, fmt.Errorf("annotations: code %d is not in the schema", code))
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return a.Code - b.Code })
	slices.SortFunc(subs, func(a, b subcode) int { return a.Value - b.Value })
	return entries, subs, errors.Join(errs...)
}

// initialisms are spelled in capitals in Go names, as Go style asks.
var initialisms = map[string]string{
	"id": "ID", "api": "API", "http": "HTTP", "https": "HTTPS", "ip": "IP",
	"url": "URL", "cua": "CUA", "2fa": "2FA", "uuid": "UUID",
}

func camel(s string) string {
	var b strings.Builder
	for _, p := range strings.Split(s, "_") {
		if p == "" {
			continue
		}
		if up, ok := initialisms[p]; ok {
			b.WriteString(up)
			continue
		}
		if strings.HasSuffix(p, "2fa") {
			b.WriteString(strings.ToUpper(p[:1]) + p[1:len(p)-3] + "2FA")
			continue
		}
		b.WriteString(strings.ToUpper(p[:1]) + p[1:])
	}
	return b.String()
}

func goName(schemaName string) string {
	return camel(strings.TrimPrefix(schemaName, "api_error_"))
}

// comment wraps text as Go line comments of about 80 columns.
func comment(buf *bytes.Buffer, indent, text string) {
	line := indent + "//"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > 80 && line != indent+"//" {
			buf.WriteString(line + "\n")
			line = indent + "//"
		}
		line += " " + w
	}
	buf.WriteString(line + "\n")
}

func render(version, commit string, entries []entry, subs []subcode) ([]byte, error) {
	var buf bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&buf, format, args...) }
	p("// Code generated by internal/gencatalogue from the VK API schema %s (VKCOM/vk-api-schema commit %s, errors.json) and internal/gencatalogue/annotations.json. DO NOT EDIT.\n\n", version, commit)
	p("package vkerr\n\n")
	p("// SchemaVersion is the VK API schema version the catalogue was generated from.\n")
	p("const SchemaVersion = %q\n\n", version)
	p("// The error codes of the VK API, one for each code of the schema.\n")
	p("// Each is an error: errors.Is(err, Captcha) reports whether err carries code 14.\n")
	p("const (\n")
	for _, e := range entries {
		comment(&buf, "\t", fmt.Sprintf("%s is error %d (%s): %q.", e.GoName, e.Code, e.Name, e.Message))
		buf.WriteString("\t//\n")
		comment(&buf, "\t", "Remedy: "+e.RemedyEN)
		p("\t%s Code = %d\n", e.GoName, e.Code)
	}
	p(")\n\n")
	p("// The error subcodes the schema defines. Each is an error:\n")
	p("// errors.Is(err, SubcodeMethodPermissionDenied) matches an *Error carrying it.\n")
	p("const (\n")
	for _, s := range subs {
		comment(&buf, "\t", fmt.Sprintf("%s is subcode %d (%s) of error %d: %s", s.GoName, s.Value, s.Name, s.Code, s.MessageEN))
		p("\t%s Subcode = %d\n", s.GoName, s.Value)
	}
	p(")\n\n")
	p("// subcodeTable describes the subcodes; it is sorted by subcode.\n")
	p("var subcodeTable = [...]SubcodeInfo{\n")
	for _, s := range subs {
		p("\t{Subcode: %d, Code: %d, Name: %q, MessageEN: %q, MessageRU: %q},\n", s.Value, s.Code, s.Name, s.MessageEN, s.MessageRU)
	}
	p("}\n\n")
	p("// catalogue describes every code of the schema; it is sorted by code.\n")
	p("var catalogue = [...]Info{\n")
	for _, e := range entries {
		p("\t{\n")
		p("\t\tCode: %s,\n\t\tName: %q,\n\t\tGoName: %q,\n", e.GoName, e.Name, e.GoName)
		p("\t\tMessageEN: %q,\n\t\tMessageRU: %q,\n", e.Message, e.MessageRU)
		p("\t\tRemedyEN: %q,\n\t\tRemedyRU: %q,\n", e.RemedyEN, e.RemedyRU)
		if e.VKWordsRU != "" {
			p("\t\tVKWordsRU: %q,\n", e.VKWordsRU)
		}
		p("\t\tCategory: %s,\n\t\tRetry: %s,\n", categories[e.Category], retries[e.Retry])
		if e.Global {
			p("\t\tGlobal: true,\n")
		}
		if e.Seed {
			p("\t\tSeed: true,\n")
		}
		if len(e.Subcodes) > 0 {
			p("\t\tSubcodes: []SubcodeInfo{\n")
			for _, s := range e.Subcodes {
				if s.Value == 0 {
					p("\t\t\t{Code: %d, Name: %q, Undefined: true},\n", s.Code, s.Name)
					continue
				}
				p("\t\t\t{Subcode: %s, Code: %d, Name: %q, MessageEN: %q, MessageRU: %q},\n", s.GoName, s.Code, s.Name, s.MessageEN, s.MessageRU)
			}
			p("\t\t},\n")
		}
		p("\t\tDoc: %q,\n", e.Doc)
		p("\t},\n")
	}
	p("}\n")
	src, err := format.Source(buf.Bytes())
	if err != nil {
		return buf.Bytes(), fmt.Errorf("formatting generated code: %w", err)
	}
	return src, nil
}
