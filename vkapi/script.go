package vkapi

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// executeCode writes the VKScript of a batch: return [API.a({...}), ...];
func executeCode(items []*batchItem) string {
	var b strings.Builder
	b.WriteString("return [")
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("API.")
		b.WriteString(it.method)
		b.WriteString("({")
		for j, k := range sortedKeys(it.args) {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(scriptString(k))
			b.WriteByte(':')
			b.WriteString(scriptString(it.args[k]))
		}
		b.WriteString("})")
	}
	b.WriteString("];")
	return b.String()
}

// scriptString quotes s as a VKScript (JavaScript) string literal: a JSON
// string is one, with U+2028 and U+2029 escaped as JavaScript needs.
func scriptString(s string) string {
	q, _ := json.Marshal(s) // a string always marshals
	return string(q)
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
