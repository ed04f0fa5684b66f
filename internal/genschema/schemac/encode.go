package schemac

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// Encode writes the schema as JSON. The output depends only on the schema.
func Encode(s *Schema) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Gzip compresses b deterministically (no name, no time stamp).
func Gzip(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode reads a schema written by Encode, gzip-compressed or not.
func Decode(b []byte) (*Schema, error) {
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if _, err := buf.ReadFrom(zr); err != nil {
			return nil, err
		}
		b = buf.Bytes()
	}
	s := &Schema{}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, err
	}
	return s, s.Check()
}

// Check verifies that every index in the schema is in range.
func (s *Schema) Check() error {
	n := len(s.Types)
	ok := func(i int) bool { return i >= 0 && i < n }
	for _, m := range s.Methods {
		if m.Name == "" {
			return errors.New("schemac: method without a name")
		}
		for _, v := range m.Responses {
			if !ok(v.Type) {
				return fmt.Errorf("schemac: %s: response type %d out of range", m.Name, v.Type)
			}
		}
	}
	for i, t := range s.Types {
		for _, p := range t.Props {
			if !ok(p.Type) {
				return fmt.Errorf("schemac: type %d: property %s out of range", i, p.Name)
			}
		}
		if t.Items != nil && !ok(*t.Items) {
			return fmt.Errorf("schemac: type %d: items out of range", i)
		}
		for _, j := range append(slices.Clone(t.AllOf), t.OneOf...) {
			if !ok(j) {
				return fmt.Errorf("schemac: type %d: subschema out of range", i)
			}
		}
	}
	return nil
}
