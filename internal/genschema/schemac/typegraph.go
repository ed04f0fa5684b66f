package schemac

import (
	"encoding/json"
	"maps"
	"slices"
)

// typ compiles a schema node into the type graph and returns its index.
func (c *compiler) typ(file string, node doc) (int, error) {
	if ref, ok := node["$ref"].(string); ok {
		rfile, name, target, err := c.resolve(file, ref)
		if err != nil {
			return 0, err
		}
		key := rfile + "#" + name
		if i, ok := c.named[key]; ok {
			return i, nil
		}
		i := len(c.types)
		c.types = append(c.types, Type{Name: name})
		c.named[key] = i
		t, err := c.build(rfile, target)
		if err != nil {
			return 0, err
		}
		t.Name = name
		c.types[i] = t
		return i, nil
	}
	i := len(c.types)
	c.types = append(c.types, Type{})
	t, err := c.build(file, node)
	if err != nil {
		return 0, err
	}
	c.types[i] = t
	return i, nil
}

// build compiles the node itself: properties, items, allOf/oneOf, enum
// and bounds; what it refers to goes through typ.
func (c *compiler) build(file string, node doc) (Type, error) {
	t := Type{Kind: typeString(node["type"])}
	if props, ok := node["properties"].(doc); ok {
		for _, n := range slices.Sorted(maps.Keys(props)) {
			pd, _ := props[n].(doc)
			idx, err := c.typ(file, pd)
			if err != nil {
				return t, err
			}
			req, _ := pd["required"].(bool)
			t.Props = append(t.Props, Prop{Name: n, Type: idx, Required: req})
		}
		if t.Kind == "" {
			t.Kind = "object"
		}
	}
	if it, ok := node["items"].(doc); ok {
		idx, err := c.typ(file, it)
		if err != nil {
			return t, err
		}
		t.Items = &idx
		if t.Kind == "" {
			t.Kind = "array"
		}
	}
	for _, key := range []string{"allOf", "oneOf"} {
		for _, sv := range asList(node[key]) {
			sd, _ := sv.(doc)
			idx, err := c.typ(file, sd)
			if err != nil {
				return t, err
			}
			if key == "allOf" {
				t.AllOf = append(t.AllOf, idx)
			} else {
				t.OneOf = append(t.OneOf, idx)
			}
		}
	}
	if t.Kind == "" {
		t.Kind = "any"
		if len(t.AllOf) > 0 {
			t.Kind = "object"
		}
	}
	for _, e := range asList(node["enum"]) {
		b, err := json.Marshal(e)
		if err != nil {
			return t, err
		}
		t.Enum = append(t.Enum, b)
	}
	t.Min, t.Max = numPtr(node["minimum"]), numPtr(node["maximum"])
	t.MinItems, t.MaxItems = intPtr(node["minItems"]), intPtr(node["maxItems"])
	t.MaxProps = intPtr(node["maxProperties"])
	t.Format, _ = node["format"].(string)
	return t, nil
}
