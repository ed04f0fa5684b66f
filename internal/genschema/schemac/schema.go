// Package schemac compiles the official VK API JSON schema (the directory
// of VKCOM/vk-api-schema) into the compact table vkmock serves from: every
// method with its token kinds, parameters and their constraints, the error
// codes it may return, and its response schemas as a graph of types with
// every $ref resolved to an index.
//
// The compiled form is plain JSON with short keys, written by Encode in a
// fixed order so that compiling the same schema twice gives the same bytes.
package schemac

import "encoding/json"

// Schema is the compiled schema.
type Schema struct {
	Version string   `json:"version"`
	Global  []int    `json:"global"`  // codes any method may return
	Errors  []Error  `json:"errors"`  // every code of errors.json
	Methods []Method `json:"methods"` // in file and schema order
	Types   []Type   `json:"types"`   // the response type graph
}

// Error is one code of errors.json.
type Error struct {
	Code    int    `json:"c"`
	Name    string `json:"n"`
	Message string `json:"m"`
	Global  bool   `json:"g,omitempty"`
}

// Method is one API method.
type Method struct {
	Name string `json:"n"`
	// Tokens is access_token_type: "user", "group", "service", "open".
	Tokens    []string  `json:"t"`
	Params    []Param   `json:"p,omitempty"`
	Errors    []int     `json:"e,omitempty"` // non-global codes the method lists
	Responses []Variant `json:"r"`
	Timeout   int       `json:"to,omitempty"`
}

// Variant is one of a method's response schemas. When lists the request
// parameters that select it (extendedResponse is selected by extended=1).
type Variant struct {
	Name string   `json:"n"`
	When []string `json:"w,omitempty"`
	Type int      `json:"t"`
}

// Param is a method parameter and its constraints. Type is "integer",
// "number", "string", "boolean", "array" or, for parameters that take
// several types, the types joined by "|".
type Param struct {
	Name      string   `json:"n"`
	Type      string   `json:"t"`
	Format    string   `json:"f,omitempty"`
	Required  bool     `json:"r,omitempty"`
	Min       *float64 `json:"min,omitempty"`
	Max       *float64 `json:"max,omitempty"`
	MinLength *int     `json:"minl,omitempty"`
	MaxLength *int     `json:"maxl,omitempty"`
	MinItems  *int     `json:"mini,omitempty"`
	MaxItems  *int     `json:"maxi,omitempty"`
	Enum      []string `json:"enum,omitempty"` // as the strings a request carries
	Items     *Param   `json:"i,omitempty"`    // the element of an array
	// Parts are the fields of a "value_object" item such as "1_129207899"
	// (owner_id, photo_id), in order.
	Parts []Param `json:"parts,omitempty"`
}

// Type is a node of the response type graph. Kind is "object", "array",
// "string", "integer", "number", "boolean", "any", or several kinds joined
// by "|". References to other nodes are indexes into Schema.Types.
type Type struct {
	Kind     string            `json:"k"`
	Props    []Prop            `json:"p,omitempty"` // sorted by name
	Items    *int              `json:"i,omitempty"`
	AllOf    []int             `json:"all,omitempty"`
	OneOf    []int             `json:"one,omitempty"`
	Enum     []json.RawMessage `json:"enum,omitempty"`
	Min      *float64          `json:"min,omitempty"`
	Max      *float64          `json:"max,omitempty"`
	MinItems *int              `json:"mini,omitempty"`
	MaxItems *int              `json:"maxi,omitempty"`
	MaxProps *int              `json:"maxp,omitempty"`
	Format   string            `json:"f,omitempty"`
	Name     string            `json:"name,omitempty"` // definition name, for named nodes
}

// Prop is a property of an object node.
type Prop struct {
	Name     string `json:"n"`
	Type     int    `json:"t"`
	Required bool   `json:"r,omitempty"`
}
