package api

import (
	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi/methoderrors"
)

// Errors returns the catalogue entries (message, remedy, category, retry
// advice) of the errors the schema lists for method ("messages.send"), in
// the schema's order: the method's own codes, not the global ones every
// method may return. Each generated method's doc comment lists the same.
// It returns nil for a method that lists none or that the schema lacks.
func Errors(method string) []vkerr.Info { return methoderrors.For(method) }
