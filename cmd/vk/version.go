package main

import (
	"runtime/debug"
	"strings"

	"github.com/vkerr/vkerr"
)

// versionString says which vk this is: the module version (or, for a build
// from a clone, the VCS revision), the VK API schema the catalogue was made
// from, and the Go toolchain.
func versionString() string {
	version, goVersion := "(unknown)", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		version, goVersion = bi.Main.Version, bi.GoVersion
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = "+dirty"
				}
			}
		}
		if (version == "" || version == "(devel)") && rev != "" {
			version = "(devel) " + rev[:min(len(rev), 12)] + modified
		}
	}
	var b strings.Builder
	b.WriteString("vk " + version + " (module github.com/vkerr/vkerr)\n")
	b.WriteString("VK API schema " + vkerr.SchemaVersion + " (VKCOM/vk-api-schema commit " + vkerr.SchemaCommit + ")\n")
	if goVersion != "" {
		b.WriteString("built with " + goVersion + "\n")
	}
	return b.String()
}
