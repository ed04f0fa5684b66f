package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/methoderrors"
)

// explainMethod prints the errors the schema lists for a method (vk
// explain --method NAME), from package methoderrors, which is small: the
// typed API itself is not compiled into vk.
func explainMethod(w io.Writer, method, lang string, asJSON bool) error {
	m := vkapi.LookupMethod(method)
	if !m.Known {
		return &exitError{code: 2, err: fmt.Errorf("the VK API %s schema has no method %q", vkerr.SchemaVersion, method)}
	}
	infos := methoderrors.For(method)
	if asJSON {
		if infos == nil {
			infos = []vkerr.Info{}
		}
		return writeJSON(w, infos)
	}
	kinds := make([]string, len(m.TokenKinds))
	for i, k := range m.TokenKinds {
		kinds[i] = k.String()
	}
	if lang == "ru" {
		fmt.Fprintf(w, "%s (токены: %s): ошибки, которые схема указывает для метода, кроме глобальных: %d\n", method, strings.Join(kinds, ", "), len(infos))
	} else {
		fmt.Fprintf(w, "%s (tokens: %s): %d errors the schema lists for it, besides the global ones\n", method, strings.Join(kinds, ", "), len(infos))
	}
	for _, info := range infos {
		fmt.Fprintf(w, "\n%5d %s (%s): %s\n      %s\n", info.Code, info.GoName, info.Name, info.Message(lang), info.Remedy(lang))
	}
	return nil
}
