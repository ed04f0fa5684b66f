package schemasource

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
)

// MethodFiles lists the methods.json files of the schema's sections
// ("account/methods.json", ...), slash-separated, relative to dir and
// sorted by section. A schema without any is an error.
func MethodFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "methods.json")); err == nil {
			files = append(files, path.Join(e.Name(), "methods.json"))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no */methods.json under %s", dir)
	}
	// ReadDir sorts by name, so the files come in section order.
	return files, nil
}

// Method is what the table generators read of a method of methods.json.
type Method struct {
	File            string   // the methods.json it is in, as MethodFiles names it
	Name            string   // "users.get"
	AccessTokenType []string // "user", "group", "service", "open"
	Params          []string // the parameters' names, in schema order
}

// Methods reads every method of the schema under dir, in section and
// schema order. A method without a name, or one listed twice, is an error.
func Methods(dir string) ([]Method, error) {
	files, err := MethodFiles(dir)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []Method
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		var mf struct {
			Methods []struct {
				Name            string   `json:"name"`
				AccessTokenType []string `json:"access_token_type"`
				Parameters      []struct {
					Name string `json:"name"`
				} `json:"parameters"`
			} `json:"methods"`
		}
		if err := json.Unmarshal(b, &mf); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, m := range mf.Methods {
			switch {
			case m.Name == "":
				return nil, fmt.Errorf("%s: a method without a name", f)
			case seen[m.Name]:
				return nil, fmt.Errorf("%s: method %s listed twice", f, m.Name)
			}
			seen[m.Name] = true
			row := Method{File: f, Name: m.Name, AccessTokenType: m.AccessTokenType}
			for _, p := range m.Parameters {
				row.Params = append(row.Params, p.Name)
			}
			out = append(out, row)
		}
	}
	return out, nil
}
