// Package schemasource tells which copy of the official VK API schema the
// generators read: the commit of VKCOM/vk-api-schema that SOURCE.md, beside
// the schema, names. Every generator writes it into its output's header.
// It also lists the schema's methods.json files and reads the part of
// them the table generators share (MethodFiles, Methods).
package schemasource

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

var commitRE = regexp.MustCompile("commit `([0-9a-f]{7,40})`")

// Commit returns the commit that dir/SOURCE.md names ("... at commit
// `0efe478` ...").
func Commit(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "SOURCE.md"))
	if err != nil {
		return "", err
	}
	m := commitRE.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("%s names no commit", filepath.Join(dir, "SOURCE.md"))
	}
	return string(m[1]), nil
}
