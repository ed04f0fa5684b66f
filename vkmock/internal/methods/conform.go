package methods

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Check reports whether body, the JSON of a "response" value, is valid
// against the variant's schema: types, required and unknown properties,
// enums, ranges, item and property counts, URLs. The error names the
// path of the first problem ("wall.get.items[0].date: ..."), path being
// its start. The tests of the mock's answers use it.
func (v *Variant) Check(body []byte, path string) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var val any
	if err := dec.Decode(&val); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if dec.More() {
		return fmt.Errorf("%s: more than one JSON value", path)
	}
	return conforms(v.typ, val, path, 0)
}

// conforms checks a decoded JSON value against a response type.
func conforms(t *rtype, v any, path string, depth int) error {
	if depth > 64 {
		return nil
	}
	if len(t.oneOf) > 0 {
		var errs []string
		for _, o := range t.oneOf {
			err := conforms(o, v, path, depth+1)
			if err == nil {
				return nil
			}
			errs = append(errs, err.Error())
		}
		return fmt.Errorf("%s: matches no oneOf member: %s", path, strings.Join(errs, "; "))
	}
	if len(t.enum) > 0 {
		return inEnum(t, v, path)
	}
	switch x := v.(type) {
	case map[string]any:
		return conformsObject(t, x, path, depth)
	case []any:
		if t.kinds&kArray == 0 {
			return fmt.Errorf("%s: array, want %s", path, t.raw.Kind)
		}
		if len(x) < t.minItems || t.maxItems >= 0 && len(x) > t.maxItems {
			return fmt.Errorf("%s: %d items", path, len(x))
		}
		if t.items != nil {
			for i, e := range x {
				if err := conforms(t.items, e, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
					return err
				}
			}
		}
	case string:
		if t.kinds&kString == 0 {
			return fmt.Errorf("%s: string, want %s", path, t.raw.Kind)
		}
		if t.uri && !isURL(x) {
			return fmt.Errorf("%s: %q is not a URL", path, x)
		}
	case json.Number:
		if t.kinds&(kInteger|kNumber) == 0 {
			return fmt.Errorf("%s: number, want %s", path, t.raw.Kind)
		}
		f, err := x.Float64()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if t.kinds&kNumber == 0 {
			if _, err := x.Int64(); err != nil {
				return fmt.Errorf("%s: %s is not an integer", path, x)
			}
		}
		if t.hasMin && f < t.min || t.hasMax && f > t.max {
			return fmt.Errorf("%s: %s out of range", path, x)
		}
	case bool:
		if t.kinds&kBoolean == 0 {
			return fmt.Errorf("%s: boolean, want %s", path, t.raw.Kind)
		}
	case nil:
		if t.kinds != kAny {
			return fmt.Errorf("%s: null, want %s", path, t.raw.Kind)
		}
	}
	return nil
}

func inEnum(t *rtype, v any, path string) error {
	b, _ := json.Marshal(v) // a decoded value: cannot fail
	for _, e := range t.enum {
		var ev any
		if json.Unmarshal(e, &ev) != nil {
			continue
		}
		if eb, _ := json.Marshal(ev); bytes.Equal(b, eb) {
			return nil
		}
	}
	return fmt.Errorf("%s: %s not in enum", path, b)
}

func conformsObject(t *rtype, x map[string]any, path string, depth int) error {
	if t.kinds&kObject == 0 {
		return fmt.Errorf("%s: object, want %s", path, t.raw.Kind)
	}
	for _, p := range t.props {
		pv, ok := x[p.name]
		if !ok {
			if p.required {
				return fmt.Errorf("%s: required %s missing", path, p.name)
			}
			continue
		}
		if err := conforms(p.typ, pv, path+"."+p.name, depth+1); err != nil {
			return err
		}
	}
	if t.hasProps {
		for k := range x {
			known := false
			for _, p := range t.props {
				if p.name == k {
					known = true
					break
				}
			}
			if !known {
				return fmt.Errorf("%s: unknown property %s", path, k)
			}
		}
	}
	if t.maxProps >= 0 && len(x) > t.maxProps {
		return fmt.Errorf("%s: %d properties, max %d", path, len(x), t.maxProps)
	}
	return nil
}

// isURL: VK's URLs are https; the mock's own (upload_url) are http when it
// listens on a loopback address without TLS.
func isURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		ip := net.ParseIP(u.Hostname())
		return ip != nil && ip.IsLoopback()
	}
	return false
}
