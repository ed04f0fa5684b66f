package userlongpoll

import (
	"reflect"
	"strings"
	"testing"
)

// decodeSeeds are answers where the one-pass decoder could part from
// encoding/json's: codes that are not ints, odd updates, repeated or
// differently cased members, escapes, whitespace, failures.
var decodeSeeds = []string{
	`{"ts":1820350345,"updates":[[4,2,1,7,1,"hi",{},{}],[8,-7,4]],"pts":9}`,
	`{"ts":"5","updates":[1,[],[null],null,{"a":1},[4.0],[1e2],["4"],[-0],[99999999999999999999]],"pts":3}` + "\r\n",
	`{"pts":"7","updates":[[ 4 , "a\u00e9\n" , [1,{"x":[]}] ]],"ts":2}`,
	`{"ts":1,"ts":2,"updates":[]}`, `{"TS":1,"updates":[]}`, `{"ts":1,"updates":[],"extra":1}`,
	`{"ts":-1,"updates":[]}`, `{"ts":1.5,"updates":[]}`, `{"ts":1,"updates":null}`, `{"ts":1}`,
	`{"failed":2}`, `{"failed":1,"ts":5}`, `{"ts":1,"updates":[[4,"\xff"]]}`, `{"ts":1,"updates":[[4,]]}`,
	"\v{\"ts\":1,\"updates\":[]}", `[]`, `{}`, `null`, ``,
}

// FuzzDecodeFastAgrees checks, on any input, that the one-pass decoder
// gives what the encoding/json one gives, or leaves it to it.
func FuzzDecodeFastAgrees(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fast := decodeFast(b)
		slow, errSlow := decodeSlow(b)
		if fast == nil {
			return
		}
		if errSlow != nil {
			t.Fatalf("fast decoded %q, slow failed: %v", b, errSlow)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q:\nfast %#v\nslow %#v", b, fast, slow)
		}
	})
}

// TestDecodeFastPath checks that VK's usual answers take the fast path
// and that Decode keeps no reference to its body.
func TestDecodeFastPath(t *testing.T) {
	body := []byte(`{"ts":10,"updates":[[4,5,1,7,1600000000,"hi",{},{}],[80,1,0]],"pts":20}`)
	if decodeFast(body) == nil {
		t.Fatal("the usual answer fell back to the slow decoder")
	}
	a, err := Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	want := string(a.Updates[0].Fields[5])
	for i := range body {
		body[i] = ' '
	}
	if got := string(a.Updates[0].Fields[5]); got != want || a.Updates[1].Code != 80 {
		t.Fatalf("the answer changed with its body: %s", got)
	}
}

// BenchmarkDecode: an answer of 100 new-message updates, through Decode
// and through the encoding/json decoder it replaced.
func BenchmarkDecode(b *testing.B) {
	body := []byte(`{"ts":1820350345,"updates":[` +
		strings.Repeat(`[4,123456,1,2000000001,1700000000,"hello there",{"title":" ... "},{}],`, 99) +
		`[4,123457,1,2000000001,1700000000,"last",{},{}]],"pts":1000}`)
	for _, d := range []struct {
		name   string
		decode func([]byte) (*Answer, error)
	}{{"Decode", Decode}, {"encoding_json", decodeSlow}} {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.decode(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
