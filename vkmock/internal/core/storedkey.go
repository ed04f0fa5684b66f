package core

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// StoredKey is what a store keeps of a string from a request (a token, a
// target) to compare it later: a copy, so that it does not keep the
// request's body alive, and a digest for a long one, so that it stays
// small.
func StoredKey(s string) string {
	if len(s) <= 256 {
		return strings.Clone(s)
	}
	sum := sha256.Sum256([]byte(s))
	return "\x00sha256:" + hex.EncodeToString(sum[:])
}
