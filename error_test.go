package vkerr_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "bodies", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeError(t *testing.T, name string) *vkerr.Error {
	t.Helper()
	_, err := vkerr.DecodeResponse(readFixture(t, name))
	var e *vkerr.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %v is not an *Error", name, err)
	}
	return e
}

func TestDecodeErrorFields(t *testing.T) {
	e := decodeError(t, "error_14_captcha.json")
	if e.Code != vkerr.Captcha || e.Message != "Captcha needed" || e.CaptchaSID != "715397468519" ||
		e.CaptchaImg != "https://api.vk.com/captcha.php?sid=715397468519&s=1" || e.CaptchaTS != "1700000000.123" || e.CaptchaAttempt != 1 {
		t.Errorf("captcha fields: %+v", e)
	}
	if e.RequestParams.Method() != "messages.send" || len(e.RequestParams) != 6 {
		t.Errorf("request_params: %v", e.RequestParams)
	}
	if v, _ := e.RequestParams.Get("random_id"); v != "84213" {
		t.Errorf("random_id = %q", v)
	}

	e = decodeError(t, "error_14_vkid.json")
	if e.RemixStlid != 9069780796616521905 {
		t.Errorf("remixstlid = %d: precision lost", e.RemixStlid)
	}
	if e.CaptchaTS != "1732451234.5" || e.CaptchaAttempt != 2 || !strings.HasPrefix(e.RedirectURI, "https://id.vk.com/") || e.Text == "" {
		t.Errorf("vk id captcha fields: %+v", e)
	}

	e = decodeError(t, "error_5_banned.json")
	if e.BanInfo == nil || e.BanInfo.MemberName != "Ivan" || e.BanInfo.Message == "" || e.BanInfo.AccessToken == "" {
		t.Errorf("ban_info: %+v", e.BanInfo)
	}

	e = decodeError(t, "error_17_validation.json")
	if e.Code != vkerr.AuthValidation || !strings.Contains(e.RedirectURI, "security_check") {
		t.Errorf("validation: %+v", e)
	}

	e = decodeError(t, "error_24_confirmation.json")
	if e.ConfirmationText != "Вы действительно хотите удалить друга?" {
		t.Errorf("confirmation_text = %q", e.ConfirmationText)
	}

	e = decodeError(t, "error_15_subcode.json")
	if e.Subcode != 1133 || e.RequestParams != nil {
		t.Errorf("subcode, absent request_params: %+v", e)
	}

	e = decodeError(t, "error_6_dupes.json")
	if got := e.RequestParams.Values("user_ids"); !reflect.DeepEqual(got, []string{"1", "2"}) {
		t.Errorf("duplicate keys: %v", got)
	}
	if kv := e.RequestParams[2]; kv.Key != "method" || !kv.NoValue {
		t.Errorf("key without value: %+v", kv)
	}
	if string(e.Extra["view"]) != `"alert"` || string(e.Extra["trace_id"]) != `"9f1c"` {
		t.Errorf("unknown fields not kept: %v", e.Extra)
	}
}

// canonical re-encodes JSON so that two texts compare by meaning.
func canonical(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"error_14_captcha.json", "error_14_vkid.json", "error_17_validation.json",
		"error_24_confirmation.json", "error_15_subcode.json", "error_6_dupes.json", "error_100.json", "execute_partial.json", "success.json"} {
		t.Run(name, func(t *testing.T) {
			body := readFixture(t, name)
			env, err := vkerr.DecodeEnvelope(body)
			if err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			// The same JSON, with secrets redacted (api_hash, session_token).
			if got, want := canonical(t, out), canonical(t, []byte(vkerr.RedactString(string(body)))); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the JSON:\n got %s\nwant %s", out, body)
			}
		})
	}
}

func TestRoundTripRedactsSecrets(t *testing.T) {
	for _, name := range []string{"error_5_banned.json", "error_5_invalid.json"} {
		body := readFixture(t, name)
		env, err := vkerr.DecodeEnvelope(body)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal(env)
		if strings.Contains(string(out), "vk1.a.") {
			t.Errorf("%s: token in JSON output: %s", name, out)
		}
		// Apart from the redacted token, the JSON is unchanged.
		want := strings.NewReplacer("vk1.a.SECRETSECRETSECRET_token-123", vkerr.Redacted, "vk1.a.LEAKED_in_old_api_versions", vkerr.Redacted).Replace(string(body))
		if !reflect.DeepEqual(canonical(t, out), canonical(t, []byte(want))) {
			t.Errorf("%s:\n got %s\nwant %s", name, out, want)
		}
	}
}

func TestErrorIsShallow(t *testing.T) {
	e := decodeError(t, "error_14_captcha.json")
	for _, target := range []error{vkerr.Captcha, vkerr.ErrUserAction, &vkerr.Error{Code: vkerr.Captcha}} {
		if !e.Is(target) {
			t.Errorf("Is(%v) = false", target)
		}
	}
	for _, target := range []error{vkerr.TooMany, vkerr.ErrRateLimit, &vkerr.Error{Code: 15}, errors.New("x")} {
		if e.Is(target) {
			t.Errorf("Is(%v) = true", target)
		}
	}
	// Is compares one level: it does not look inside a wrapped target.
	if e.Is(fmt.Errorf("wrapped: %w", vkerr.Captcha)) {
		t.Error("Is unwrapped its target")
	}
	// errors.Is unwraps the error chain.
	wrapped := fmt.Errorf("sending: %w", e)
	var as *vkerr.Error
	if !errors.Is(wrapped, vkerr.Captcha) || !errors.As(wrapped, &as) || as != e {
		t.Error("matching through %w")
	}
}

// secrets are the values the fixtures and tests use for tokens and keys.
var secrets = []string{"vk1.a.SECRETSECRETSECRET", "vk1.a.LEAKED", "s3cr3t-client", "CAPKEY42", "succ-tok-9", "lpkey123", "sig0ff"}

func assertNoSecret(t *testing.T, where, s string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s shows secret %q: %s", where, sec, s)
		}
	}
}

func TestRedaction(t *testing.T) {
	e := &vkerr.Error{
		Code:        vkerr.Auth,
		Message:     "User authorization failed: access_token=vk1.a.SECRETSECRETSECRET was given to another ip",
		Text:        "see https://oauth.vk.com/blank.html#access_token=vk1.a.SECRETSECRETSECRET&expires_in=0",
		RedirectURI: "https://x.example/cb?client_secret=s3cr3t-client&captcha_key=CAPKEY42&success_token=succ-tok-9&key=lpkey123&sig=sig0ff",
		RequestParams: vkerr.RequestParams{
			{Key: "access_token", Value: "vk1.a.SECRETSECRETSECRET"}, {Key: "client_secret", Value: "s3cr3t-client"},
			{Key: "captcha_key", Value: "CAPKEY42"}, {Key: "success_token", Value: "succ-tok-9"}, {Key: "key", Value: "lpkey123"},
			{Key: "sig", Value: "sig0ff"}, {Key: "method", Value: "users.get"},
		},
		BanInfo: &vkerr.BanInfo{MemberName: "Ivan", AccessToken: "vk1.a.SECRETSECRETSECRET"},
		Extra:   map[string]json.RawMessage{"access_token": json.RawMessage(`"vk1.a.SECRETSECRETSECRET"`), "nested": json.RawMessage(`{"sig":"sig0ff"}`)},
	}
	assertNoSecret(t, "Error()", e.Error())
	assertNoSecret(t, "%v", fmt.Sprintf("%v", e))
	assertNoSecret(t, "%+v", fmt.Sprintf("%+v", e))
	assertNoSecret(t, "%s", fmt.Sprintf("%s", e))
	assertNoSecret(t, "%q", fmt.Sprintf("%q", e))
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecret(t, "JSON", string(b))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Error("call failed", "err", e)
	slog.New(slog.NewTextHandler(&buf, nil)).Error("call failed", "err", e)
	assertNoSecret(t, "slog", buf.String())
	if !strings.Contains(buf.String(), `"code":5`) || !strings.Contains(buf.String(), "err.category=auth") {
		t.Errorf("slog output lacks the error's attributes: %s", buf.String())
	}
	assertNoSecret(t, "RequestParams.String", e.RequestParams.String())
	assertNoSecret(t, "ExecuteErrors", vkerr.ExecuteErrors{e}.Error())
}

func TestRedactString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.vk.com/method/users.get?access_token=abc&v=5.199", "https://api.vk.com/method/users.get?access_token=[REDACTED]&v=5.199"},
		{"#access_token=abc&expires_in=0&user_id=1", "#access_token=[REDACTED]&expires_in=0&user_id=1"},
		{`{"key":"lp","ts":"1"}`, `{"key":"[REDACTED]","ts":"1"}`},
		{"Authorization: Bearer vk1.a.xyz", "Authorization: Bearer [REDACTED]"},
		{"token vk1.a.abc_DEF-12 leaked", "token [REDACTED] leaked"},
		{"0vk1.a.abc_DEF-12", "0[REDACTED]"}, // glued to other text (found by vkmock's fuzzer)
		{"monkey=banana&sigma=1", "monkey=banana&sigma=1"},
		{"plain text", "plain text"},
	}
	for _, tc := range tests {
		if got := vkerr.RedactString(tc.in); got != tc.want {
			t.Errorf("RedactString(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestErrorStrings(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{vkerr.Captcha, "vk: error 14: Captcha needed"},
		{&vkerr.Error{Code: 15, Subcode: 1133, Message: "Access denied: no access to call this method"}, "vk: error 15, subcode 1133: Access denied: no access to call this method"},
		{&vkerr.Error{Code: 18, Method: "video.getComments"}, "vk: video.getComments: error 18: User was deleted or banned"},
		{vkerr.SubcodeMethodPermissionDenied, "vk: " + vkerr.SubcodeMethodPermissionDenied.Error()[4:]},
		// VK's message has a number of its own: the code comes first, so
		// the two are not "(4). (5)".
		{&vkerr.Error{Code: 5, Method: "users.get", Message: "User authorization failed: invalid access_token (4)."}, "vk: users.get: error 5: User authorization failed: invalid access_token (4)."},
		{&vkerr.AdsError{Index: 2, Code: 100, Desc: "One of the parameters specified was missing or invalid"}, "vk: ads item 2: error 100: One of the parameters specified was missing or invalid"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	plus := fmt.Sprintf("%+v", decodeError(t, "error_14_captcha.json"))
	for _, want := range []string{"captcha_sid: 715397468519", "category: user_action", "request_params: peer_id=2000000001", "remedy: "} {
		if !strings.Contains(plus, want) {
			t.Errorf("%%+v lacks %q:\n%s", want, plus)
		}
	}
}

func TestDecodeErrorObjectTolerance(t *testing.T) {
	tests := []struct {
		in      string
		code    vkerr.Code
		wantErr bool
	}{
		{`{"error_code":"14","error_msg":"Captcha needed"}`, 14, false},
		{`{"error_code":14.0}`, 14, false},
		{`{"error_code":14,"request_params":null,"ban_info":null,"error_subcode":null}`, 14, false},
		{`{"error_code":14,"captcha_attempt":"3","remixstlid":"9069780796616521905"}`, 14, false},
		{`{"error_msg":"no code"}`, 0, true},
		{`{"error_code":14.5}`, 0, true},
		{`{"error_code":14,"request_params":{"k":"v"}}`, 14, true},
		{`null`, 0, true},
	}
	for _, tc := range tests {
		var e vkerr.Error
		err := json.Unmarshal([]byte(tc.in), &e)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v", tc.in, err)
		}
		if err == nil && e.Code != tc.code {
			t.Errorf("%s: code %d", tc.in, e.Code)
		}
	}
}

// TestMarshalWireRoundTrip: the wire form a server sends gives back the
// fixture's JSON, ids in captcha_img and redirect_uri included.
func TestMarshalWireRoundTrip(t *testing.T) {
	for _, name := range []string{"error_14_captcha.json", "error_14_vkid.json", "error_17_validation.json",
		"error_24_confirmation.json", "error_15_subcode.json", "error_6_dupes.json", "error_100.json", "execute_partial.json"} {
		body := readFixture(t, name)
		env, err := vkerr.DecodeEnvelope(body)
		if err != nil {
			t.Fatal(err)
		}
		out, err := env.MarshalWire()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := canonical(t, out), canonical(t, body); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: wire round trip changed the JSON:\n got %s\nwant %s", name, out, body)
		}
	}
}
