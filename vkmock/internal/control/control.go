// Package control is the machinery of vkmock's JSON control API under
// /__vkmock/: a table of routes (a handler per HTTP method, a path ending
// in "/" taking the rest as {id}), the JSON answers, and request bodies
// read strictly — bounded (413 past MaxBody), unknown fields refused, a
// number out of range named with its field and range. The routes
// themselves belong to the rooms; vkmock assembles them.
package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// MaxBody bounds the bodies of control requests.
const MaxBody = 1 << 20

// Route is one endpoint of the control API: a handler per HTTP method
// ("*" for any method).
type Route map[string]http.HandlerFunc

// allow lists the methods of a route, for the Allow header.
func (rt Route) allow() string {
	methods := make([]string, 0, len(rt))
	for m := range rt {
		methods = append(methods, m)
	}
	slices.Sort(methods)
	return strings.Join(methods, ", ")
}

// Answer writes what a handler made: JSON with status, or 400 with err.
func Answer(w http.ResponseWriter, status int, out any, err error) {
	if err != nil {
		Error(w, http.StatusBadRequest, err)
		return
	}
	core.WriteJSON(w, status, out)
}

// GetJSON answers GET with what get returns.
func GetJSON(get func() any) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { core.WriteJSON(w, http.StatusOK, get()) }
}

// PostJSON decodes the body into a T, applies it and answers status with
// the result, or 400 with apply's error.
func PostJSON[T any](status int, apply func(T) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var v T
		if !DecodeBody(w, r, &v) {
			return
		}
		out, err := apply(v)
		Answer(w, status, out, err)
	}
}

// NoContent runs do and answers 204.
func NoContent(do func()) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		do()
		w.WriteHeader(http.StatusNoContent)
	}
}

// RemoveByID answers DELETE .../{id}: 204, or 404 when remove finds nothing.
func RemoveByID(what string, remove func(id string) bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !remove(r.PathValue("id")) {
			Error(w, http.StatusNotFound, errors.New("no such "+what))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// Routes is the control API: a route per path under /__vkmock, without a
// trailing slash; a path ending in "/" takes the rest as {id}.
type Routes map[string]Route

// ServeHTTP serves a control request: 404 for an unknown path, 405 with
// Allow for a method the route has not.
func (routes Routes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/__vkmock"), "/")
	rt, ok := routes[path]
	if !ok {
		if i := strings.LastIndexByte(path, '/'); i > 0 && i < len(path)-1 {
			if rt, ok = routes[path[:i+1]]; ok {
				r.SetPathValue("id", path[i+1:])
			}
		}
	}
	if !ok {
		Error(w, http.StatusNotFound, errors.New("unknown control endpoint"))
		return
	}
	h := rt["*"]
	if h == nil {
		h = rt[r.Method]
	}
	if h == nil {
		NotAllowed(w, rt.allow())
		return
	}
	h(w, r)
}

// DecodeBody reads a JSON body into v: at most MaxBody bytes (413
// beyond), no unknown field, nothing after the value. It answers the
// error itself and returns false when the body is refused.
func DecodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if tooLarge(w, err) {
			return false
		}
		Error(w, http.StatusBadRequest, jsonError(err))
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		if !tooLarge(w, err) {
			Error(w, http.StatusBadRequest, errors.New("bad JSON: text after the JSON value"))
		}
		return false
	}
	return true
}

// tooLarge answers 413 when err is a body over MaxBody.
func tooLarge(w http.ResponseWriter, err error) bool {
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) {
		return false
	}
	Error(w, http.StatusRequestEntityTooLarge, fmt.Errorf("body too large: over %d bytes", mbe.Limit))
	return true
}

// jsonError explains a decoding error, naming the field and the range of
// a number that does not fit.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		want := "a " + te.Type.String()
		switch te.Type.Kind() {
		case reflect.Int, reflect.Int64:
			want = fmt.Sprintf("a whole number between %d and %d", int64(math.MinInt64), int64(math.MaxInt64))
		case reflect.Int32:
			want = fmt.Sprintf("a whole number between %d and %d", math.MinInt32, math.MaxInt32)
		case reflect.Bool:
			want = "true or false"
		}
		return &core.FieldError{Field: te.Field, Msg: "must be " + want + ", not " + te.Value}
	}
	return errors.New("bad JSON: " + err.Error())
}

// Error answers {"error": ...}, with "field" for a FieldError.
func Error(w http.ResponseWriter, status int, err error) {
	body := map[string]string{"error": err.Error()}
	var fe *core.FieldError
	if errors.As(err, &fe) {
		body["field"] = fe.Field
	}
	core.WriteJSON(w, status, body)
}

// NotAllowed answers 405 with the Allow header.
func NotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	Error(w, http.StatusMethodNotAllowed, errors.New("method not allowed"))
}
