package api

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"strconv"

	"github.com/vkerr/vkerr/vkapi"
)

// Paging: the generated ...Iter methods of the methods that take offset and
// count, or start_from and give next_from, iterate over the items of page
// after page through these two functions.

// MaxPagesPerExecute is the most pages one execute request carries: VK's
// limit of 25 API calls per execute.
const MaxPagesPerExecute = 25

// PageOptions says how an offset iterator fetches its pages. The zero
// value sends one request per page.
type PageOptions struct {
	// PerExecute packs up to this many pages into one execute request
	// (through vkapi.Client.Batch, so one request against the rate limit
	// for all of them); it is capped at MaxPagesPerExecute, and 0 or 1
	// sends each page on its own.
	PerExecute int
}

// PageError ends an iteration whose page failed. Every item before the
// failed page was yielded once; resume with Offset (or Cursor).
type PageError struct {
	Method string
	Offset int64  // offset iterators: the offset of the page that failed
	Cursor string // cursor iterators: the start_from of the page that failed ("" for the first)
	Items  int    // the items yielded before it
	Err    error  // the page's error, a *vkapi.CallError
}

func (e *PageError) Error() string {
	at := "offset " + strconv.FormatInt(e.Offset, 10)
	if e.Cursor != "" {
		at = "start_from " + strconv.Quote(e.Cursor)
	}
	return fmt.Sprintf("api: %s: the page at %s failed after %d items: %v", e.Method, at, e.Items, e.Err)
}

func (e *PageError) Unwrap() error { return e.Err }

// offsetPages iterates over the items of method from offset, size items a
// page (maxSize when size is 0), until the total the responses report.
func offsetPages[R, T any](ctx context.Context, c *vkapi.Client, method string, q vkapi.Params, err error,
	offset, size, maxSize int64, o PageOptions, items func(*R) ([]T, int64)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err != nil {
			yield(zero, err)
			return
		}
		if size <= 0 {
			size = maxSize
		}
		per := min(max(o.PerExecute, 1), MaxPagesPerExecute)
		total := int64(-1) // unknown until the first page
		off, done := max(offset, 0), 0
		for {
			n := int64(per)
			if total >= 0 {
				n = min(n, (total-off+size-1)/size)
			}
			if n <= 0 {
				return
			}
			pages, errs := fetchPages[R](ctx, c, method, q, off, size, int(n))
			for i := range pages {
				if errs[i] != nil {
					yield(zero, &PageError{Method: method, Offset: off, Items: done, Err: errs[i]})
					return
				}
				its, tot := items(&pages[i])
				total = tot
				for _, it := range its {
					done++
					if !yield(it, nil) {
						return
					}
				}
				off += size
				if len(its) == 0 || off >= total {
					return
				}
			}
		}
	}
}

// fetchPages fetches n pages from off: alone when n is 1, else in one
// batch (one execute request).
func fetchPages[R any](ctx context.Context, c *vkapi.Client, method string, q vkapi.Params, off, size int64, n int) ([]R, []error) {
	pages := make([]R, n)
	errs := make([]error, n)
	page := func(i int) vkapi.Params {
		p := maps.Clone(q)
		if p == nil {
			p = vkapi.Params{}
		}
		p["offset"] = off + int64(i)*size
		p["count"] = size
		return p
	}
	if n == 1 {
		errs[0] = c.Call(ctx, method, page(0), &pages[0])
		return pages, errs
	}
	b := c.Batch()
	calls := make([]*vkapi.BatchCall, n)
	for i := range n {
		calls[i] = b.Add(method, page(i), &pages[i])
	}
	_ = b.Do(ctx) // each call keeps its own error
	for i, bc := range calls {
		errs[i] = bc.Err
	}
	return pages, errs
}

// maxCursorPages bounds a cursor iteration, against a server that hands
// out next_from forever.
const maxCursorPages = 100_000

// cursorPages iterates over the items of method page after page, sending
// each page's next_from as the next start_from, until there is none.
func cursorPages[R, T any](ctx context.Context, c *vkapi.Client, method string, q vkapi.Params, err error, items func(*R) ([]T, string)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err != nil {
			yield(zero, err)
			return
		}
		cursor, _ := q["start_from"].(string)
		done := 0
		for range maxCursorPages {
			p := maps.Clone(q)
			if cursor != "" {
				p["start_from"] = cursor
			}
			var r R
			if err := c.Call(ctx, method, p, &r); err != nil {
				yield(zero, &PageError{Method: method, Cursor: cursor, Items: done, Err: err})
				return
			}
			its, next := items(&r)
			for _, it := range its {
				done++
				if !yield(it, nil) {
					return
				}
			}
			if next == "" || next == cursor || len(its) == 0 {
				return
			}
			cursor = next
		}
	}
}
