package vkerr

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// AdsError is the failure of one item of an ads.* method that acts on
// several objects: the item is {"error_code":N,"error_desc":"..."} instead
// of its result (note error_desc, not error_msg), or, for ads.delete*, a
// non-zero code instead of 0. It matches its code and the code's category.
type AdsError struct {
	Index int    // position of the item in the response array
	Code  Code   // error_code
	Desc  string // error_desc
}

func (e *AdsError) Error() string {
	msg := e.Desc
	if msg == "" {
		msg = e.Code.Info().MessageEN
	}
	return "vk: ads item " + strconv.Itoa(e.Index) + ": error " + strconv.Itoa(int(e.Code)) + ": " + RedactString(msg)
}

// Is matches the item's code and its category.
func (e *AdsError) Is(target error) bool {
	switch t := target.(type) {
	case Code:
		return e.Code == t
	case Category:
		return e.Code.Category() == t
	}
	return false
}

// AdsErrors lists the failed items of an ads.* response. errors.Is and
// errors.As look at every member.
type AdsErrors []*AdsError

func (ae AdsErrors) Error() string {
	parts := make([]string, 0, min(len(ae), 3))
	for i, e := range ae {
		if i == 3 {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, strings.TrimPrefix(e.Error(), "vk: "))
	}
	return "vk: " + strconv.Itoa(len(ae)) + " ads items failed: " + strings.Join(parts, "; ")
}

// Unwrap returns the members, for errors.Is and errors.As.
func (ae AdsErrors) Unwrap() []error {
	errs := make([]error, len(ae))
	for i, e := range ae {
		errs[i] = e
	}
	return errs
}

// DecodeAdsResults splits the response of a multi-object ads.* method into
// its items. Items that failed are left nil in the result and reported in
// the AdsErrors; a response that is not an array is returned whole as one
// item. With deleteCodes set (the ads.delete* methods), a number item is a
// code: 0 for success.
func DecodeAdsResults(response json.RawMessage, deleteCodes bool) ([]json.RawMessage, error) {
	t := bytes.TrimSpace(response)
	if len(t) == 0 || t[0] != '[' {
		return []json.RawMessage{response}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(t, &items); err != nil {
		return nil, &FormatError{Reason: "ads results: " + err.Error(), Snippet: RedactedSnippet(t)}
	}
	var errs AdsErrors
	for i, it := range items {
		it = bytes.TrimSpace(it)
		if len(it) == 0 {
			continue
		}
		switch {
		case it[0] == '{':
			var obj map[string]json.RawMessage
			if json.Unmarshal(it, &obj) != nil {
				continue
			}
			desc, hasDesc := obj["error_desc"]
			code, hasCode := obj["error_code"]
			if !hasDesc && !hasCode {
				continue
			}
			n, _ := flexInt(code)
			e := &AdsError{Index: i, Code: Code(n)}
			if hasDesc {
				e.Desc, _, _ = flexString(desc)
			}
			errs = append(errs, e)
			items[i] = nil
		case deleteCodes && (it[0] >= '0' && it[0] <= '9' || it[0] == '-'):
			n, err := flexInt(it)
			if err == nil && n != 0 {
				errs = append(errs, &AdsError{Index: i, Code: Code(n)})
				items[i] = nil
			}
		}
	}
	if len(errs) > 0 {
		return items, errs
	}
	return items, nil
}
