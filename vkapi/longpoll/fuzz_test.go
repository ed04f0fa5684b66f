package longpoll

import (
	"encoding/json"
	"strconv"
	"testing"
)

// FuzzTSString reads groups.getLongPollServer's ts however it comes: a
// string of digits or a number, anything else refused, never a panic.
func FuzzTSString(f *testing.F) {
	for _, s := range []string{`"12816757"`, `1780739490`, `"-1"`, `1e3`, `null`, `"abc"`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ts, ok := tsString(json.RawMessage(raw))
		if !ok {
			return
		}
		if _, err := strconv.ParseUint(ts, 10, 64); err != nil {
			t.Fatalf("%s gave ts %q", raw, ts)
		}
	})
}
