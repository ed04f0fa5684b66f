package core

import "strconv"

// FNV-1a, inline (no allocation), for what the mock derives from its seed:
// names of the world's entities, request hashes of the answer cache.
const (
	FNVOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// FNVString hashes s into h, then a separator byte, so that ("ab","c")
// and ("a","bc") differ. Start from FNVOffset.
func FNVString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	h ^= 0xff // separator
	h *= fnvPrime
	return h
}

// SeedHash hashes a seed with labels: what the mock derives from its seed
// (names, captchas) starts here.
func SeedHash(seed int64, parts ...string) uint64 {
	h := FNVString(FNVOffset, strconv.FormatInt(seed, 10))
	for _, p := range parts {
		h = FNVString(h, p)
	}
	return h
}
