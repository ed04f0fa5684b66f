package vkapi

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Params holds the parameters of a call, by name. A value may be
//
//   - a string, []byte, or anything implementing encoding.TextMarshaler or
//     fmt.Stringer: sent as text;
//   - a number of any Go numeric type: sent in decimal (floats without an
//     exponent);
//   - a bool: sent as 1 or 0;
//   - a slice or array of the above: elements joined with commas;
//   - a struct, a map, or a pointer to one: sent as JSON (as for keyboard or
//     template);
//   - nil: the parameter is left out.
//
// A nil Params sends no parameters of its own. The client adds v and lang
// when they are absent, and the method's idempotency key (see Client.Call).
// Call never modifies the map.
type Params map[string]any

// encodeParams writes the form encoding of p, keys sorted, to b.
func encodeParams(b *strings.Builder, p Params) error {
	var stack [16]string
	keys := stack[:0]
	for k, v := range p {
		if v != nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "" {
			return fmt.Errorf("vkapi: a parameter with an empty name")
		}
		s, err := formatValue(p[k])
		if err != nil {
			return fmt.Errorf("vkapi: parameter %s: %w", k, err)
		}
		appendParam(b, k, s)
	}
	return nil
}

// appendParam adds k=v to the form b.
func appendParam(b *strings.Builder, k, v string) {
	if b.Len() > 0 {
		b.WriteByte('&')
	}
	b.WriteString(url.QueryEscape(k))
	b.WriteByte('=')
	b.WriteString(url.QueryEscape(v))
}

// formatValue turns one parameter value into its text on the wire.
func formatValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		return formatFloat(x, 64)
	case json.Number:
		return x.String(), nil
	case []string:
		return strings.Join(x, ","), nil
	case []int:
		var b strings.Builder
		for i, n := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(n))
		}
		return b.String(), nil
	case json.RawMessage:
		return string(x), nil
	case encoding.TextMarshaler:
		t, err := x.MarshalText()
		return string(t), err
	case fmt.Stringer:
		return x.String(), nil
	}
	return formatReflect(reflect.ValueOf(v), true)
}

func formatFloat(f float64, bits int) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("%v is not a number VK accepts", f)
	}
	return strconv.FormatFloat(f, 'f', -1, bits), nil
}

// formatReflect formats the kinds the type switch of formatValue does not
// name. top is false inside a list, where nested lists are refused.
func formatReflect(rv reflect.Value, top bool) (string, error) {
	switch rv.Kind() {
	case reflect.Invalid:
		return "", nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		if rv.Bool() {
			return "1", nil
		}
		return "0", nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32:
		return formatFloat(rv.Float(), 32)
	case reflect.Float64:
		return formatFloat(rv.Float(), 64)
	case reflect.Slice, reflect.Array:
		if !top {
			return "", fmt.Errorf("nested lists are not supported")
		}
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return "", nil
		}
		var b strings.Builder
		for i := 0; i < rv.Len(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			el := rv.Index(i)
			var s string
			var err error
			if el.CanInterface() {
				switch x := el.Interface().(type) {
				case encoding.TextMarshaler:
					var t []byte
					t, err = x.MarshalText()
					s = string(t)
				case fmt.Stringer:
					s = x.String()
				default:
					s, err = formatReflect(el, false)
				}
			} else {
				s, err = formatReflect(el, false)
			}
			if err != nil {
				return "", err
			}
			b.WriteString(s)
		}
		return b.String(), nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return "", nil
		}
		if rv.Kind() == reflect.Pointer && rv.Elem().Kind() != reflect.Struct && rv.Elem().Kind() != reflect.Map {
			return formatReflect(rv.Elem(), top)
		}
		return formatJSON(rv)
	case reflect.Struct, reflect.Map:
		return formatJSON(rv)
	}
	return "", fmt.Errorf("unsupported type %s", rv.Type())
}

func formatJSON(rv reflect.Value) (string, error) {
	if !rv.CanInterface() {
		return "", fmt.Errorf("unsupported type %s", rv.Type())
	}
	b, err := json.Marshal(rv.Interface())
	if err != nil {
		return "", err
	}
	return string(b), nil
}
