package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// TestDemoRussian: every text vk demo passes through tr has its Russian,
// with the same formatting verbs in the same order, so vk demo --lang ru
// tells the whole story in Russian.
func TestDemoRussian(t *testing.T) {
	verbs := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)
	fset := token.NewFileSet()
	n := 0
	for _, file := range []string{"demo.go", "demo_longpoll.go"} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(node ast.Node) bool {
			call, ok := node.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			lit, isLit := call.Args[0].(*ast.BasicLit)
			if !ok || sel.Sel.Name != "tr" || !isLit {
				return true
			}
			en, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatalf("%s: %v", fset.Position(lit.Pos()), err)
			}
			n++
			ru, ok := demoRU[en]
			switch {
			case !ok:
				t.Errorf("%s: no Russian for %q", fset.Position(lit.Pos()), en)
			case !slices.Equal(verbs.FindAllString(en, -1), verbs.FindAllString(ru, -1)):
				t.Errorf("%s: the Russian of %q has other verbs: %q", fset.Position(lit.Pos()), en, ru)
			}
			return true
		})
	}
	if n < 50 {
		t.Errorf("only %d texts go through tr", n)
	}
}
