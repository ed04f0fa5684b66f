// Package redacttest builds the table of secrets × places × forms that the
// redaction tests of vkerr and cmd/vk drive through every output: VK bodies
// that carry a secret, and the secret that no output may show, whole or in
// part.
package redacttest

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
)

// Case is one body that carries one secret.
type Case struct {
	Name   string // secret/place/form, for the test's name
	Body   []byte // what the VK platform could answer
	Secret string // no output may contain it or any Piece of it
}

// PieceLen is the length of the pieces of a secret the tests look for.
const PieceLen = 8

// Pieces returns every substring of secret of PieceLen bytes (the secret
// itself when shorter).
func Pieces(secret string) []string {
	if len(secret) <= PieceLen {
		return []string{secret}
	}
	out := make([]string, 0, len(secret)-PieceLen+1)
	for i := 0; i+PieceLen <= len(secret); i++ {
		out = append(out, secret[i:i+PieceLen])
	}
	return out
}

// Leak returns the first piece of secret found in out, or "".
func Leak(out, secret string) string {
	for _, p := range Pieces(secret) {
		if strings.Contains(out, p) {
			return p
		}
	}
	return ""
}

// Names are the parameter names that carry secrets (issue 11's list, the
// brief's and the suffix rule's).
var Names = []string{
	"access_token", "client_secret", "captcha_key", "success_token", "key", "sig", "_sig", "sign",
	"hash", "rhash", "api_hash", "password", "old_password", "new_password", "secret_key", "secret",
	"code", "refresh_token", "sid", "restore_sid", "validation_sid", "change_password_hash",
	"access_key", "token", "code_verifier", "vk_access_token",
}

// secretFor makes the value of name: 20 letters and digits, fixed for a
// name, with no shape a pattern could know it by.
func secretFor(name string) string {
	var seed uint64
	for _, c := range name {
		seed = seed*131 + uint64(c)
	}
	r := rand.New(rand.NewPCG(seed, 11))
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 20)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// Forms write name and value into free text, the ways they are found in
// messages, URLs and logs.
var Forms = []struct {
	Name  string
	Write func(name, value string) string
}{
	{"url", func(n, v string) string { return "https://example.com/cb?a=1&" + n + "=" + v + "&b=2" }},
	{"fragment", func(n, v string) string { return "https://oauth.vk.com/blank.html#" + n + "=" + v + "&expires_in=0" }},
	{"percent", func(n, v string) string { return "redirect=https%3A%2F%2Fx%3F" + n + "%3D" + v + "%26y%3D1" }},
	{"colon", func(n, v string) string { return "failed, " + n + ": " + v + " is wrong" }},
	{"quoted", func(n, v string) string { return "call(" + n + `="` + v + `")` }},
	{"spaced", func(n, v string) string { return n + " = " + v + "; retry" }},
	{"json", func(n, v string) string { return `{"` + n + `":"` + v + `"}` }},
	{"escaped-json", func(n, v string) string { return `{\"` + n + `\":\"` + v + `\"}` }},
	{"u-escaped-json", func(n, v string) string { return `{"` + uEscape(n) + `":"` + uEscape(v) + `"}` }},
	// Unlabelled: the name, a space, the value (issue 23).
	{"unlabelled", func(n, v string) string { return "sent " + n + " " + v + " to the server" }},
	{"html-cell", func(n, v string) string { return "<tr><td>" + n + "</td><td><code>" + v + "</code></td></tr>" }},
}

// uEscape writes every byte of s as a \u00XX escape.
func uEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, `\u%04x`, s[i])
	}
	return b.String()
}

func str(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Places put a fragment of text into a body, in every field of every answer
// shape that carries text.
var Places = []struct {
	Name string
	Body func(frag string) string
}{
	{"error_msg", func(f string) string { return `{"error":{"error_code":5,"error_msg":` + str(f) + `}}` }},
	{"error_text", func(f string) string {
		return `{"error":{"error_code":100,"error_msg":"x","error_text":` + str(f) + `}}`
	}},
	{"captcha_img", func(f string) string {
		return `{"error":{"error_code":14,"error_msg":"Captcha needed","captcha_sid":"1","captcha_img":` + str(f) + `}}`
	}},
	{"redirect_uri", func(f string) string {
		return `{"error":{"error_code":17,"error_msg":"v","redirect_uri":` + str(f) + `}}`
	}},
	{"confirmation_text", func(f string) string {
		return `{"error":{"error_code":24,"error_msg":"c","confirmation_text":` + str(f) + `}}`
	}},
	{"ban_info.message", func(f string) string {
		return `{"error":{"error_code":5,"error_msg":"b","ban_info":{"member_name":"x","message":` + str(f) + `}}}`
	}},
	{"ban_info.member_name", func(f string) string {
		return `{"error":{"error_code":5,"error_msg":"b","ban_info":{"member_name":` + str(f) + `}}}`
	}},
	{"request_params.value", func(f string) string {
		return `{"error":{"error_code":100,"error_msg":"p","request_params":[{"key":"method","value":"users.get"},{"key":"q","value":` + str(f) + `}]}}`
	}},
	{"unknown_field", func(f string) string { return `{"error":{"error_code":1,"error_msg":"u","debug":` + str(f) + `}}` }},
	{"unknown_nested", func(f string) string {
		return `{"error":{"error_code":1,"error_msg":"u","trace":{"steps":[` + str(f) + `]}}}`
	}},
	{"execute_errors", func(f string) string {
		return `{"response":[false],"execute_errors":[{"method":"users.get","error_code":100,"error_msg":` + str(f) + `}]}`
	}},
	{"ads_item", func(f string) string { return `{"response":[{"id":1},{"error_code":100,"error_desc":` + str(f) + `}]}` }},
	{"ads_lone_item", func(f string) string { return `{"error_code":100,"error_desc":` + str(f) + `}` }},
	{"upload_docs", func(f string) string { return `{"error":` + str(f) + `}` }},
	{"upload_video", func(f string) string { return `{"error_code":1,"error_descr":` + str(f) + `,"error_is_logged":true}` }},
	{"oauth", func(f string) string { return `{"error":"invalid_grant","error_description":` + str(f) + `}` }},
	{"long_poll", func(f string) string { return `{"failed":2,"error":` + str(f) + `}` }},
	{"html_page", func(f string) string { return "<html><head><title>502</title></head><body>" + f + "</body></html>" }},
	{"truncated_json", func(f string) string { return `{"error":{"error_code":5,"error_msg":` + str(f) }},
}

// Cases returns the whole table: every name × form × place, then the
// secrets that are known by name alone (request_params entries, unknown
// fields with any value type, ban_info.access_token, validation_sid), and
// the token shapes known without a name (vk1.a.…, 85 hex digits, bearer).
func Cases() []Case {
	var cases []Case
	for _, n := range Names {
		v := secretFor(n)
		for _, form := range Forms {
			frag := form.Write(n, v)
			for _, p := range Places {
				cases = append(cases, Case{Name: n + "/" + p.Name + "/" + form.Name, Body: []byte(p.Body(frag)), Secret: v})
			}
		}
		named := map[string]string{
			"request_params":           `{"error":{"error_code":5,"error_msg":"a","request_params":[{"key":"method","value":"users.get"},{"key":` + str(n) + `,"value":` + str(v) + `}]}}`,
			"request_params_no_method": `{"error":{"error_code":5,"error_msg":"a","request_params":[{"key":` + str(n) + `,"value":` + str(v) + `}]}}`,
			"unknown_field":            `{"error":{"error_code":5,"error_msg":"a",` + str(n) + `:` + str(v) + `}}`,
			"unknown_field_escaped":    `{"error":{"error_code":5,"error_msg":"a","` + uEscape(n) + `":"` + uEscape(v) + `"}}`,
			"unknown_field_object":     `{"error":{"error_code":5,"error_msg":"a","auth":{` + str(n) + `:` + str(v) + `}}}`,
			"oauth_field":              `{"error":"need_validation","error_description":"x",` + str(n) + `:` + str(v) + `}`,
			"truncated_request_params": `{"error":{"error_code":5,"request_params":[{"key":` + str(n) + `,"value":` + str(v) + `},{"key":"v","value":"5.199"}`,
		}
		for _, place := range slices.Sorted(maps.Keys(named)) {
			cases = append(cases, Case{Name: n + "/" + place + "/by-name", Body: []byte(named[place]), Secret: v})
		}
	}
	// A numeric captcha_key in an unknown field and in request_params.
	num := "4829107355"
	cases = append(cases,
		Case{Name: "captcha_key/unknown_field/number", Body: []byte(`{"error":{"error_code":14,"error_msg":"c","captcha_key":` + num + `}}`), Secret: num},
		Case{Name: "captcha_key/request_params/number", Body: []byte(`{"error":{"error_code":14,"error_msg":"c","request_params":[{"key":"captcha_key","value":` + num + `}]}}`), Secret: num},
		Case{Name: "password/unknown_field/number", Body: []byte(`{"error":{"error_code":5,"error_msg":"c","password":` + num + `}}`), Secret: num},
		Case{Name: "ban_info.access_token", Body: []byte(`{"error":{"error_code":5,"error_msg":"b","ban_info":{"member_name":"x","access_token":"` + secretFor("ban") + `"}}}`), Secret: secretFor("ban")},
	)
	tokens := []string{
		"vk1.a." + secretFor("vk1") + secretFor("vk1b") + "_-" + secretFor("vk1c"),
		strings.Repeat("0123456789abcdef", 5) + "01234",
	}
	for i, tok := range tokens {
		frags := map[string]string{
			"bare":     "token " + tok + " refused",
			"glued":    "tok=x" + tok + "!",
			"bearer":   "Authorization: Bearer " + tok,
			"u-escape": uEscape(tok),
		}
		for _, form := range slices.Sorted(maps.Keys(frags)) {
			frag := frags[form]
			for _, p := range Places {
				cases = append(cases, Case{Name: fmt.Sprintf("token%d/%s/%s", i, p.Name, form), Body: []byte(p.Body(frag)), Secret: tok})
			}
		}
	}
	return cases
}

// Table is Cases and then SnippetCases, in a fixed order. sampled keeps
// every 16th case, a fixed sample across names, forms and places, for the
// runs under the race detector.
func Table(sampled bool) []Case {
	cases := append(Cases(), SnippetCases()...)
	if !sampled {
		return cases
	}
	var sample []Case
	for i := 0; i < len(cases); i += 16 {
		sample = append(sample, cases[i])
	}
	return sample
}

// SnippetCases puts a secret at every offset from 100 to 260 bytes into an
// HTML page, so that the 200-byte cut of a snippet falls before, inside and
// after it; each case's body is long enough to be cut.
func SnippetCases() []Case {
	var cases []Case
	v := secretFor("snippet")
	tok := "vk1.a." + secretFor("snippet-token") + secretFor("snippet-token2")
	for off := 100; off <= 260; off++ {
		frags := map[string]string{"access_token=": "access_token=" + v, "password: ": "password: " + v, "bare-token": tok}
		for _, form := range slices.Sorted(maps.Keys(frags)) {
			frag := frags[form]
			secret := v
			if form == "bare-token" {
				secret = tok
			}
			body := "<html><body>" + strings.Repeat("x", off-len("<html><body>")) + frag + " " + strings.Repeat("y", 300) + "</body></html>"
			cases = append(cases, Case{Name: fmt.Sprintf("offset%d/%s", off, form), Body: []byte(body), Secret: secret})
		}
	}
	return cases
}
