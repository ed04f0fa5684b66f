package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/internal/soak"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
)

// countingTransport counts the requests per method path.
type countingTransport struct {
	next     http.RoundTripper
	requests atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.requests.Add(1)
	return c.next.RoundTrip(r)
}

// pagingOwner is a user whose wall only the paging tests fill.
const pagingOwner = 100_777_001

func pagingSetup(t *testing.T, posts int) (*vkmock.Server, *API, *countingTransport, []int64) {
	s := newMock(t)
	ids := seedPosts(t, s, pagingOwner, posts)
	hc := s.HTTPClient()
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	ct := &countingTransport{next: next}
	a, _ := mockAPI(t, s, vkmock.TokenUser, vkapi.WithHTTPClient(&http.Client{Transport: ct}))
	return s, a, ct, ids
}

// TestPagingWallGet iterates over 5,000 posts of wall.get on the mock
// (10,000 with VKERR_SOAK=1): each post comes once, in 50 requests of one
// page (100), or in 2 execute requests of 25 pages (4); and 1,000 posts in
// 2 executes of 7 pages, the last one short.
func TestPagingWallGet(t *testing.T) {
	many := soak.Pick(5_000, 10_000)
	for _, tc := range []struct {
		name     string
		posts    int
		per      int
		requests int64
	}{{"one page a request", many, 0, int64(many / 100)}, {"25 pages an execute", many, 25, int64(many / 2500)}, {"7 pages an execute", 1_000, 7, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // a mock of its own
			_, a, ct, ids := pagingSetup(t, tc.posts)
			base := ct.requests.Load()
			seen := map[int64]int{}
			for post, err := range a.Wall.GetIter(t.Context(), WallGetParams{OwnerID: pagingOwner}, PageOptions{PerExecute: tc.per}) {
				if err != nil {
					t.Fatal(err)
				}
				seen[int64(post.ID)]++
			}
			if len(seen) != len(ids) {
				t.Errorf("%d distinct posts, want %d", len(seen), len(ids))
			}
			for _, id := range ids {
				if seen[id] != 1 {
					t.Fatalf("post %d seen %d times", id, seen[id])
				}
			}
			if n := ct.requests.Load() - base; n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
		})
	}
}

// TestPagingFault: a page that fails mid-way (of 2,000 posts, the page at
// offset 1000) ends the iteration with a *PageError at its offset, after
// every item before it, once; packed, the pages after it in the same
// execute are dropped.
func TestPagingFault(t *testing.T) {
	for _, per := range []int{0, 25} {
		t.Run(fmt.Sprintf("%d pages an execute", per), func(t *testing.T) {
			s, a, _, _ := pagingSetup(t, 2_000)
			failFrom(t, s, "wall.get", "offset", "1000", vkerr.Access)
			var items int
			var last error
			seen := map[int64]bool{}
			for post, err := range a.Wall.GetIter(t.Context(), WallGetParams{OwnerID: pagingOwner}, PageOptions{PerExecute: per}) {
				if err != nil {
					last = err
					continue
				}
				if seen[int64(post.ID)] {
					t.Fatalf("post %d twice", post.ID)
				}
				seen[int64(post.ID)] = true
				items++
			}
			pe, ok := errors.AsType[*PageError](last)
			if !ok {
				t.Fatalf("ended with %v, want a *PageError", last)
			}
			if pe.Offset != 1000 || pe.Items != 1000 || items != 1000 || pe.Method != "wall.get" {
				t.Errorf("PageError %+v after %d items; want offset 1000 after 1000", pe, items)
			}
			if !errors.Is(pe, vkerr.Access) {
				t.Errorf("the page's error %v is not 15", pe.Err)
			}
			if !strings.Contains(pe.Error(), "offset 1000") {
				t.Errorf("error text %q", pe.Error())
			}
		})
	}
}

// TestPagingStopEarly: breaking out of the loop sends no more requests.
func TestPagingStopEarly(t *testing.T) {
	_, a, ct, _ := pagingSetup(t, 100)
	base := ct.requests.Load()
	n := 0
	for _, err := range a.Wall.GetIter(t.Context(), WallGetParams{OwnerID: pagingOwner, Count: 10}, PageOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 15 {
			break
		}
	}
	if r := ct.requests.Load() - base; r != 2 {
		t.Errorf("%d requests for 15 items in pages of 10, want 2", r)
	}
}

// TestPagingMissingParam: a params error is the iteration's only value.
func TestPagingMissingParam(t *testing.T) {
	_, a, ct, _ := pagingSetup(t, 0)
	base := ct.requests.Load()
	var errs []error
	for _, err := range a.Board.GetCommentsIter(t.Context(), BoardGetCommentsParams{GroupID: 1}, PageOptions{}) {
		errs = append(errs, err)
	}
	if len(errs) != 1 {
		t.Fatalf("got %d values, want one error", len(errs))
	}
	if pe, ok := errors.AsType[*MissingParamError](errs[0]); !ok || pe.Param != "topic_id" || pe.Method != "board.getComments" {
		t.Errorf("got %v, want a *MissingParamError for topic_id", errs[0])
	}
	if ct.requests.Load() != base {
		t.Error("a request was sent")
	}
}

// TestCursorPages follows next_from until VK sends none, and reports the
// cursor of a failed page.
func TestCursorPages(t *testing.T) {
	pages := map[string]string{
		"":   `{"response":{"items":[{"type":"a"},{"type":"b"}],"next_from":"p2"}}`,
		"p2": `{"response":{"items":[{"type":"c"}],"next_from":"p3"}}`,
		"p3": `{"response":{"items":[{"type":"d"}],"next_from":""}}`,
		"f2": `{"error":{"error_code":15,"error_msg":"Access denied"}}`,
	}
	var starts []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from := r.PostFormValue("start_from")
		starts = append(starts, from)
		body := pages[from]
		if from == "" && r.PostFormValue("filters") == "fail" {
			body = strings.Replace(pages[""], "p2", "f2", 1)
		}
		_, _ = w.Write([]byte(body))
	}))
	defer ts.Close()
	c := vkapi.New("tok", vkapi.WithBaseURL(ts.URL), vkapi.WithTokenKind(vkapi.KindUser), vkapi.WithLimit(vkapi.Limit{Off: true}),
		vkapi.WithRetry(vkapi.RetryPolicy{MaxAttempts: 1}))
	defer c.Close()
	a := New(c)
	var got []string
	for it, err := range a.Notifications.GetIter(t.Context(), NotificationsGetParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(it.Type))
	}
	if !slices.Equal(got, []string{"a", "b", "c", "d"}) || !slices.Equal(starts, []string{"", "p2", "p3"}) {
		t.Errorf("items %v from starts %v", got, starts)
	}
	var last error
	n := 0
	for _, err := range a.Notifications.GetIter(t.Context(), NotificationsGetParams{Filters: []NotificationsGetFiltersItem{"fail"}}) {
		if err != nil {
			last = err
			continue
		}
		n++
	}
	pe, ok := errors.AsType[*PageError](last)
	if !ok || pe.Cursor != "f2" || pe.Items != 2 || n != 2 {
		t.Errorf("ended with %v after %d items", last, n)
	}
}
