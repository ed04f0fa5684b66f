package schemac

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// schemaDir is the official schema beside the repository; the tests that
// need it are skipped where it is absent.
const schemaDir = "../../../../shared/vk-api-schema"

func compile(t *testing.T) *Schema {
	t.Helper()
	if _, err := os.Stat(filepath.Join(schemaDir, "errors.json")); err != nil {
		t.Skip("schema not found at", schemaDir)
	}
	s, err := Compile(schemaDir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCompile(t *testing.T) {
	s := compile(t)
	if s.Version != "5.199" || len(s.Methods) != 566 || len(s.Global) != 62 || len(s.Errors) != 251 {
		t.Fatalf("version %s, %d methods, %d global, %d errors", s.Version, len(s.Methods), len(s.Global), len(s.Errors))
	}
	byName := map[string]Method{}
	for _, m := range s.Methods {
		byName[m.Name] = m
	}
	lp := byName["messages.getLongPollHistory"]
	if lp.Timeout != 5 || !slices.Contains(lp.Errors, 36) {
		t.Fatalf("getLongPollHistory %+v", lp)
	}
	send := byName["messages.send"]
	if !slices.Contains(send.Errors, 914) || slices.Contains(send.Errors, 6) || !slices.Equal(send.Tokens, []string{"user", "group"}) {
		t.Fatalf("messages.send errors %v tokens %v", send.Errors, send.Tokens)
	}
	var nameCase *Param
	for i, p := range byName["users.get"].Params {
		if p.Name == "name_case" {
			nameCase = &byName["users.get"].Params[i]
		}
	}
	if nameCase == nil || len(nameCase.Enum) != 6 {
		t.Fatalf("users.get name_case from $ref: %+v", nameCase)
	}
	var posts *Param
	for i, p := range byName["wall.getById"].Params {
		if p.Name == "posts" {
			posts = &byName["wall.getById"].Params[i]
		}
	}
	if posts == nil || posts.Items == nil || len(posts.Items.Parts) < 2 || posts.Items.Parts[0].Name != "owner_id" {
		t.Fatalf("wall.getById posts parts: %+v", posts)
	}
	var ext []string
	for _, v := range byName["groups.isMember"].Responses {
		if v.Name == "userIds_Extended_Response" {
			ext = v.When
		}
	}
	if !slices.Equal(ext, []string{"user_ids", "extended"}) {
		t.Fatalf("groups.isMember variant params %v", ext)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestDeterministic compiles twice and compares the bytes with each other
// and with the table committed in vkmock.
func TestDeterministic(t *testing.T) {
	a, b := compile(t), compile(t)
	ja, err := Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, _ := Encode(b)
	za, _ := Gzip(ja)
	zb, _ := Gzip(jb)
	if !bytes.Equal(za, zb) {
		t.Fatal("two compilations differ")
	}
	committed, err := os.ReadFile("../../../vkmock/internal/methods/schema_gen.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, za) {
		t.Fatal("vkmock/internal/methods/schema_gen.json.gz is stale: run go generate ./vkmock/internal/methods")
	}
	d, err := Decode(za)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Methods) != len(a.Methods) || len(d.Types) != len(a.Types) {
		t.Fatal("decode lost data")
	}
}

func TestCompileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Compile(dir); err == nil {
		t.Fatal("empty directory compiled")
	}
	_ = os.WriteFile(filepath.Join(dir, "errors.json"), []byte(`{"errors":{"api_error_unknown":{"code":1,"global":true}}}`), 0o644)
	if _, err := Compile(dir); err == nil {
		t.Fatal("directory without methods compiled")
	}
	_ = os.MkdirAll(filepath.Join(dir, "x"), 0o755)
	_ = os.WriteFile(filepath.Join(dir, "x", "methods.json"), []byte(`{"methods":[{"name":"x.y","access_token_type":["user"],"responses":{"response":{"$ref":"responses.json#/definitions/nope"}}}]}`), 0o644)
	if _, err := Compile(dir); err == nil {
		t.Fatal("dangling $ref compiled")
	}
	if _, err := Decode([]byte("{")); err == nil {
		t.Fatal("bad JSON decoded")
	}
	if _, err := Decode([]byte(`{"methods":[{"n":"a","r":[{"n":"response","t":3}]}],"types":[]}`)); err == nil {
		t.Fatal("out-of-range type decoded")
	}
}
