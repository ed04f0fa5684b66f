package core

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vkerr/vkerr"
)

func TestParseForm(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want []KV
		err  error
	}{
		{"a=1&b=x+y&c=%D0%BF", 10, []KV{{Key: "a", Value: "1"}, {Key: "b", Value: "x y"}, {Key: "c", Value: "п"}}, nil},
		{"&&a&=v", 10, []KV{{Key: "a", Value: ""}, {Key: "", Value: "v"}}, nil},
		{"a=1&b=2&c=3", 2, []KV{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}, ErrTooManyParams},
		{"a=%zz", 10, nil, ErrMalformed},
		{"%zz=1", 10, nil, ErrMalformed},
	} {
		got, err := ParseForm(nil, tc.in, tc.max)
		if !errors.Is(err, tc.err) {
			t.Errorf("ParseForm(%q): err %v, want %v", tc.in, err, tc.err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("ParseForm(%q) = %v, want %v", tc.in, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("ParseForm(%q)[%d] = %v, want %v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
}

func TestParseBodyMultipartSkipsFiles(t *testing.T) {
	body := "--B\r\nContent-Disposition: form-data; name=\"v\"\r\n\r\n5.199\r\n" +
		"--B\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\n\r\nBYTES\r\n" +
		"--B--\r\n"
	r := httptest.NewRequest(http.MethodPost, "/method/x", strings.NewReader(body))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	got, err := ParseBody(httptest.NewRecorder(), r, nil, 1<<20, 10)
	if err != nil || len(got) != 1 || got[0] != (KV{Key: "v", Value: "5.199"}) {
		t.Fatalf("ParseBody = %v, %v; want only v=5.199", got, err)
	}
	r = httptest.NewRequest(http.MethodPost, "/method/x", strings.NewReader(strings.Repeat("a=1&", 100)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := ParseBody(httptest.NewRecorder(), r, nil, 50, 1000); err == nil {
		t.Fatal("a body over maxBody was read whole")
	}
}

func TestRequest(t *testing.T) {
	q := &Request{Name: "users.get", HasToken: true, Host: "h", Params: []KV{
		{Key: "v", Value: "5.199"}, {Key: "access_token", Value: "vk1.a.SECRET"}, {Key: "f", Value: "1"}, {Key: "v", Value: "5.131"},
	}}
	if v, ok := q.Get("v"); !ok || v != "5.199" {
		t.Errorf("Get(v) = %q, %v; want the first value", v, ok)
	}
	if _, ok := q.Get("none"); ok {
		t.Error("Get of a missing key reported found")
	}
	if !q.Flag("f") || q.Flag("v") {
		t.Error("Flag: want f true (1) and v false")
	}
	echo := q.Echo()
	var keys []string
	for _, p := range echo {
		keys = append(keys, p.Key+"="+p.Value)
		if strings.Contains(p.Value, "SECRET") {
			t.Errorf("Echo carries the token: %v", p)
		}
	}
	if got := strings.Join(keys, "&"); got != "v=5.199&f=1&v=5.131&method=users.get&oauth=1" {
		t.Errorf("Echo = %s", got)
	}
	if q.Base() != "http://h" {
		t.Errorf("Base = %q", q.Base())
	}
	q.Params = append(q.Params, KV{Key: "x\xff", Value: "y"})
	if k, bad := q.BadUTF8(); !bad || k != "x\uFFFD" {
		t.Errorf("BadUTF8 = %q, %v", k, bad)
	}
}

func TestClock(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewClock(func() time.Time { return base })
	moved := c.Moved()
	c.Advance(time.Hour)
	select {
	case <-moved:
	default:
		t.Fatal("Advance did not close Moved's channel")
	}
	if got := c.Now(); !got.Equal(base.Add(time.Hour)) || c.Offset() != time.Hour {
		t.Fatalf("Now = %v, offset %v after Advance(1h)", got, c.Offset())
	}
	moved = c.Moved()
	select {
	case <-moved:
		t.Fatal("a new Moved channel is closed before the clock moves")
	default:
	}
	c.Set(base.Add(-time.Minute))
	if got := c.Now(); !got.Equal(base.Add(-time.Minute)) {
		t.Fatalf("Now = %v after Set", got)
	}
	c.Reset()
	if c.Offset() != 0 || !c.Now().Equal(base) {
		t.Fatalf("Reset left offset %v", c.Offset())
	}
	<-moved // Set closed it
}

func TestMessages(t *testing.T) {
	var m Messages
	if got := m.Of(vkerr.Param); got != vkerr.Param.Info().MessageEN {
		t.Errorf("zero Messages: %q", got)
	}
	m = Messages{Schema: map[vkerr.Code]string{vkerr.Param: "Schema says"}}
	e := m.Param("group_id is invalid")
	if e.Code != vkerr.Param || e.Message != "Schema says: group_id is invalid" {
		t.Errorf("Param = %+v", e)
	}
	if e := m.Request("v is required"); e.Code != vkerr.Request || !strings.HasSuffix(e.Message, ": v is required") {
		t.Errorf("Request = %+v", e)
	}
}

func FuzzParseForm(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "%zz", "a=%D0%BF+x", "&&=&", strings.Repeat("a=b&", 20)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseForm(nil, s, 16)
		if len(got) > 16 {
			t.Fatalf("%d parameters past the bound", len(got))
		}
		if err == nil && strings.Count(s, "&")+1 < len(got) {
			t.Fatalf("more parameters than pairs: %d", len(got))
		}
	})
}
