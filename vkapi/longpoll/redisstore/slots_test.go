package redisstore

import (
	"strings"
	"testing"
)

// keySlot is Redis Cluster's slot of a key: CRC16 (XMODEM) of the key, or
// of its hash tag (the text between the first "{" and the next "}", when
// not empty), modulo 16384.
func keySlot(key string) uint16 {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for k := 0; k < len(key); k++ {
		crc ^= uint16(key[k]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc % 16384
}

func TestKeySlotKnownValues(t *testing.T) {
	// CRC16/XMODEM's check value, and the Redis Cluster specification's
	// examples of hash tags.
	if got := keySlot("123456789"); got != 0x31C3%16384 {
		t.Errorf("123456789: %d", got)
	}
	if keySlot("{user1000}.following") != keySlot("{user1000}.followers") {
		t.Error("{user1000}: two slots")
	}
	if keySlot("foo{}{bar}") == keySlot("bar") {
		t.Error("an empty tag is not a tag")
	}
}

// Every key of each script (acquire: lease and fence; replace: lease,
// position and list; append: lease and list; renew, release: lease) and
// of Load's MULTI (position and list) maps to one slot, for any
// community and prefix, so the scripts run on a Redis Cluster.
func TestScriptKeysShareASlot(t *testing.T) {
	for _, prefix := range []string{"", "app:", "x:{y}:"} {
		s := New(nil, prefix)
		for _, g := range []int64{1, 42, 200000001, 1 << 40} {
			scripts := map[string][]string{
				"acquire": {s.leaseKey(g), s.fenceKey(g)},
				"replace": {s.leaseKey(g), s.key(g), s.listKey(g)},
				"append":  {s.leaseKey(g), s.listKey(g)},
			}
			for name, keys := range scripts {
				for _, k := range keys[1:] {
					if keySlot(k) != keySlot(keys[0]) {
						t.Errorf("prefix %q, community %d, %s: %s in slot %d, %s in slot %d", prefix, g, name, keys[0], keySlot(keys[0]), k, keySlot(k))
					}
				}
			}
		}
	}
}
