package vkscript

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomText mixes ASCII, two-byte, three-byte and four-byte characters.
func randomText(r *rand.Rand, n int, ascii bool) string {
	alphabet := []string{"a", "b", "Z", " ", "7", "ж", "é", "語", "😀"}
	if ascii {
		alphabet = alphabet[:5]
	}
	var b strings.Builder
	for range n {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// Indexing, substr, slice, length and indexOf through the rune index give
// what converting the whole string to runes gives, on short and long,
// ASCII and non-ASCII strings.
func TestStringIndexingByCharacter(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 5, 63, 64, 65, 200, 1000, 5000} {
		for _, ascii := range []bool{true, false} {
			s := randomText(r, n, ascii)
			rs := []rune(s)
			arg := Param{"s", s}
			check := func(src, want string) {
				t.Helper()
				got, _, err := run(t, src, arg)
				if err != nil || got != want {
					t.Fatalf("n=%d ascii=%v %s: %s, %v; want %s", n, ascii, src, got, err, want)
				}
			}
			js := func(v string) string { b, _ := json.Marshal(v); return string(b) }
			check(`return Args.s.length;`, fmt.Sprint(len(rs)))
			for range 20 {
				i := r.IntN(len(rs)+3) - 1
				want := "null"
				if i >= 0 && i < len(rs) {
					want = js(string(rs[i]))
				}
				check(fmt.Sprintf(`return Args.s[%d];`, i), want)
				a, b := r.IntN(len(rs)+2)-1, r.IntN(len(rs)+2)-1
				sa, sb := sliceRange(a, b, len(rs))
				check(fmt.Sprintf(`return Args.s.slice(%d, %d);`, a, b), js(string(rs[sa:sb])))
				start := a
				if start < 0 {
					start = max(len(rs)+start, 0)
				}
				start = min(start, len(rs))
				length := min(max(b, 0), len(rs)-start)
				check(fmt.Sprintf(`return Args.s.substr(%d, %d);`, a, b), js(string(rs[start:start+length])))
				if len(rs) > 0 {
					k := r.IntN(len(rs))
					sub := string(rs[k:min(k+2, len(rs))])
					check(fmt.Sprintf(`return Args.s.indexOf(%s);`, js(sub)), fmt.Sprint(len([]rune(s[:strings.Index(s, sub)]))))
				}
			}
		}
	}
}

// Arguments count against the memory limit: a script could otherwise hold
// megabytes it was never charged for.
func TestArgsCountAgainstMemory(t *testing.T) {
	prog, err := Compile(`return Args.a.length;`)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 1<<20)
	_, err = prog.Run(&Env{Args: []Param{{"a", big}}, Limits: Limits{Memory: 1 << 20}})
	if err == nil || err.Error() != "out of memory" {
		t.Fatalf("a 1 MiB argument under a 1 MiB limit: %v, want out of memory", err)
	}
	res, err := prog.Run(&Env{Args: []Param{{"a", big}}, Limits: Limits{Memory: 2 << 20}})
	if err != nil || string(res.JSON) != "1048576" {
		t.Fatalf("under a 2 MiB limit: %s %v", res.JSON, err)
	}
}

// BenchmarkLongArgumentLoop is the loop of the issue: 300 turns of s[i],
// substr and slice over a 7 MB argument, which converted the whole string
// to runes on every operation (3 s of CPU). The operation limit is raised
// so that the loop runs to its end.
func BenchmarkLongArgumentLoop(b *testing.B) {
	for _, kind := range []string{"ascii", "cyrillic"} {
		b.Run(kind, func(b *testing.B) {
			unit := "abcdefg"
			if kind == "cyrillic" {
				unit = "абвгдеж"
			}
			s := strings.Repeat(unit, 7_000_000/len(unit))
			prog, err := Compile(`var i = 0, n = 0; while (i < 300) { n = n + Args.s[i * 1000].length + Args.s.substr(i * 7, 5).length + Args.s.slice(-i - 10, -i).length; i = i + 1; } return n;`)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				res, err := prog.Run(&Env{Args: []Param{{"s", s}}, Limits: Limits{Ops: 100_000}})
				// 300 characters, 300 substrings of 5, 299 slices of 10.
				if err != nil || string(res.JSON) != fmt.Sprint(300*1+300*5+299*10) {
					b.Fatalf("%s %v", res.JSON, err)
				}
			}
		})
	}
}

// FuzzStringIndex: the rune index agrees with a conversion to runes on any
// valid string and position.
func FuzzStringIndex(f *testing.F) {
	f.Add("hello", 1, 3)
	f.Add(strings.Repeat("жé語😀a", 100), 70, 300)
	f.Fuzz(func(t *testing.T, s string, a, b int) {
		s = strings.ToValidUTF8(s, "?")
		rs := []rune(s)
		x := newRuneIndex(s)
		if x.runes != len(rs) {
			t.Fatalf("%d runes, want %d", x.runes, len(rs))
		}
		a, b = sliceRange(a, b, len(rs))
		in := &interp{lim: Limits{Memory: 1 << 30}}
		if got := in.substring(s, x, a, b); got != string(rs[a:b]) {
			t.Fatalf("substring(%d, %d) = %q, want %q", a, b, got, string(rs[a:b]))
		}
		if off := x.offset(s, a); x.runeCount(s, off) != a {
			t.Fatalf("runeCount(offset(%d)) = %d", a, x.runeCount(s, off))
		}
	})
}
