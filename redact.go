package vkerr

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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

// The forms in which a name is followed by its value in text. Each pattern
// matches the name (group 1) and what separates it from the value; the
// value is then read by the scanner of the form, so that a pattern never
// swallows the next name.
var (
	// "name": in JSON text, and \"name\": in JSON escaped into a string
	// (once or more: \\\"name\\\":).
	jsonName = regexp.MustCompile(`\\*"([A-Za-z0-9_]+)\\*"\s*:\s*`)
	// {"key":"name","value": an entry of request_params in raw JSON, also
	// escaped into a string.
	entryName = regexp.MustCompile(`\\*"key\\*"\s*:\s*\\*"([A-Za-z0-9_]+)\\*"\s*,\s*\\*"value\\*"\s*:\s*`)
	// name= in URLs, query strings, fragments and free text, also
	// percent-encoded (name%3D).
	assignName = regexp.MustCompile(`\b([A-Za-z0-9_]+)(?:\s*=\s*|%3[Dd])`)
	// name: in free text.
	colonName = regexp.MustCompile(`\b([A-Za-z0-9_]+)\s*:\s*`)
	// name value, unlabelled: the name, then white space or HTML tags
	// ("client_secret AbCd…", "<td>client_secret</td><td>AbCd…").
	spaceName = regexp.MustCompile(`\b([A-Za-z0-9_]+)(?:\s+|(?:\s*</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,100})?>\s*)+)`)
	// Authorization: Bearer <token>.
	secretBearer = regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+`)
	// VK token formats: vk1.a.… and the legacy 85-hex-digit keys.
	secretToken = regexp.MustCompile(`vk1\.a\.[A-Za-z0-9_.-]+|[0-9a-fA-F]{64,}`)
	// \u0041-style escapes of printable ASCII, which would hide a name or a
	// token from the patterns above.
	asciiEscape = regexp.MustCompile(`\\u00[2-7][0-9a-fA-F]`)
)

// RedactString masks every secret in s: the values of secret parameters
// (IsSecretParam) in URLs, query strings, JSON (also escaped into a string,
// also numbers, also as request_params entries), free text (name: value,
// name = "value"), bearer tokens, and anything shaped like a VK access
// token. \u escapes of printable ASCII are decoded first (except of '"' and
// '\'), so JSON text stays JSON.
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
	s = redactValues(s, entryName, jsonValue, nil)
	s = redactValues(s, jsonName, jsonValue, isEntryName)
	s = redactValues(s, assignName, textValue, isCaptchaSID)
	s = redactValues(s, colonName, textValue, isProse)
	s = redactValues(s, spaceName, credentialValue, notCredential)
	s = secretBearer.ReplaceAllString(s, "${1}"+Redacted)
	s = secretToken.ReplaceAllStringFunc(s, func(m string) string {
		if tokenLen(m, "0123456789eE") == len(m) {
			// A number (a JSON one stays JSON), not a hex key: one of
			// VK's 85 hex digits with no letter but e is a chance of
			// (11/16)^85, about 1e-14.
			return m
		}
		return Redacted
	})
	return s
}

// redactValues finds each name re matches; when the name is a secret and
// keep does not say otherwise, it replaces the value that value reads after
// the match by Redacted (in quotes if the value was quoted).
func redactValues(s string, re *regexp.Regexp, value func(string) (n int, open, close string), keep func(name, before, after string) bool) string {
	locs := re.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		if l[0] < last {
			continue // inside a value already redacted
		}
		name := s[l[2]:l[3]]
		if l[2] > 0 && s[l[2]-1] == '%' && len(name) > 2 {
			name = name[2:] // %3Fkey%3D: the name follows a percent escape
		}
		if !IsSecretParam(name) {
			continue
		}
		after := s[l[1]:]
		if keep != nil && keep(name, s[max(0, l[0]-64):l[0]], after[:min(len(after), 64)]) {
			continue
		}
		n, open, close := value(after)
		if n == 0 || strings.HasPrefix(strings.TrimLeft(after, `\"'`), Redacted) {
			continue
		}
		if esc := len(s[l[3]:]) - len(strings.TrimLeft(s[l[3]:], `\`)); esc > 0 && s[l[3]+esc] == '"' {
			// A key escaped into a string: quotes the redaction adds
			// around a bare value are escaped alike, so the JSON stays.
			q := strings.Repeat(`\`, esc) + `"`
			if open == `"` {
				open = q
			}
			if close == `"` {
				close = q
			}
		}
		b.WriteString(s[last:l[1]])
		b.WriteString(open + Redacted + close)
		last = l[1] + n
	}
	b.WriteString(s[last:])
	return b.String()
}

// jsonValue reads a JSON string, number or literal at the start of s; the
// string may be escaped into another (\"...\"), once or more.
func jsonValue(s string) (int, string, string) {
	k := len(s) - len(strings.TrimLeft(s, `\`))
	if k < len(s) && s[k] == '"' {
		q := s[:k+1]
		if k > 0 {
			if i := strings.Index(s[len(q):], q); i >= 0 {
				return i + 2*len(q), q, q
			}
			if closesEnclosing(s[len(q):]) {
				return 0, "", ""
			}
			// Never closed: the value ends where the string it is
			// escaped into ends, or, cut short, at the end.
			if i := unescapedQuote(s[len(q):]); i >= 0 {
				return len(q) + i, q, ""
			}
			return len(s), q, ""
		}
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				return i + 1, q, q
			}
		}
		if closesEnclosing(s[1:]) {
			return 0, "", ""
		}
		return len(s), q, ""
	}
	// A number or literal becomes the string "[REDACTED]", so JSON stays JSON.
	return tokenLen(s, "-+.0123456789eEtruefalsn"), `"`, `"`
}

// unescapedQuote is the index of the first '"' in s that no backslash
// escapes (one that ends the string s is in), or -1.
func unescapedQuote(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// closesEnclosing reports whether what follows a quote that is never
// closed shows it closed the string a key was escaped into (nothing, or
// JSON's punctuation or a quote follows), so there is no value; otherwise
// the text was cut short and its rest is the value.
func closesEnclosing(rest string) bool {
	rest = strings.TrimSpace(rest)
	return rest == "" || strings.ContainsRune("}],:\"", rune(rest[0]))
}

// textValue reads a value in free text: quoted with ", \" or ', or a run
// of characters up to white space or a delimiter of URLs, JSON and prose.
// An opening quote that is never closed (text cut short) quotes the run
// after it; with no run after it, it closes something else (a JSON string)
// and there is no value.
func textValue(s string) (int, string, string) {
	for _, q := range []string{`\"`, `"`, `'`} {
		if strings.HasPrefix(s, q) {
			if i := strings.Index(s[len(q):], q); i >= 0 {
				return i + 2*len(q), q, q
			}
			if n := runLen(s[len(q):], ")}]"); n > 0 {
				return len(q) + n, q, ""
			}
			return 0, "", ""
		}
	}
	return runLen(s, ""), "", ""
}

// runLen is the length of the run of characters at the start of s up to
// white space, a delimiter of URLs, JSON and prose, or one of stops.
func runLen(s, stops string) int {
	return len(s) - len(strings.TrimLeftFunc(s, func(r rune) bool {
		return !unicode.IsSpace(r) && !strings.ContainsRune("&#\"'<>,;\\", r) && !strings.ContainsRune(stops, r)
	}))
}

func tokenLen(s, chars string) int {
	n := 0
	for n < len(s) && strings.IndexByte(chars, s[n]) >= 0 {
		n++
	}
	return n
}

// isEntryName reports whether "key":"name" names an entry of
// request_params ({"key":"method","value":...} or {"key":"method"} in the
// array) rather than holding a Long Poll key.
func isEntryName(name, before, after string) bool {
	if !strings.EqualFold(name, "key") {
		return false
	}
	after = strings.TrimLeft(after, `\`)
	n, _, _ := jsonValue(after)
	rest := strings.TrimLeft(after[n:], " \t\r\n\\")
	if strings.HasPrefix(rest, `,`) && strings.HasPrefix(strings.TrimLeft(rest[1:], " \t\r\n\\"), `"value"`) {
		return true
	}
	b := strings.TrimRight(before, " \t\r\n")
	if !strings.HasPrefix(rest, "}") || !strings.HasSuffix(b, "{") {
		return false
	}
	b = strings.TrimRight(b[:len(b)-1], " \t\r\n")
	return strings.HasSuffix(b, ",") || strings.HasSuffix(b, "[")
}

// proseWords are secret names that are also words of VK's messages
// ("Unable to compile code: ';' expected").
var proseWords = map[string]bool{"code": true, "key": true, "sign": true, "hash": true, "token": true, "secret": true}

// isProse reports whether "word: value" is prose rather than a secret: the
// name is a word of proseWords and the value does not look like a
// credential (unquoted letters, digits, '.', '_' or '-': six or more with
// a digit, or twenty or more): "code: undefined" is prose.
func isProse(name, _, after string) bool {
	if !proseWords[strings.ToLower(name)] {
		return false
	}
	n := tokenLen(after, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
	return n < 6 || n < 20 && !strings.ContainsAny(after[:n], "0123456789")
}

// credentialChars are the characters of an unlabelled secret.
const credentialChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"

// credentialValue reads an unlabelled secret: a run of credentialChars.
func credentialValue(s string) (int, string, string) { return tokenLen(s, credentialChars), "", "" }

// notCredential reports whether the word after an unlabelled secret name
// ("client_secret AbCd…") is prose rather than the secret: a secret is a
// run of letters, digits and '_' of six or more with a letter and a digit,
// or of sixteen or more in mixed case ("client_secret is undefined" and
// "access_token has expired." stay).
func notCredential(_, _, after string) bool {
	n := tokenLen(after, credentialChars)
	if n < len(after) && after[n] == '-' || n < len(after) && after[n] == '.' && n+1 < len(after) && after[n+1] != ' ' {
		return true // a-hyphenated-word or a.dotted.name: prose or a file
	}
	run := after[:n]
	letter := strings.IndexFunc(run, unicode.IsLetter) >= 0
	digit := strings.ContainsAny(run, "0123456789")
	mixed := strings.IndexFunc(run, unicode.IsUpper) >= 0 && strings.IndexFunc(run, unicode.IsLower) >= 0
	return !(n >= 6 && letter && digit || n >= 16 && mixed)
}

// isCaptchaSID reports whether a sid= is that of a captcha image
// (captcha.php?sid=N): the captcha_sid the user must be shown, not the
// session of the legacy API.
func isCaptchaSID(name, before, _ string) bool {
	before = strings.ToLower(before)
	return strings.EqualFold(name, "sid") && (strings.HasSuffix(before, "captcha.php?") || strings.HasSuffix(before, "captcha.php%3f"))
}

// RedactShort redacts s and then cuts it to at most n bytes on a rune boundary,
// adding "…" when it cut: redact first, then shorten, so that no piece of a
// secret survives the cut. A redaction marker is never cut in two.
func RedactShort(s string, n int) string {
	s = RedactString(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if i := strings.LastIndex(s[:cut], Redacted[:1]); i >= 0 && i+len(Redacted) > cut && strings.HasPrefix(s[i:], Redacted) {
		cut = i
	}
	return s[:cut] + "…"
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
