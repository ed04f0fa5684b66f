package vkobject

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestDrift decodes each form VK is known to send where the schema says
// another: every one decodes, into the value it stands for.
func TestDrift(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		into any // a pointer to a zero value
		want any
	}{
		{"int as number", `42`, new(Int), Int(42)},
		{"int as string", `"42"`, new(Int), Int(42)},
		{"negative int as string", `"-7"`, new(Int), Int(-7)},
		{"int as float", `42.0`, new(Int), Int(42)},
		{"int as boolean", `true`, new(Int), Int(1)},
		{"int as null", `null`, new(Int), Int(0)},
		{"int as junk string", `"abc"`, new(Int), Int(0)},
		{"int as object", `{}`, new(Int), Int(0)},
		{"float as string", `"1.5"`, new(Float), Float(1.5)},
		{"bool as true", `true`, new(Bool), Bool(true)},
		{"bool as 1", `1`, new(Bool), Bool(true)},
		{"bool as 0", `0`, new(Bool), Bool(false)},
		{"bool as \"1\"", `"1"`, new(Bool), Bool(true)},
		{"bool as \"true\"", `"true"`, new(Bool), Bool(true)},
		{"bool as 2", `2`, new(Bool), Bool(true)},
		{"string", `"a"`, new(String), String("a")},
		{"string with escapes", `"a\"b\u0416"`, new(String), String("a\"bЖ")},
		{"string as number", `12816757`, new(String), String("12816757")},
		{"string as boolean", `false`, new(String), String("false")},
		{"string as object", `{"a":1}`, new(String), String(`{"a":1}`)},
		{"list", `[1,"2",true]`, new(List[Int]), List[Int]{1, 2, 1}},
		{"list as {}", `{}`, new(List[Int]), List[Int]{}},
		{"list as null", `null`, new(List[Int]), List[Int](nil)},
		{"list as indexed object", `{"1":20,"0":10}`, new(List[Int]), List[Int]{10, 20}},
		{"list as a lone object", `{"id":5,"title":"X"}`, new(List[BaseCity]), List[BaseCity]{{ID: 5, Title: "X"}}},
		{"list as a scalar", `"x"`, new(List[Int]), List[Int](nil)},
		{"list with a drifted element", `[{"id":"5"},[]]`, new(List[BaseCity]), List[BaseCity]{{ID: 5}, {}}},
		{"unknown field", `{"id":1,"title":"X","new_field":{"a":[1]}}`, new(BaseCity), BaseCity{ID: 1, Title: "X"}},
		{"array where an object is due", `{"id":"1","last_seen":[],"city":{"id":2,"title":"T"}}`, new(UsersUserFull),
			UsersUserFull{ID: 1, City: &BaseCity{ID: 2, Title: "T"}, LastSeen: &UsersLastSeen{}}}, // the field is left zero
		{"object where a string is due", `{"id":1,"title":{"ru":"X"}}`, new(BaseCity), BaseCity{ID: 1, Title: `{"ru":"X"}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Unmarshal([]byte(tc.in), tc.into); err != nil {
				t.Fatalf("Unmarshal(%s): %v", tc.in, err)
			}
			if got := reflect.ValueOf(tc.into).Elem().Interface(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Unmarshal(%s) = %#v, want %#v", tc.in, got, tc.want)
			}
		})
	}
}

// TestUnmarshalMalformed: malformed JSON is the one error.
func TestUnmarshalMalformed(t *testing.T) {
	var u UsersUserFull
	if err := Unmarshal([]byte(`{"id":`), &u); err == nil {
		t.Error("no error for malformed JSON")
	}
}

// TestEncode: the flexible types encode in their schema form.
func TestEncode(t *testing.T) {
	b, err := json.Marshal(struct {
		I Int
		F Float
		B Bool
		S String
		L List[Int]
	}{7, 1.5, true, "x", List[Int]{1}})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"I":7,"F":1.5,"B":true,"S":"x","L":[1]}` {
		t.Errorf("encoded %s", b)
	}
}
