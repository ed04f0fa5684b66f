// Package methoderrors lists the errors the VK API schema documents for
// each method (252 of the 566 list some), with the catalogue's entry for
// each: a package of its own, and small, so that `vk explain --method`
// does not compile the typed API.
package methoderrors

import "github.com/vkerr/vkerr"

// For returns the catalogue entries of the errors the schema lists for
// method ("messages.send"), in the schema's order: method-specific codes
// only, not the global ones (see vkerr.Info.Global) any method may return.
// It returns nil for a method that lists none or that the schema lacks
// (vkapi.LookupMethod tells which).
func For(method string) []vkerr.Info {
	codes := table[method]
	if len(codes) == 0 {
		return nil
	}
	out := make([]vkerr.Info, len(codes))
	for i, c := range codes {
		out[i] = c.Info()
	}
	return out
}
