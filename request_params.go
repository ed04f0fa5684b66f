package vkerr

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// RequestParam is one entry of an error's request_params.
type RequestParam struct {
	Key   string
	Value string
	// NoValue is set when the server sent the key without a value, as it
	// does for {"key":"method"}.
	NoValue bool
}

// RequestParams is the request_params of an error: the request echoed as a
// list of key/value pairs. It is a multimap: keys may repeat, and the order
// is the server's.
type RequestParams []RequestParam

// Get returns the first value of key.
func (p RequestParams) Get(key string) (string, bool) {
	for _, kv := range p {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// Values returns every value of key, in order.
func (p RequestParams) Values(key string) []string {
	var vs []string
	for _, kv := range p {
		if kv.Key == key {
			vs = append(vs, kv.Value)
		}
	}
	return vs
}

// Method returns the value of the "method" entry VK adds to the echo.
func (p RequestParams) Method() string {
	v, _ := p.Get("method")
	return v
}

// String formats the params as key=value pairs, secrets redacted: which
// parameters are secrets depends on the method the echo names
// (IsSecretParamOf).
func (p RequestParams) String() string {
	method := p.Method()
	var b strings.Builder
	for i, kv := range p {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(RedactString(kv.Key))
		if kv.NoValue {
			continue
		}
		b.WriteByte('=')
		if IsSecretParamOf(method, kv.Key) {
			b.WriteString(Redacted)
		} else {
			b.WriteString(RedactString(kv.Value))
		}
	}
	return b.String()
}

// GoString prints the params as String does, so that %#v shows no secret.
func (p RequestParams) GoString() string {
	return "vkerr.RequestParams{" + strconv.Quote(p.String()) + "}"
}

// MarshalJSON encodes the params as VK does, [{"key":K,"value":V}, ...],
// the values of secret parameters of the echoed method redacted.
func (p RequestParams) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("null"), nil
	}
	method := p.Method()
	out := make([]json.RawMessage, 0, len(p))
	for _, kv := range p {
		b, err := kv.marshal(method)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return json.Marshal(out)
}

// MarshalJSON encodes the entry as {"key":K,"value":V}, the value of a secret
// parameter redacted. Alone, an entry does not know its method, so a name
// that is a secret in some method is redacted (IsSecretParam).
func (kv RequestParam) MarshalJSON() ([]byte, error) { return kv.marshal("") }

func (kv RequestParam) marshal(method string) ([]byte, error) {
	type wire struct {
		Key   string  `json:"key"`
		Value *string `json:"value,omitempty"`
	}
	w := wire{Key: RedactString(kv.Key)}
	if !kv.NoValue {
		v := kv.Value
		if IsSecretParamOf(method, kv.Key) {
			v = Redacted
		} else {
			v = RedactString(v)
		}
		w.Value = &v
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes {"key":K,"value":V}; the value may be absent, null,
// a string or a number.
func (kv *RequestParam) UnmarshalJSON(b []byte) error {
	var w struct {
		Key   json.RawMessage `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*kv = RequestParam{}
	if w.Key != nil {
		k, _, err := flexString(w.Key)
		if err != nil {
			return fmt.Errorf("key: %w", err)
		}
		kv.Key = k
	}
	if w.Value == nil || isNull(w.Value) {
		kv.NoValue = true
		return nil
	}
	v, _, err := flexString(w.Value)
	if err != nil {
		return fmt.Errorf("value: %w", err)
	}
	kv.Value = v
	return nil
}
