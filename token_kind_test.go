package vkerr

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestTokenKindText(t *testing.T) {
	for _, k := range []TokenKind{KindUnknown, KindUser, KindGroup, KindService} {
		b, err := k.MarshalText()
		if err != nil || string(b) != k.String() {
			t.Fatalf("%d: MarshalText %q, %v", k, b, err)
		}
		var back TokenKind = 99
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Fatalf("%q: UnmarshalText %v, %v", b, back, err)
		}
		if p, err := ParseTokenKind(k.String()); err != nil || p != k {
			t.Fatalf("ParseTokenKind(%q) = %v, %v", k, p, err)
		}
		if k.Valid() != (k != KindUnknown) {
			t.Errorf("%v.Valid() = %v", k, k.Valid())
		}
	}
	for s, want := range map[string]TokenKind{"community": KindGroup, " App ": KindService, "USER": KindUser} {
		if k, err := ParseTokenKind(s); err != nil || k != want {
			t.Errorf("ParseTokenKind(%q) = %v, %v", s, k, err)
		}
	}
	for _, s := range []string{"", "bot", "users", "0"} {
		if k, err := ParseTokenKind(s); err == nil || k != KindUnknown {
			t.Errorf("ParseTokenKind(%q) = %v, %v; want an error", s, k, err)
		}
	}
	bad := TokenKind(7)
	if _, err := bad.MarshalText(); err == nil || bad.String() != "unknown" || bad.Valid() {
		t.Errorf("kind 7: %q, %v", bad, err)
	}
}

func TestTokenKindJSON(t *testing.T) {
	type token struct {
		Kind TokenKind `json:"kind"`
		Opt  TokenKind `json:"opt,omitempty"`
	}
	b, err := json.Marshal(token{Kind: KindGroup})
	if err != nil || string(b) != `{"kind":"group"}` {
		t.Fatalf("%s, %v", b, err)
	}
	var v token
	if err := json.Unmarshal([]byte(`{"kind":"service","opt":"user"}`), &v); err != nil || v != (token{KindService, KindUser}) {
		t.Fatalf("%+v, %v", v, err)
	}
	if err := json.Unmarshal([]byte(`{"kind":"admin"}`), &v); err == nil {
		t.Fatal("an unknown kind decoded")
	}
	if err := json.Unmarshal([]byte(`{"kind":3}`), &v); err == nil {
		t.Fatal("a number decoded as a kind")
	}
}

func TestRateBudget(t *testing.T) {
	for k, want := range map[TokenKind]int{KindUnknown: 3, KindUser: 3, KindGroup: 20, KindService: 3, TokenKind(9): 3} {
		if got := k.RateBudget(); got != want {
			t.Errorf("%v: %d, want %d", k, got, want)
		}
	}
	for installs, want := range map[int64]int{-1: 5, 0: 5, 9_999: 5, 10_000: 8, 100_000: 8, 100_001: 20, 1_000_000: 20, 1_000_001: 35} {
		if got := SecureRateBudget(installs); got != want {
			t.Errorf("%d installs: %d, want %d", installs, got, want)
		}
	}
	for _, tier := range secureTiers {
		if tier.budget > MaxRateBudget || tier.budget < MinSecureRateBudget {
			t.Errorf("tier %+v outside [%d, %d]", tier, MinSecureRateBudget, MaxRateBudget)
		}
	}
}

func ExampleTokenKind_RateBudget() {
	for _, s := range []string{"user", "community", "service"} {
		k, err := ParseTokenKind(s)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %d per %v\n", k, k.RateBudget(), RateWindow)
	}
	fmt.Println("secure.*, 50,000 installs:", SecureRateBudget(50_000))
	// Output:
	// user: 3 per 1s
	// group: 20 per 1s
	// service: 3 per 1s
	// secure.*, 50,000 installs: 8
}

// FuzzParseTokenKind: any text parses to a valid kind or to an error with
// KindUnknown, never panics, and a kind's text parses back to it.
func FuzzParseTokenKind(f *testing.F) {
	for _, s := range []string{"user", "group", "community", "service", "app", "unknown", "", " USER ", "\x00", "grou"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseTokenKind(s)
		if err != nil {
			if k != KindUnknown {
				t.Fatalf("%q: %v with an error", s, k)
			}
			return
		}
		b, merr := k.MarshalText()
		if merr != nil {
			t.Fatalf("%q: %v does not marshal: %v", s, k, merr)
		}
		var back TokenKind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Fatalf("%q: %v → %q → %v, %v", s, k, b, back, err)
		}
	})
}
