package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/shopspring/decimal"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads exactly one JSON value into dst: unknown fields,
// trailing data, a body over MaxBodyBytes and type mismatches are 400s
// that say what is wrong.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &statusError{http.StatusUnsupportedMediaType, "Content-Type must be application/json"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if dec.Decode(&struct{}{}) != io.EOF {
			return badRequest("body must hold a single JSON object")
		}
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return badRequest("empty body: want a JSON object")
	case errors.As(err, &syn):
		return badRequest("malformed JSON at byte %d", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed JSON: unexpected end of body")
	case errors.As(err, &typ):
		if typ.Field != "" {
			return badRequest("field %q: want %s, got %s", typ.Field, jsonKind(typ.Type), typ.Value)
		}
		return badRequest("want %s, got %s", jsonKind(typ.Type), typ.Value)
	case errors.As(err, &big):
		return &statusError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", big.Limit)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return badRequest("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return badRequest("invalid JSON: %v", err)
}

// jsonKind names the JSON type that decodes into t.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a number"
}

// num renders a decimal as a JSON number with its exact digits.
func num(d decimal.Decimal) json.Number { return json.Number(d.String()) }
