package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestExplainStreaming(t *testing.T) {
	for _, arg := range []string{"streaming:2001", "streaming_tag_exists", "StreamingTagExists", "2001"} {
		code, out, _ := vk(t, "", "explain", arg, "--lang", "en")
		if code != 0 || !strings.HasPrefix(out, "2001 StreamingTagExists") || !strings.Contains(out, "Streaming API error") {
			t.Errorf("explain %s: %d %q", arg, code, out)
		}
	}
	code, out, _ := vk(t, "", "explain", "streaming:1006", "--lang", "ru")
	if code != 0 || !strings.Contains(out, "Соединение с такими параметрами уже установлено") {
		t.Errorf("explain streaming:1006 --lang ru: %d %q", code, out)
	}
	// 2000 is the API's code; the Streaming one is named.
	code, out, _ = vk(t, "", "explain", "2000", "--lang", "en")
	if code != 0 || !strings.Contains(out, "CallbackAPIServersLimit") || !strings.Contains(out, "vk explain streaming:2000") {
		t.Errorf("explain 2000: %d %q", code, out)
	}
	code, out, _ = vk(t, "", "explain", "streaming:2008", "--json")
	var info struct {
		Code     int    `json:"code"`
		Name     string `json:"name"`
		Category string `json:"category"`
	}
	if err := json.Unmarshal([]byte(out), &info); code != 0 || err != nil || info.Code != 2008 || info.Name != "streaming_minus_only" || info.Category != "invalid_input" {
		t.Errorf("explain --json: %d %q %v", code, out, err)
	}
}

func TestDecodeStreaming(t *testing.T) {
	in := "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n" + `{"code":400,"error":{"message":"Invalid key","error_code":1004}}`
	code, out, _ := vk(t, in, "decode", "--lang", "en")
	if code != 1 || !strings.Contains(out, "in a Streaming API answer") || !strings.Contains(out, "code 1004, streaming_bad_key") || !strings.Contains(out, "streaming.getServerUrl") {
		t.Errorf("decode: %d %q", code, out)
	}
	code, out, _ = vk(t, `{"code":100,"event":{"event_type":"post"}}`, "decode")
	if code != 0 || !strings.Contains(out, "Streaming API") {
		t.Errorf("decode an event: %d %q", code, out)
	}
}
