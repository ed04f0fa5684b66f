package schemac

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// method compiles one entry of a methods.json: its tokens, parameters, the
// non-global error codes it lists and its response variants.
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
	for _, name := range slices.Sorted(maps.Keys(resp)) {
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
