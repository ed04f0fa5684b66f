package schemac

import (
	"maps"
	"slices"
	"sort"
)

// param compiles a method parameter, filling what it lacks from its $ref.
func (c *compiler) param(file string, pd doc) (Param, error) {
	merged := doc{}
	if ref, ok := pd["$ref"].(string); ok {
		_, _, node, err := c.resolve(file, ref)
		if err != nil {
			return Param{}, err
		}
		for k, v := range node {
			merged[k] = v
		}
	}
	for k, v := range pd {
		if k != "$ref" {
			merged[k] = v
		}
	}
	p := Param{}
	p.Name, _ = merged["name"].(string)
	p.Type = typeString(merged["type"])
	p.Format, _ = merged["format"].(string)
	p.Required, _ = merged["required"].(bool)
	p.Min, p.Max = numPtr(merged["minimum"]), numPtr(merged["maximum"])
	p.MinLength, p.MaxLength = intPtr(merged["minLength"]), intPtr(merged["maxLength"])
	p.MinItems, p.MaxItems = intPtr(merged["minItems"]), intPtr(merged["maxItems"])
	for _, e := range asList(merged["enum"]) {
		if s, ok := enumString(e); ok {
			p.Enum = append(p.Enum, s)
		}
	}
	if it, ok := merged["items"].(doc); ok {
		item, err := c.param(file, it)
		if err != nil {
			return Param{}, err
		}
		item.Name = ""
		if props, ok := it["properties"].(doc); ok {
			names := slices.Sorted(maps.Keys(props))
			// The parts of "owner_id_photo_id" come in the order the
			// schema lists them; JSON objects lose it, so put ids first
			// by the fixed order of partRank, by name within a rank.
			sort.SliceStable(names, func(i, j int) bool { return partRank(names[i]) < partRank(names[j]) })
			for _, n := range names {
				pp, _ := props[n].(doc)
				part, err := c.param(file, pp)
				if err != nil {
					return Param{}, err
				}
				part.Name = n
				item.Parts = append(item.Parts, part)
			}
		}
		p.Items = &item
	}
	return p, nil
}

// partRank orders the parts of a value_object item: owner_id first, the
// hash or access_key last, the object id between.
func partRank(name string) int {
	switch name {
	case "owner_id":
		return 0
	case "hash", "access_key":
		return 2
	}
	return 1
}
