package workflows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/vb365-restore/vb365-restore/activities"
)

// inputProblem is something wrong with the JSON of a RestoreInput that the
// decoder found: an unknown field, or a value of the wrong JSON type.
type inputProblem struct {
	field, value, msg string
}

// UnmarshalJSON decodes a RestoreInput so that a bad input fails validation
// with InvalidRequest naming the field, instead of being silently ignored (an
// unknown field, such as a misspelt "pointIntime") or failing every workflow
// task (a value of the wrong JSON type, which the SDK's decoder cannot put in
// the struct: the workflow would hang, not fail). It never returns an error;
// ValidateInput reports what it found.
//
// Field names match as encoding/json matches them (exact, then ignoring case).
func (in *RestoreInput) UnmarshalJSON(b []byte) error {
	type plain RestoreInput // no UnmarshalJSON: no recursion
	*in = RestoreInput{}
	raw := bytes.TrimSpace(b)
	if bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var p plain
	problems, ok := decodeStrict(raw, &p, "")
	if !ok {
		in.problems = []inputProblem{{field: "input", value: Clip(string(raw), valueBound),
			msg: "not a JSON object such as {\"organizationId\": \"...\", \"type\": \"vet\"}"}}
		return nil
	}
	*in = RestoreInput(p)
	in.problems = problems
	return nil
}

// strictTypes are the structs inside a RestoreInput decoded as strictly as
// the input itself (an unknown field in an action, such as
// "actions[1].tagret", is a problem named by its path), alone or in lists.
var strictTypes = []reflect.Type{reflect.TypeFor[activities.RestoreAction](), reflect.TypeFor[activities.RestoreLocation]()}

// decodeStrict decodes the JSON object raw into v (a pointer to a struct)
// field by field, and returns what it found wrong, each named by its path
// (prefix, then the field's JSON name): an unknown field, a value of the
// wrong JSON type. Fields of strictTypes, or lists of them, are decoded the
// same way. ok is false when raw is not a JSON object.
func decodeStrict(raw json.RawMessage, v any, prefix string) (problems []inputProblem, ok bool) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, false
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys) // one message, whatever the map order: replays decide the same
	sv := reflect.ValueOf(v).Elem()
	names := jsonFieldNames(sv.Type())
	for _, k := range keys {
		name, ok := knownField(names, k)
		if !ok {
			problems = append(problems, inputProblem{field: prefix + k, value: Clip(string(fields[k]), valueBound),
				msg: "unknown field; known fields are " + strings.Join(names, ", ")})
			continue
		}
		fv := sv.Field(fieldIndex(sv.Type(), name))
		if ps, handled := decodeStrictField(fields[k], fv, prefix+name); handled {
			problems = append(problems, ps...)
			continue
		}
		one, _ := json.Marshal(map[string]json.RawMessage{name: fields[k]})
		if err := json.Unmarshal(one, v); err != nil {
			problems = append(problems, inputProblem{field: prefix + name, value: Clip(string(fields[k]), valueBound),
				msg: "wrong JSON type: " + jsonTypeHint(err)})
		}
	}
	return problems, true
}

// decodeStrictField decodes raw into fv when fv is one of strictTypes, a
// pointer to one or a list of them (handled), with problems named under
// path (path[i] for a list's items).
func decodeStrictField(raw json.RawMessage, fv reflect.Value, path string) (problems []inputProblem, handled bool) {
	t := fv.Type()
	isList := t.Kind() == reflect.Slice
	elem := t
	if isList {
		elem = t.Elem()
	}
	isPtr := elem.Kind() == reflect.Pointer
	if isPtr {
		elem = elem.Elem()
	}
	if !slices.Contains(strictTypes, elem) {
		return nil, false
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		fv.SetZero()
		return nil, true
	}
	one := func(raw json.RawMessage, path string) (reflect.Value, []inputProblem) {
		p := reflect.New(elem)
		ps, ok := decodeStrict(raw, p.Interface(), path+".")
		if !ok {
			ps = []inputProblem{{field: path, value: Clip(string(raw), valueBound), msg: "wrong JSON type: want a JSON object"}}
		}
		if isPtr {
			return p, ps
		}
		return p.Elem(), ps
	}
	if !isList {
		v, ps := one(raw, path)
		fv.Set(v)
		return ps, true
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return []inputProblem{{field: path, value: Clip(string(raw), valueBound), msg: "wrong JSON type: want a JSON array"}}, true
	}
	list := reflect.MakeSlice(t, 0, len(items))
	for i, it := range items {
		v, ps := one(it, fmt.Sprintf("%s[%d]", path, i))
		problems = append(problems, ps...)
		list = reflect.Append(list, v)
	}
	fv.Set(list)
	return problems, true
}

// jsonFieldNames are the JSON names of a struct's exported fields.
func jsonFieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if n := jsonName(t.Field(i)); n != "" {
			names = append(names, n)
		}
	}
	return names
}

func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return f.Name
	}
	return name
}

// fieldIndex is the index of the field whose JSON name is name.
func fieldIndex(t reflect.Type, name string) int {
	for i := range t.NumField() {
		if jsonName(t.Field(i)) == name {
			return i
		}
	}
	return -1
}

// knownField matches k to one of names as encoding/json matches a key to
// a field: exactly, else ignoring case.
func knownField(names []string, k string) (string, bool) {
	for _, n := range names {
		if n == k {
			return n, true
		}
	}
	for _, n := range names {
		if strings.EqualFold(n, k) {
			return n, true
		}
	}
	return "", false
}

func jsonTypeHint(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("want a JSON %s, got %s", jsonKindOf(te.Type), te.Value)
	}
	return err.Error()
}

func jsonKindOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean (true or false)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Struct, reflect.Pointer, reflect.Map:
		return "object"
	}
	return t.String()
}

// valueBound keeps error messages bounded whatever a caller sent (runes of
// a value quoted in a message).
const valueBound = 100

// firstProblem is the InvalidRequest error for what the decoder found.
func firstProblem(ps []inputProblem) error {
	if len(ps) == 0 {
		return nil
	}
	p := ps[0]
	msg := p.msg
	if len(ps) > 1 {
		msg += fmt.Sprintf(" (and %d more problems in the input)", len(ps)-1)
	}
	return invalid(p.field, p.value, "%s", msg)
}
