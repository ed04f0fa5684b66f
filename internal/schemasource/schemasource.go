// Package schemasource tells which copy of the official VK API schema the
// generators read: the commit of VKCOM/vk-api-schema that SOURCE.md, beside
// the schema, names. Every generator writes it into its output's header.
// It also lists the schema's methods.json files and reads the part of
// them the table generators share (MethodFiles, Methods).
package schemasource

import (
	"errors"
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
	c, err := ParseCommit(b)
	if err != nil {
		return "", fmt.Errorf("%s: %w", filepath.Join(dir, "SOURCE.md"), err)
	}
	return c, nil
}

// ParseCommit returns the commit that the text of a SOURCE.md names, for
// a generator that reads the schema through an fs.FS.
func ParseCommit(source []byte) (string, error) {
	m := commitRE.FindSubmatch(source)
	if m == nil {
		return "", errors.New("SOURCE.md names no commit (want \"commit `abc1234`\")")
	}
	return string(m[1]), nil
}
