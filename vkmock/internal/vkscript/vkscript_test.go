package vkscript

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// run compiles and runs src with an API that answers {"method": NAME,
// "params": {...}} and fails for methods named "fail.*".
func run(t *testing.T, src string, args ...Param) (string, *[]string, error) {
	t.Helper()
	prog, err := Compile(src)
	if err != nil {
		return "", nil, err
	}
	var calls []string
	env := &Env{Args: args, Call: func(method string, params []Param) ([]byte, bool) {
		calls = append(calls, method)
		if strings.HasPrefix(method, "fail.") {
			return nil, false
		}
		m := map[string]string{}
		for _, p := range params {
			m[p.Key] = p.Value
		}
		if method == "users.get" {
			ids := strings.Split(m["user_ids"], ",")
			var out []map[string]any
			for _, id := range ids {
				n, _ := strconv.Atoi(id)
				out = append(out, map[string]any{"id": n, "first_name": "U" + id})
			}
			b, _ := json.Marshal(out)
			return b, true
		}
		b, _ := json.Marshal(map[string]any{"method": method, "params": m})
		return b, true
	}}
	res, err := prog.Run(env)
	return string(res.JSON), &calls, err
}

func TestScripts(t *testing.T) {
	cases := []struct{ src, want string }{
		{`return 1;`, `1`},
		{`return;`, `null`},
		{`var a = 1;`, `null`},
		{`return 1 + 2 * 3 - 4 / 2;`, `5`},
		{`return 7 % 3;`, `1`},
		{`return 0.5 + 0.25;`, `0.75`},
		{`return "a" + 1 + 2;`, `"a12"`},
		{`return 'it\'s' + "\n";`, `"it's\n"`},
		{`return [1, 2] + [3];`, `[1,2,3]`},
		{`return [1] + 2;`, `[1,2]`},
		{`var a = [1,2,3]; return a.length;`, `3`},
		{`return "привет".length;`, `6`},
		{`var o = {a: 1, "b c": [1, {d: 2}]}; return o["b c"][1].d;`, `2`},
		{`var o = {}; o.x = 1; o["y"] = 2; return o;`, `{"x":1,"y":2}`},
		{`var a = []; a[0] = 5; a[1] = 6; a[0] = 4; return a;`, `[4,6]`},
		{`var i = 0, s = 0; while (i < 10) { s = s + i; i = i + 1; } return s;`, `45`},
		{`var i = 0; while (true) { i = i + 1; if (i == 5) return i; }`, `5`},
		{`if (1 > 2) return "a"; else if (2 > 1) return "b"; else return "c";`, `"b"`},
		{`return 1 < 2 && "x" || "y";`, `"x"`},
		{`return null || 0 || "z";`, `"z"`},
		{`return !0 == true;`, `true`},
		{`return 1 == "1";`, `true`},
		{`return 1 === "1";`, `false`},
		{`return 2 != 3 ? "yes" : "no";`, `"yes"`},
		{`return -(-3) + +"4";`, `7`},
		{`var a = [1,2,3]; a.push(4, 5); return [a.pop(), a.shift(), a];`, `[5,1,[2,3,4]]`},
		{`var a = [2]; a.unshift(0, 1); return a;`, `[0,1,2]`},
		{`var a = [1,2,3,4,5]; return [a.slice(1, 3), a.slice(-2), a.slice(3, 1)];`, `[[2,3],[4,5],[]]`},
		{`var a = [1,2,3,4,5]; var r = a.splice(1, 2, "x"); return [r, a];`, `[[2,3],[1,"x",4,5]]`},
		{`return [[1,2,3].indexOf(2), [1].indexOf(9), "abcabc".indexOf("c")];`, `[1,-1,2]`},
		{`return "a,b,,c".split(",");`, `["a","b","","c"]`},
		{`return ["abcdef".substr(2, 3), "abcdef".substr(-2), "abc".substr(5)];`, `["cde","ef",""]`},
		{`return [1, "a", null].join("-");`, `"1-a-"`},
		{`return [parseInt("42abc"), parseInt("-7"), parseInt("x"), parseInt(3.9), parseDouble("2.5e1z"), parseDouble("x")];`, `[42,-7,0,3,25,0]`},
		{`var a = [{id: 1}, {id: 2}, 3]; return a@.id;`, `[1,2,null]`},
		{`var x = false; return [x.count, x@.id, x[0], null.y];`, `[null,null,null,null]`},
		{`var o = {a: 1, b: 2}; delete o.a; return o;`, `{"b":2}`},
		{`var a = 1; a += 2; a -= 1; a *= 10; a /= 4; return a;`, `5`},
		{`var i = 0; i++; i++; i--; return i;`, `1`},
		{`/* comment */ var a = 1; // line
		return a;`, `1`},
		{`return 10000000000 + 1;`, `10000000001`},
		{`return "<&>";`, `"\u003c\u0026\u003e"`},
		{`return {};`, `{}`},
		{`return [];`, `[]`},
	}
	for _, c := range cases {
		got, _, err := run(t, c.src)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.src, got, c.want)
		}
	}
}

func TestArgs(t *testing.T) {
	got, _, err := run(t, `return [Args.count, parseInt(Args.count) + 1, Args.missing, Args];`, Param{"count", "10"}, Param{"q", "x"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `["10",11,null,{"count":"10","q":"x"}]`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if _, err := Compile(`Args.count = 1;`); err != nil {
		t.Fatal(err)
	}
	_, _, err = run(t, `Args.count = 1;`)
	var rt *RuntimeError
	if !errors.As(err, &rt) {
		t.Fatalf("assigning to Args: %v", err)
	}
}

func TestAPICalls(t *testing.T) {
	got, calls, err := run(t, `var u = API.users.get({"user_ids": [1, 2, 3], "fields": "sex"});
var r = API.fail.method({});
var m = API.messages.send({peer_id: 5, random_id: 0, message: "hi", flag: true, skip: null});
return [u@.id, u[1].first_name, r, r.count, m.params];`)
	if err != nil {
		t.Fatal(err)
	}
	want := `[[1,2,3],"U2",false,null,{"flag":"1","message":"hi","peer_id":"5","random_id":"0"}]`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if strings.Join(*calls, " ") != "users.get fail.method messages.send" {
		t.Fatalf("calls %v", *calls)
	}
}

func TestCompileErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{`return 1`, `';' expected, '' found in line 1`},
		{"var a = [1,\n2,\n3,\n(4];", `')' expected, ']' found in line 4`},
		{`return test;`, `undefined identifier 'test' in line 1`},
		{`1 = 2;`, `non-variable in assignment in line 1`},
		{"var a = 1;\na.b() ;", `undefined method 'b' in line 2`},
		{`if (1 {`, `')' expected, '{' found in line 1`},
		{`return "abc;`, `unterminated string in line 1`},
		{`var = 1;`, `identifier expected, '=' found in line 1`},
		{`return #;`, `unexpected character '#' in line 1`},
		{"\n\nreturn {a: 1;", `'}' expected, ';' found in line 3`},
		{`while (1) { return 1;`, `'}' expected, '' found in line 1`},
		{`return API.users.get;`, `'(' expected, ';' found in line 1`},
		{`return ` + strings.Repeat("(", 1000) + `1` + strings.Repeat(")", 1000) + `;`, `code is too complex in line 1`},
	}
	for _, c := range cases {
		_, err := Compile(c.src)
		var ce *CompileError
		if !errors.As(err, &ce) {
			t.Errorf("%q: %v, want a compile error", c.src, err)
			continue
		}
		if ce.Error() != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.src, ce.Error(), c.want)
		}
	}
}

func TestRuntimeErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{`return 1 < "a";`, "Comparing values of different or unsupported types"},
		{`return [1] < [2];`, "Comparing values of different or unsupported types"},
		{`return 1 / 0;`, "division by zero"},
		{`return {} - 1;`, "Unsupported operand types"},
		{`var i = 0; while (true) { i = i + 1; }`, "too many operations"},
		{`var i = 0; while (i < 30) { API.users.get({user_ids: 1}); i = i + 1; }`, "too many API calls"},
		{`var s = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; var i = 0; while (i < 40) { s = s + s; i = i + 1; } return s;`, "out of memory"},
		{`var s = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; var i = 0; while (i < 16) { s = s + s; i = i + 1; } return s;`, "response size is too big"},
		{`var a = [1]; a.push(a); return a;`, "response size is too big"},
		{`var n = null; n.x = 1;`, "assignment to a field of a non-object"},
		{`var a = []; a[5] = 1;`, "index out of range"},
		{`return (1).push(2);`, "method push is not supported for number"},
	}
	for _, c := range cases {
		_, calls, err := run(t, c.src)
		var rt *RuntimeError
		if !errors.As(err, &rt) {
			t.Errorf("%s: %v, want a runtime error", c.src, err)
			continue
		}
		if rt.Detail != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.src, rt.Detail, c.want)
		}
		if c.want == "too many API calls" && len(*calls) != DefaultCalls {
			t.Errorf("%d calls made before the limit, want %d", len(*calls), DefaultCalls)
		}
	}
}

func TestOperationsCounted(t *testing.T) {
	prog, err := Compile(`var i = 0; while (i < 100) { i = i + 1; } return i;`)
	if err != nil {
		t.Fatal(err)
	}
	res, err := prog.Run(&Env{})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.JSON) != "100" || res.Ops < 300 || res.Ops > DefaultOps {
		t.Fatalf("result %s after %d operations", res.JSON, res.Ops)
	}
	if _, err := prog.Run(&Env{Limits: Limits{Ops: 100}}); err == nil {
		t.Fatal("a limit of 100 operations did not stop the loop")
	}
}

// FuzzScript compiles and runs any input: no panic, and every run ends
// quickly thanks to the limits.
func FuzzScript(f *testing.F) {
	seeds := []string{
		`return 1;`, `var a = [1,2]; a.push(a); return a;`, `while(1);`,
		`var i = 0; var s = "ab"; while (i < 50) { s = s + s; i = i + 1; } return s.split("");`,
		`return API.users.get({user_ids: [1,2]})@.id;`, `var o = {a: {b: [1, "x", null]}}; return o.a.b[1].length;`,
		`if (Args.x == "1") return parseInt(Args.x) * 2; else return Args;`,
		`var a = [1,2,3]; return [a.slice(-1), a.splice(0, 1, 9), a.indexOf(9), "abc".substr(-1, 5)];`,
		"return 1", "var a = ((((1));", `return "\u0041";`, `delete a.b;`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		start := time.Now()
		prog, err := Compile(src)
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) || ce.Line < 1 {
				t.Fatalf("compile error %v of type %T", err, err)
			}
			return
		}
		env := &Env{Args: []Param{{"x", "1"}}, Call: func(method string, params []Param) ([]byte, bool) {
			if len(params)%2 == 1 {
				return nil, false
			}
			return []byte(`{"count":2,"items":[{"id":1},{"id":2}]}`), true
		}}
		res, err := prog.Run(env)
		if err != nil {
			var rt *RuntimeError
			if !errors.As(err, &rt) {
				t.Fatalf("run error %v of type %T", err, err)
			}
		} else if !json.Valid(res.JSON) {
			t.Fatalf("invalid JSON result %q", res.JSON)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("script took %v", d)
		}
	})
}
