package vkerr

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Redacted replaces a secret wherever vkerr prints, logs or encodes one.
const Redacted = "[REDACTED]"

// This file holds every rule of redaction, for vkerr and for the packages
// that use it (vkapi, vkmock, cmd/vk): which parameter names carry secrets,
// in which methods a name does not, and the forms in which a secret is found
// in free text. Redact first, then shorten: a secret is masked in the whole
// text before anything is cut (see Snippet).

// secretParams are the parameter and field names whose values are secrets
// in the VK API, OAuth, Long Poll, Callback API and the upload servers.
var secretParams = map[string]bool{
	"access_token":         true,
	"client_secret":        true,
	"captcha_key":          true,
	"success_token":        true,
	"key":                  true, // Long Poll key (a name in storage.get: see publicIn)
	"sig":                  true, // legacy request signature
	"_sig":                 true, // upload signature
	"sign":                 true, // app launch and payment signatures
	"hash":                 true, // upload signature, auth hashes
	"rhash":                true, // upload signature
	"api_hash":             true,
	"password":             true,
	"old_password":         true,
	"new_password":         true,
	"secret_key":           true, // groups.addCallbackServer
	"secret":               true, // Callback API secret
	"code":                 true, // OAuth authorization code (VKScript in execute: see publicIn)
	"code_verifier":        true, // OAuth PKCE
	"refresh_token":        true,
	"exchange_token":       true,
	"token":                true, // secure.checkToken, device tokens
	"sid":                  true, // session of the legacy API
	"restore_sid":          true,
	"validation_sid":       true,
	"change_password_hash": true,
	"access_key":           true, // grants access to a private object
}

// publicIn lists, for a name of secretParams, the methods in which a
// parameter of that name carries no secret. Every pair but execute's code
// is in the schema (schemaParams; TestPublicParamsAreInTheSchema): execute
// takes its VKScript in code, but the schema lists no parameters for it.
var publicIn = map[string]map[string]bool{
	"code": {
		"execute":               true, // the VKScript program
		"database.getCountries": true, // ISO 3166-1 country codes
		"appWidgets.update":     true, // the widget's VKScript
	},
	"key": {
		"storage.get":                   true, // variable name
		"storage.set":                   true, // variable name
		"utils.getLinkStats":            true, // the vk.cc link's key
		"utils.deleteFromLastShortened": true, // the vk.cc link's key
		"account.setPushSettings":       true, // notification kind
	},
}

// secretSuffixes make a name secret that is not on the list but says what
// it holds: vk_access_token, app_secret, user_password, photo_hash, api_key.
var secretSuffixes = []string{"_token", "_secret", "password", "_hash", "_key", "_sig"}

// IsSecretParam reports whether a request parameter or JSON field named name
// holds a secret when the method is not known: access_token, client_secret,
// captcha_key, success_token, the Long Poll key, sig, _sig, sign, hash,
// rhash, api_hash, passwords, secret_key, secret, the OAuth code,
// refresh_token, sid, restore_sid, validation_sid, change_password_hash,
// access_key, and any name ending in _token, _secret, password, _hash, _key
// or _sig. When in doubt, a name is a secret. Use IsSecretParamOf when the
// method is known.
func IsSecretParam(name string) bool {
	n := strings.ToLower(name)
	if secretParams[n] {
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// IsSecretParamOf reports whether the parameter name of method holds a
// secret: as IsSecretParam, except for the parameters the schema shows to
// be plain data in that method, such as execute's code (the VKScript) or
// storage.get's key (a variable name). An empty or unknown method is not
// known, so the name is judged alone.
func IsSecretParamOf(method, name string) bool {
	if !IsSecretParam(name) {
		return false
	}
	return !publicIn[strings.ToLower(name)][method]
}

// SchemaHasParam reports whether the schema lists a parameter name for
// method.
func SchemaHasParam(method, name string) bool {
	list, ok := schemaParams[method]
	if !ok {
		return false
	}
	_, found := slices.BinarySearch(strings.Fields(list), name)
	return found
}

// secretNamePattern matches a secret name in free text: a name of
// secretParams or a word ending in one of secretSuffixes. It starts at a
// word boundary, so captcha_sid is not sid.
var secretNamePattern = func() string {
	names := make([]string, 0, len(secretParams))
	for n := range secretParams {
		names = append(names, regexp.QuoteMeta(n))
	}
	// Longest first, so that old_password wins over password.
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) })
	suffixes := make([]string, 0, len(secretSuffixes))
	for _, s := range secretSuffixes {
		suffixes = append(suffixes, regexp.QuoteMeta(s))
	}
	return `(?:\w*(?:` + strings.Join(suffixes, "|") + `)|` + strings.Join(names, "|") + `)`
}()

var (
	// \"name\":\"value\" in JSON that was itself escaped into a string.
	secretEscapedJSON = regexp.MustCompile(`(?i)(\\"(` + secretNamePattern + `)\\"\s*:\s*)(?:\\"(?:[^\\]|\\[^"])*\\"|[-+.0-9eE]+|true|false)`)
	// "name":"value" and "name":123 in JSON text.
	secretJSON = regexp.MustCompile(`(?i)("(` + secretNamePattern + `)"\s*:\s*)(?:"(?:[^"\\]|\\.)*"|[-+.0-9eE]+|true|false)`)
	// {"key":"name","value":"secret"}: an entry of request_params in raw
	// JSON, also escaped into a string.
	secretEntry        = regexp.MustCompile(`(?i)("key"\s*:\s*"` + secretNamePattern + `"\s*,\s*"value"\s*:\s*)(?:"(?:[^"\\]|\\.)*"|[-+.0-9eE]+)`)
	secretEscapedEntry = regexp.MustCompile(`(?i)(\\"key\\"\s*:\s*\\"` + secretNamePattern + `\\"\s*,\s*\\"value\\"\s*:\s*)(?:\\"(?:[^\\]|\\[^"])*\\"|[-+.0-9eE]+)`)
	// name=value in URLs, query strings, fragments and free text, also
	// percent-encoded (name%3Dvalue), with the value quoted or not.
	secretAssign = regexp.MustCompile(`(?i)(\b(` + secretNamePattern + `)(?:\s*=\s*|%3D))(?:"[^"]*"|'[^']*'|[^&#\s"'<>,;)}\]\\]+)`)
	// name: value and name: "value" in free text.
	secretColon = regexp.MustCompile(`(?i)(\b(` + secretNamePattern + `)\s*:\s*)(?:"[^"]*"|'[^']*'|[^&#\s"'<>,;)}\]\\]+)`)
	// Authorization: Bearer <token>.
	secretBearer = regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+`)
	// VK token formats: vk1.a.… and the legacy 85-hex-digit keys.
	secretToken = regexp.MustCompile(`vk1\.a\.[A-Za-z0-9_.-]+|\b[0-9a-fA-F]{64,}\b`)
	// \u0041-style escapes of printable ASCII, which would hide a name or a
	// token from the patterns above.
	asciiEscape = regexp.MustCompile(`\\u00[2-7][0-9a-fA-F]`)
	// What follows "key":"name" when it names an entry of request_params
	// rather than holding a Long Poll key.
	entryValue        = regexp.MustCompile(`^\s*,\s*"value"`)
	escapedEntryValue = regexp.MustCompile(`^\s*,\s*\\"value\\"`)
	// {"key":"method"}, an entry without a value, in the array.
	entryAlone = regexp.MustCompile(`^\s*}`)
	entryStart = regexp.MustCompile(`[\[,]\s*\{\s*$`)
)

// RedactString masks every secret in s: the values of secret parameters in
// URLs, query strings, JSON (also escaped into a string, also numbers, also
// as request_params entries), free text (name: value, name = "value"),
// bearer tokens, and anything shaped like a VK access token. \u escapes of
// printable ASCII are decoded first (except of '"' and '\'), so JSON text
// stays JSON.
func RedactString(s string) string {
	if s == "" {
		return s
	}
	if strings.Contains(s, `\u00`) {
		s = asciiEscape.ReplaceAllStringFunc(s, func(m string) string {
			n, err := strconv.ParseUint(m[2:], 16, 8)
			if err != nil || n == '"' || n == '\\' || n < 0x20 || n > 0x7e {
				return m
			}
			return string(rune(n))
		})
	}
	s = secretEntry.ReplaceAllString(s, `${1}"`+Redacted+`"`)
	s = secretEscapedEntry.ReplaceAllString(s, `${1}\"`+Redacted+`\"`)
	s = replaceSecrets(s, secretEscapedJSON, `\"`+Redacted+`\"`, func(name, _, after string) bool {
		return strings.EqualFold(name, "key") && escapedEntryValue.MatchString(after)
	})
	s = replaceSecrets(s, secretJSON, `"`+Redacted+`"`, func(name, before, after string) bool {
		return strings.EqualFold(name, "key") && (entryValue.MatchString(after) ||
			entryAlone.MatchString(after) && entryStart.MatchString(before))
	})
	s = replaceSecrets(s, secretAssign, Redacted, isCaptchaSID)
	s = replaceSecrets(s, secretColon, Redacted, nil)
	s = secretBearer.ReplaceAllString(s, "${1}"+Redacted)
	s = secretToken.ReplaceAllString(s, Redacted)
	return s
}

// isCaptchaSID reports whether a sid= is that of a captcha image
// (captcha.php?sid=N): the captcha_sid the user must be shown, not the
// session of the legacy API.
func isCaptchaSID(name, before, _ string) bool {
	before = strings.ToLower(before)
	return strings.EqualFold(name, "sid") && (strings.HasSuffix(before, "captcha.php?") || strings.HasSuffix(before, "captcha.php%3f"))
}

// replaceSecrets replaces the value of each match of re (group 1: what
// stays, group 2: the name) by repl, unless keep says the match holds no
// secret; keep sees the name and up to 64 bytes before and after the match.
func replaceSecrets(s string, re *regexp.Regexp, repl string, keep func(name, before, after string) bool) string {
	locs := re.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		if keep != nil && keep(s[l[4]:l[5]], s[max(0, l[0]-64):l[0]], s[l[1]:min(len(s), l[1]+64)]) {
			continue
		}
		b.WriteString(s[last:l[3]])
		b.WriteString(repl)
		last = l[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// RedactJSON returns the JSON value v with every secret masked: the value of
// any member whose name is a secret (IsSecretParam) becomes Redacted,
// whatever its type, and every string passes through RedactString. Escapes
// in names and strings cannot hide a secret, since v is decoded first. Text
// that is not JSON is returned as a JSON string of its redacted text.
func RedactJSON(v json.RawMessage) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		b, _ := json.Marshal(RedactString(string(v)))
		return b
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(redactValue(x)); err != nil {
		b, _ := json.Marshal(Redacted)
		return b
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

func redactValue(x any) any {
	switch t := x.(type) {
	case string:
		return RedactString(t)
	case []any:
		for i := range t {
			t[i] = redactValue(t[i])
		}
		return t
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			if IsSecretParam(k) {
				out[RedactString(k)] = Redacted
				continue
			}
			out[RedactString(k)] = redactValue(v)
		}
		return out
	}
	return x
}
