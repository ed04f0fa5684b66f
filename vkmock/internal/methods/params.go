package methods

import (
	"math"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/genschema/schemac"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// Validate checks the parameters of q against the method's: the first
// problem is answered with error 100 naming the parameter in VK's words
// ("One of the parameters specified was missing or invalid: owner_id not
// integer"), msgs giving the message. It returns nil for valid
// parameters.
func (m *Method) Validate(q *core.Request, msgs core.Messages) *vkerr.Error {
	if name, bad := q.BadUTF8(); bad {
		return msgs.Param(name + " is invalid")
	}
	for _, ps := range m.params {
		v, _ := q.Get(ps.name)
		if v == "" {
			if ps.required {
				return msgs.Param(ps.name + " is undefined")
			}
			continue
		}
		if d := ps.check(v); d != "" {
			return msgs.Param(string(d))
		}
	}
	return nil
}

// paramSpec validates one parameter.
type paramSpec struct {
	name     string
	kinds    kinds
	required bool
	hasMin   bool
	hasMax   bool
	min, max float64
	minLen   int // -1: none
	maxLen   int
	minItems int
	maxItems int
	enum     map[string]bool // lower case
	item     *paramSpec
	parts    []*paramSpec
}

func buildParam(p *schemac.Param) *paramSpec {
	ps := &paramSpec{name: p.Name, kinds: parseKinds(p.Type), required: p.Required, minLen: -1, maxLen: -1, minItems: -1, maxItems: -1}
	if p.Min != nil {
		ps.hasMin, ps.min = true, *p.Min
	}
	if p.Max != nil {
		ps.hasMax, ps.max = true, *p.Max
	}
	if p.MinLength != nil {
		ps.minLen = *p.MinLength
	}
	if p.MaxLength != nil {
		ps.maxLen = *p.MaxLength
	}
	if p.MinItems != nil {
		ps.minItems = *p.MinItems
	}
	if p.MaxItems != nil {
		ps.maxItems = *p.MaxItems
	}
	if len(p.Enum) > 0 {
		ps.enum = make(map[string]bool, len(p.Enum))
		for _, e := range p.Enum {
			ps.enum[strings.ToLower(e)] = true
		}
	}
	if p.Items != nil {
		ps.item = buildParam(p.Items)
		ps.item.name = p.Name
	}
	for i := range p.Parts {
		ps.parts = append(ps.parts, buildParam(&p.Parts[i]))
	}
	return ps
}

// paramError is the detail of error 100.
type paramError string

func fmtNum(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e18 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// check validates a non-empty value of the parameter; it returns "" when
// the value is valid, else the detail of error 100 naming the parameter.
func (ps *paramSpec) check(v string) paramError {
	if ps.kinds&kArray != 0 {
		return ps.checkArray(v)
	}
	return ps.checkScalar(ps.name, v)
}

func (ps *paramSpec) checkArray(v string) paramError {
	n := 0
	rest := v
	for {
		item, tail, more := strings.Cut(rest, ",")
		n++
		if ps.maxItems >= 0 && n > ps.maxItems {
			return paramError(ps.name + " has too many items, max " + strconv.Itoa(ps.maxItems))
		}
		item = strings.TrimSpace(item)
		if ps.item != nil {
			if item == "" {
				if ps.item.kinds&(kInteger|kNumber) != 0 && ps.item.kinds&kString == 0 {
					return paramError(ps.name + " is invalid")
				}
			} else if e := ps.item.checkScalar(ps.name, item); e != "" {
				return e
			}
		}
		if !more {
			break
		}
		rest = tail
	}
	if ps.minItems > 0 && n < ps.minItems {
		return paramError(ps.name + " has too few items, min " + strconv.Itoa(ps.minItems))
	}
	return ""
}

func (ps *paramSpec) checkScalar(name, v string) paramError {
	k := ps.kinds
	switch {
	case len(ps.parts) > 0:
		return ps.checkParts(name, v)
	case k&kString != 0 || k&(kObject|kArray) != 0:
		// Strings (and values that may be strings) are checked for enum
		// and length only.
		if k&kInteger != 0 && k&kString != 0 {
			return ""
		}
		if ps.enum != nil && !ps.inEnum(v) {
			return paramError(name + " is invalid")
		}
		if ps.maxLen >= 0 || ps.minLen >= 0 {
			n := 0
			for range v {
				n++
			}
			if ps.maxLen >= 0 && n > ps.maxLen {
				return paramError(name + " is too long, max " + strconv.Itoa(ps.maxLen) + " characters")
			}
			if ps.minLen >= 0 && n < ps.minLen {
				return paramError(name + " is too short, min " + strconv.Itoa(ps.minLen) + " characters")
			}
		}
		return ""
	case k&kInteger != 0:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return paramError(name + " not integer")
		}
		return ps.checkRange(name, float64(n), v)
	case k&kNumber != 0:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return paramError(name + " not number")
		}
		return ps.checkRange(name, f, v)
	case k&kBoolean != 0:
		switch v {
		case "0", "1", "true", "false":
			return ""
		}
		return paramError(name + " is invalid")
	}
	return ""
}

func (ps *paramSpec) checkRange(name string, f float64, v string) paramError {
	if ps.hasMin && f < ps.min {
		return paramError(name + " should be greater or equal to " + fmtNum(ps.min))
	}
	if ps.hasMax && f > ps.max {
		return paramError(name + " should be less or equal to " + fmtNum(ps.max))
	}
	if ps.enum != nil && !ps.inEnum(v) {
		return paramError(name + " is invalid")
	}
	return ""
}

func (ps *paramSpec) inEnum(v string) bool {
	if ps.enum[v] {
		return true
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c >= 'A' && c <= 'Z' {
			return ps.enum[strings.ToLower(v)]
		}
	}
	return false
}

// checkParts validates a "value_object" such as "1_129207899" or
// "-1_2_accesskey": the parts are separated by underscores, and a part
// that is required must be present and of its type.
func (ps *paramSpec) checkParts(name, v string) paramError {
	rest := v
	for i, part := range ps.parts {
		var cur string
		if i == len(ps.parts)-1 {
			cur, rest = rest, ""
		} else {
			var ok bool
			cur, rest, ok = strings.Cut(rest, "_")
			if !ok {
				rest = ""
			}
		}
		if cur == "" {
			if part.required {
				return paramError(name + " is invalid")
			}
			continue
		}
		if part.kinds&kInteger != 0 && part.kinds&kString == 0 {
			n, err := strconv.ParseInt(cur, 10, 64)
			if err != nil {
				return paramError(name + " is invalid")
			}
			if part.hasMin && float64(n) < part.min {
				return paramError(name + " is invalid")
			}
		}
	}
	return ""
}
