package schemasource

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeSection(t *testing.T, dir, section, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, section), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, section, "methods.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMethods: the methods of every section in section and schema order,
// with their token kinds and parameter names; folders without
// methods.json are passed over.
func TestMethods(t *testing.T) {
	dir := t.TempDir()
	writeSection(t, dir, "users", `{"methods":[
		{"name":"users.get","access_token_type":["user","service"],"parameters":[{"name":"user_ids"},{"name":"fields"}]},
		{"name":"users.search","access_token_type":["user"]}]}`)
	writeSection(t, dir, "account", `{"methods":[{"name":"account.ban","access_token_type":["user"],"parameters":[{"name":"owner_id"}]}]}`)
	if err := os.Mkdir(filepath.Join(dir, "base"), 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := MethodFiles(dir)
	if err != nil || !reflect.DeepEqual(files, []string{"account/methods.json", "users/methods.json"}) {
		t.Fatalf("MethodFiles = %q, %v", files, err)
	}
	ms, err := Methods(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Method{
		{File: "account/methods.json", Name: "account.ban", AccessTokenType: []string{"user"}, Params: []string{"owner_id"}},
		{File: "users/methods.json", Name: "users.get", AccessTokenType: []string{"user", "service"}, Params: []string{"user_ids", "fields"}},
		{File: "users/methods.json", Name: "users.search", AccessTokenType: []string{"user"}},
	}
	if !reflect.DeepEqual(ms, want) {
		t.Errorf("Methods =\n%+v\nwant\n%+v", ms, want)
	}
}

// TestMethodsErrors: a schema without methods, a method without a name,
// a method listed twice and a file that is not JSON are errors that name
// the file.
func TestMethodsErrors(t *testing.T) {
	if _, err := Methods(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no */methods.json") {
		t.Errorf("empty schema: %v", err)
	}
	if _, err := Methods(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing dir: no error")
	}
	for name, sections := range map[string]map[string]string{
		"no name":   {"users": `{"methods":[{"access_token_type":["user"]}]}`},
		"twice":     {"users": `{"methods":[{"name":"users.get"}]}`, "wall": `{"methods":[{"name":"users.get"}]}`},
		"not JSON":  {"users": `{"methods":[`},
		"bad shape": {"users": `{"methods":{"name":"users.get"}}`},
	} {
		dir := t.TempDir()
		for s, body := range sections {
			writeSection(t, dir, s, body)
		}
		if _, err := Methods(dir); err == nil || !strings.Contains(err.Error(), "/methods.json") {
			t.Errorf("%s: error %v does not name the file", name, err)
		}
	}
}
