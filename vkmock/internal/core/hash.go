package core

import "strconv"

// HashStart is the hash of nothing, where HashString starts (FNV-1a's
// offset basis). Rooms derive seeded, stable values from it: synthesised
// answers and their cache keys, the world's derived users and
// communities, captchas.
const HashStart uint64 = 14695981039346656037

const hashPrime = 1099511628211

// HashString mixes s into h (FNV-1a), then a separator byte, so that
// ("ab", "c") and ("a", "bc") hash apart. It does not allocate.
func HashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= hashPrime
	}
	h ^= 0xff
	h *= hashPrime
	return h
}

// SeedHash hashes a seed with labels: what the mock derives from its seed
// (names, captchas) starts here.
func SeedHash(seed int64, parts ...string) uint64 {
	h := HashString(HashStart, strconv.FormatInt(seed, 10))
	for _, p := range parts {
		h = HashString(h, p)
	}
	return h
}
