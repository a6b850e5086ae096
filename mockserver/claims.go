package mockserver

import "reflect"

// withoutNullClaims returns a copy of claims without its null-valued
// members (docs/conformance.md IR-6: an unset member is omitted, never null); nil when
// none is left. Nulls nested in a claim's value are JSON values and stay.
func withoutNullClaims(claims map[string]any) map[string]any {
	var out map[string]any
	for name, v := range claims {
		if isNullClaim(v) {
			continue
		}
		if out == nil {
			out = make(map[string]any, len(claims))
		}
		out[name] = v
	}
	return out
}

// isNullClaim reports whether v encodes as JSON null: nil, or a nil
// pointer, map, slice or interface.
func isNullClaim(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
