package vkerr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestStreamingCatalogue(t *testing.T) {
	want := []StreamingCode{1000, 1001, 1002, 1003, 1004, 1005, 1006, 2000, 2001, 2002, 2003, 2004, 2005, 2006, 2008}
	all := AllStreaming()
	if len(all) != len(want) {
		t.Fatalf("AllStreaming has %d codes, want %d", len(all), len(want))
	}
	for i, c := range want {
		info := all[i]
		if info.Code != c || !c.Known() || info.Unknown {
			t.Fatalf("entry %d is %d, want %d", i, info.Code, c)
		}
		if info.MessageEN == "" || info.MessageRU == "" || info.RemedyEN == "" || info.RemedyRU == "" || info.Category == 0 || info.Doc == "" {
			t.Errorf("%d: incomplete entry %+v", c, info)
		}
		if !strings.HasPrefix(info.Name, "streaming_") || info.GoName != c.String() {
			t.Errorf("%d: names %q %q", c, info.Name, info.GoName)
		}
		for _, name := range []string{info.Name, strings.TrimPrefix(info.Name, "streaming_"), info.GoName, fmt.Sprintf("streaming:%d", c)} {
			if got, ok := LookupStreamingName(name); !ok || got.Code != c {
				t.Errorf("LookupStreamingName(%q) = %d, %v", name, got.Code, ok)
			}
		}
		if !errors.Is(c, c.Category()) || c.Error() == "" {
			t.Errorf("%d does not match its category", c)
		}
	}
	if StreamingCode(2007).Known() || !StreamingCode(2007).Info().Unknown || StreamingCode(2007).Category() != DefaultCategory {
		t.Error("2007 is not documented and must be unknown")
	}
	// A Streaming code is not the API code with the same number.
	if errors.Is(&StreamingError{Code: 1000}, Code(1000)) {
		t.Error("StreamingError 1000 matched API code 1000")
	}
}

func TestDecodeStreamingError(t *testing.T) {
	body := []byte(`{"code":400,"error":{"message":"Tag already exist","error_code":2001}}`)
	_, err := DecodeStreaming(body)
	var se *StreamingError
	if !errors.As(err, &se) || se.Code != StreamingTagExists || se.Message != "Tag already exist" {
		t.Fatalf("DecodeStreaming = %v", err)
	}
	if !errors.Is(err, StreamingTagExists) || !errors.Is(err, ErrFeatureState) || errors.Is(err, StreamingTagNotFound) {
		t.Errorf("errors.Is fails on %v", err)
	}
	rep, err := Inspect(body)
	if err != nil || rep.Shape != ShapeStreaming || len(rep.Errors) != 1 || !errors.Is(rep.Errors[0], StreamingTagExists) {
		t.Fatalf("Inspect = %+v, %v", rep, err)
	}
	// A key in the message never shows.
	e := &StreamingError{Code: StreamingBadKey, Message: "bad key=0123456789abcdef0123456789abcdef01234567"}
	if strings.Contains(e.Error(), "0123456789abcdef") {
		t.Errorf("the key shows in %q", e.Error())
	}
}

func TestDecodeStreamingMessages(t *testing.T) {
	m, err := DecodeStreaming([]byte(`{"code":100,"event":{"event_type":"post","text":"кот"}}`))
	if err != nil || m.Code != 100 || !strings.Contains(string(m.Event), "кот") {
		t.Fatalf("event: %+v %v", m, err)
	}
	m, err = DecodeStreaming([]byte(`{"code":300,"service_message":{"message":"Stream was closed","service_code":3}}`))
	if err != nil || m.Service == nil || m.Service.ServiceCode != 3 {
		t.Fatalf("service: %+v %v", m, err)
	}
	m, err = DecodeStreaming([]byte(`{"code":200,"rules":null}`))
	if err != nil || m.Code != 200 || m.Rules != nil {
		t.Fatalf("rules null: %+v %v", m, err)
	}
	for _, bad := range []string{``, `[]`, `null`, `{"code":"x"}`, `{"code":100}`, `{"code":100,"event":[1]}`, `{"code":300,"service_message":1}`, `{"code":400,"error":{"error_code":"x"}}`, `{"code":400}`, `{"code":777}`, `{"code":200,"rules":{}}`} {
		var fe *FormatError
		if _, err := DecodeStreaming([]byte(bad)); !errors.As(err, &fe) {
			t.Errorf("%q: %v, want a FormatError", bad, err)
		}
	}
	// An API error with a "code" field stays an API error.
	rep, err := Inspect([]byte(`{"code":1,"error":{"error_code":5,"error_msg":"User authorization failed"}}`))
	if err != nil || rep.Shape != ShapeAPI {
		t.Fatalf("API error: %+v %v", rep, err)
	}
}

func FuzzDecodeStreaming(f *testing.F) {
	for _, s := range []string{
		`{"code":400,"error":{"message":"Tag already exist","error_code":2001}}`,
		`{"code":100,"event":{"event_type":"post","event_id":{"post_owner_id":1,"post_id":2},"tags":["a"]}}`,
		`{"code":300,"service_message":{"message":"m","service_code":1}}`,
		`{"code":200,"rules":[{"value":"v","tag":"t"}]}`, `{"code":200}`, `{"code":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeStreaming(b)
		if (m == nil) == (err == nil) {
			t.Fatalf("message %v and error %v", m, err)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error text")
		}
		if _, err := Inspect(b); err != nil && err.Error() == "" {
			t.Fatal("empty Inspect error")
		}
	})
}
