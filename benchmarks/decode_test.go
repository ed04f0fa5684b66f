package benchmarks

import (
	"encoding/json"
	"testing"

	"github.com/SevereCloud/vksdk/v3/events"

	"github.com/vkerr/vkerr/vkevent"
)

// BenchmarkDecodeMessageNew decodes the object of one message_new the mock
// emits: vkevent's generated type (the typed accessor), and the Go SDK's
// hand-written events.MessageNewObject with encoding/json.
//
//	go test -run '^$' -bench DecodeMessageNew -benchmem
func BenchmarkDecodeMessageNew(b *testing.B) {
	obj := newRig(b, 16).messageNewObject(b)
	b.Run("vkevent", func(b *testing.B) {
		e := &vkevent.Event{Type: vkevent.TypeMessageNew, Object: obj}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.MessageNew(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("vksdk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var o events.MessageNewObject
			if err := json.Unmarshal(obj, &o); err != nil {
				b.Fatal(err)
			}
		}
	})
}
