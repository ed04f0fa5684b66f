package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func testSchema(t *testing.T) *schemaFile {
	t.Helper()
	var s schemaFile
	err := json.Unmarshal([]byte(`{"version":"5.199",
		"definitions":{"subcodes":{"method_permission_denied":{"subcode":1133}}},
		"errors":{
			"api_error_access":{"code":15,"description":"Access denied","global":true,
				"subcodes":[{"$ref":"#/definitions/subcodes/method_permission_denied"},{"$ref":"#/definitions/subcodes/error_access_try_again"}]},
			"api_error_auth_https":{"code":16,"description":"HTTP authorization failed","global":true}}}`), &s)
	if err != nil {
		t.Fatal(err)
	}
	return &s
}

func ann(code int, category string) annotation {
	return annotation{Code: code, Category: category, Retry: "never", MessageRU: "ru", RemedyEN: "en", RemedyRU: "ru"}
}

func TestMergeAndRender(t *testing.T) {
	a := &annotations{
		Codes:    []annotation{ann(16, "auth"), ann(15, "permission")},
		Subcodes: []subcodeAnnotation{{Subcode: 1133, Code: 15, MessageEN: "Method permission denied", MessageRU: "Нет доступа к методу"}},
	}
	entries, subs, err := merge(testSchema(t), a)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Code != 15 || entries[1].GoName != "AuthHTTPS" || entries[0].Doc != defaultDoc {
		t.Fatalf("entries: %+v", entries)
	}
	if len(subs) != 1 || subs[0].GoName != "SubcodeMethodPermissionDenied" || len(entries[0].Subcodes) != 2 || entries[0].Subcodes[1].Value != 0 {
		t.Fatalf("subcodes: %+v / %+v", subs, entries[0].Subcodes)
	}
	src, err := render("5.199", "0efe478", entries, subs)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"// Code generated", "DO NOT EDIT.", "AuthHTTPS Code = 16", "SubcodeMethodPermissionDenied Subcode = 1133", "Undefined: true"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("generated code lacks %q", want)
		}
	}
}

func TestMergeRejectsBadAnnotations(t *testing.T) {
	sub := []subcodeAnnotation{{Subcode: 1133, Code: 15, MessageEN: "x", MessageRU: "y"}}
	tests := []struct {
		name string
		a    annotations
		want string
	}{
		{"missing code", annotations{Codes: []annotation{ann(15, "permission")}, Subcodes: sub}, "code 16 (api_error_auth_https) missing"},
		{"bad category", annotations{Codes: []annotation{ann(15, "permission"), ann(16, "oops")}, Subcodes: sub}, `bad category "oops"`},
		{"unknown code", annotations{Codes: []annotation{ann(15, "permission"), ann(16, "auth"), ann(77, "auth")}, Subcodes: sub}, "code 77 is not in the schema"},
		{"duplicate", annotations{Codes: []annotation{ann(15, "permission"), ann(16, "auth"), ann(16, "auth")}, Subcodes: sub}, "listed twice"},
		{"empty text", annotations{Codes: []annotation{ann(15, "permission"), {Code: 16, Category: "auth", Retry: "never"}}, Subcodes: sub}, "empty message_ru"},
		{"no subcode text", annotations{Codes: []annotation{ann(15, "permission"), ann(16, "auth")}}, "subcode 1133"},
	}
	for _, tc := range tests {
		_, _, err := merge(testSchema(t), &tc.a)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestCamel(t *testing.T) {
	for in, want := range map[string]string{
		"api_error_param_api_id": "ParamAPIID", "api_error_group_need_2fa": "GroupNeed2FA",
		"api_error_ip_is_not_allowed": "IPIsNotAllowed", "api_error_too_many": "TooMany",
	} {
		if got := goName(in); got != want {
			t.Errorf("goName(%q) = %q, want %q", in, got, want)
		}
	}
}
