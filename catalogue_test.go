package vkerr_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

func TestCatalogueIsComplete(t *testing.T) {
	if n := vkerr.NumCodes(); n != 251 {
		t.Fatalf("catalogue has %d codes, the schema 251", n)
	}
	prev := vkerr.Code(0)
	names := map[string]bool{}
	globals := 0
	for info := range vkerr.All() {
		if info.Code <= prev {
			t.Errorf("codes not sorted: %d after %d", info.Code, prev)
		}
		prev = info.Code
		if !strings.HasPrefix(info.Name, "api_error_") || names[info.Name] || names[info.GoName] {
			t.Errorf("%d: bad or duplicate name %q / %q", info.Code, info.Name, info.GoName)
		}
		names[info.Name], names[info.GoName] = true, true
		for field, v := range map[string]string{"MessageEN": info.MessageEN, "MessageRU": info.MessageRU, "RemedyEN": info.RemedyEN, "RemedyRU": info.RemedyRU, "Doc": info.Doc} {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%d: empty %s", info.Code, field)
			}
		}
		if info.Category.String() == "unknown" {
			t.Errorf("%d: no category", info.Code)
		}
		if info.Global {
			globals++
		}
		if got, ok := vkerr.LookupName(info.GoName); !ok || got.Code != info.Code {
			t.Errorf("LookupName(%q) = %d, %v", info.GoName, got.Code, ok)
		}
		if got, ok := vkerr.LookupName(info.Name); !ok || got.Code != info.Code {
			t.Errorf("LookupName(%q) = %d, %v", info.Name, got.Code, ok)
		}
		if info.Code.String() != info.GoName {
			t.Errorf("%d: String() = %q, want %q", info.Code, info.Code.String(), info.GoName)
		}
	}
	if globals != 62 {
		t.Errorf("%d global codes, the schema marks 62", globals)
	}
}

func TestRetryAdvice(t *testing.T) {
	tests := []struct {
		codes []vkerr.Code
		want  vkerr.Retry
	}{
		{[]vkerr.Code{vkerr.TooMany}, vkerr.RetryShortDelay},
		{[]vkerr.Code{vkerr.Unknown, vkerr.Server}, vkerr.RetryBackoff},
		{[]vkerr.Code{vkerr.Flood, vkerr.RateLimit}, vkerr.RetryCooldown},
		{[]vkerr.Code{vkerr.Captcha, vkerr.AuthValidation, vkerr.NeedConfirmation}, vkerr.RetryUserAction},
		{[]vkerr.Code{vkerr.Auth, vkerr.Permission, vkerr.Access, vkerr.UserDeleted, vkerr.Param, vkerr.Method}, vkerr.RetryNever},
	}
	for _, tc := range tests {
		for _, c := range tc.codes {
			if got := c.Retry(); got != tc.want {
				t.Errorf("%d.Retry() = %s, want %s", c, got, tc.want)
			}
		}
	}
}

func TestCategories(t *testing.T) {
	tests := []struct {
		code vkerr.Code
		want error
	}{
		{vkerr.Unknown, vkerr.ErrTransient},
		{vkerr.Server, vkerr.ErrTransient},
		{vkerr.TooMany, vkerr.ErrRateLimit},
		{vkerr.Flood, vkerr.ErrRateLimit},
		{vkerr.RateLimit, vkerr.ErrRateLimit},
		{vkerr.Captcha, vkerr.ErrUserAction},
		{vkerr.AuthValidation, vkerr.ErrUserAction},
		{vkerr.NeedConfirmation, vkerr.ErrUserAction},
		{vkerr.Auth, vkerr.ErrAuth},
		{vkerr.UserDeactivated, vkerr.ErrAuth},
		{vkerr.Permission, vkerr.ErrPermission},
		{vkerr.Access, vkerr.ErrPermission},
		{vkerr.UserDeleted, vkerr.ErrNotFound},
		{vkerr.Param, vkerr.ErrInvalidInput},
		{vkerr.AlbumFull, vkerr.ErrQuota},
		{vkerr.MethodDisabled, vkerr.ErrFeatureState},
	}
	sentinels := []error{vkerr.ErrTransient, vkerr.ErrRateLimit, vkerr.ErrUserAction, vkerr.ErrAuth,
		vkerr.ErrPermission, vkerr.ErrNotFound, vkerr.ErrInvalidInput, vkerr.ErrQuota, vkerr.ErrFeatureState}
	for _, tc := range tests {
		if !errors.Is(tc.code, tc.want) {
			t.Errorf("errors.Is(%d, %v) = false", tc.code, tc.want)
		}
	}
	// Every code, known or not, is in exactly one category.
	codes := []vkerr.Code{0, -1, 26, 77777}
	for info := range vkerr.All() {
		codes = append(codes, info.Code)
	}
	for _, c := range codes {
		n := 0
		for _, s := range sentinels {
			if errors.Is(c, s) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("code %d matches %d categories", c, n)
		}
	}
	if got := vkerr.CategoryRateLimit.Error(); got != "vk: rate limit" {
		t.Errorf("Error() = %q", got)
	}
	for _, c := range vkerr.Categories() {
		if p, ok := vkerr.ParseCategory(c.String()); !ok || p != c {
			t.Errorf("ParseCategory(%q) = %v, %v", c, p, ok)
		}
	}
}

func TestUnknownCodes(t *testing.T) {
	for _, c := range []vkerr.Code{0, -5, 26, 12345, 1 << 40} {
		if c.Known() {
			t.Errorf("%d: Known", c)
		}
		info := c.Info()
		if !info.Unknown || info.Category != vkerr.DefaultCategory || info.Retry != vkerr.RetryNever || info.RemedyEN == "" {
			t.Errorf("%d: Info() = %+v", c, info)
		}
		if !strings.Contains(c.Error(), "unknown error code") {
			t.Errorf("%d: Error() = %q", c, c.Error())
		}
		e := &vkerr.Error{Code: c, Message: "Something new"}
		if !errors.Is(e, vkerr.ErrFeatureState) || !errors.Is(e, c) || e.Error() == "" {
			t.Errorf("%d: *Error does not match its default category", c)
		}
	}
}

func TestLookupName(t *testing.T) {
	for _, name := range []string{"14", "api_error_captcha", "captcha", "Captcha", "CAPTCHA", " 14 "} {
		info, ok := vkerr.LookupName(name)
		if !ok || info.Code != vkerr.Captcha {
			t.Errorf("LookupName(%q) = %d, %v", name, info.Code, ok)
		}
	}
	for _, name := range []string{"", "nope", "99999", "api_error_"} {
		if _, ok := vkerr.LookupName(name); ok {
			t.Errorf("LookupName(%q) found something", name)
		}
	}
	if info, _ := vkerr.Lookup(vkerr.AuthHTTPS); info.GoName != "AuthHTTPS" {
		t.Errorf("initialisms: %q", info.GoName)
	}
}

func TestSubcodes(t *testing.T) {
	info, ok := vkerr.LookupSubcode(vkerr.SubcodeMethodPermissionDenied)
	if !ok || info.Code != vkerr.Access || info.Subcode != 1133 || info.MessageRU == "" {
		t.Fatalf("LookupSubcode(1133) = %+v, %v", info, ok)
	}
	access := vkerr.Access.Info()
	var defined, undefined int
	for _, s := range access.Subcodes {
		if s.Undefined {
			undefined++
		} else {
			defined++
		}
	}
	if defined != 2 || undefined != 1 {
		t.Errorf("code 15 subcodes: %d defined, %d undefined; want 2, 1", defined, undefined)
	}
	if len(vkerr.Limits.Info().Subcodes) != 1 {
		t.Errorf("code 103 subcodes: %+v", vkerr.Limits.Info().Subcodes)
	}
	e := &vkerr.Error{Code: vkerr.Access, Subcode: vkerr.SubcodeMethodPermissionDenied}
	if !errors.Is(e, vkerr.SubcodeMethodPermissionDenied) || errors.Is(e, vkerr.SubcodeAppTypePermissionDenied) {
		t.Error("subcode matching")
	}
	if errors.Is(&vkerr.Error{Code: vkerr.Access}, vkerr.Subcode(0)) {
		t.Error("subcode 0 must match nothing")
	}
	if _, ok := vkerr.LookupSubcode(4242); ok {
		t.Error("LookupSubcode(4242) found something")
	}
}

func TestInfoLanguages(t *testing.T) {
	info := vkerr.TooMany.Info()
	if info.Message("ru") != info.MessageRU || info.Message("ru_RU.UTF-8") != info.MessageRU || info.Message("en") != info.MessageEN || info.Message("") != info.MessageEN {
		t.Error("Message(lang)")
	}
	if info.Remedy("RU") != info.RemedyRU || info.Remedy("de") != info.RemedyEN {
		t.Error("Remedy(lang)")
	}
}

// TestTextsForUsers: users see no note written for the catalogue's
// maintainers, every code has a remedy in both languages, and VK's own words
// are kept apart from the catalogue's advice.
func TestTextsForUsers(t *testing.T) {
	maintainerWords := []string{"Judgement call", "Departs from CSV", "seed page", "Could also be read", "Category kept", "kept never", "CSV draft"}
	words := 0
	for info := range vkerr.All() {
		b, err := json.Marshal(info)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range maintainerWords {
			if strings.Contains(string(b), w) {
				t.Errorf("%d: users see the maintainers' note %q: %s", info.Code, w, b)
			}
		}
		if strings.TrimSpace(info.RemedyEN) == "" || strings.TrimSpace(info.RemedyRU) == "" {
			t.Errorf("%d: a remedy is empty", info.Code)
		}
		if info.RemedyRU == info.VKWordsRU {
			t.Errorf("%d: the Russian remedy is VK's words, not a remedy", info.Code)
		}
		if info.VKWordsRU != "" {
			words++
			if !info.Seed {
				t.Errorf("%d: VK's words for a code the errors page does not list", info.Code)
			}
		}
		if strings.Contains(info.Doc, "vk.com/dev/") {
			t.Errorf("%d: link to the old documentation %s", info.Code, info.Doc)
		}
		// The Russian remedy is not much shorter than the English one (the
		// weak ones were: "Попробуйте повторить запрос позже.").
		if r := float64(len([]rune(info.RemedyRU))) / float64(len([]rune(info.RemedyEN))); r < 0.75 {
			t.Errorf("%d: the Russian remedy says less than the English one (%.2f):\n  %s\n  %s", info.Code, r, info.RemedyEN, info.RemedyRU)
		}
	}
	if words < 25 {
		t.Errorf("only %d codes keep VK's words", words)
	}
}
