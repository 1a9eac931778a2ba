package workflows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
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
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		in.problems = []inputProblem{{field: "input", value: Clip(string(raw), valueBound),
			msg: "not a JSON object such as {\"organizationId\": \"...\", \"type\": \"vet\"}"}}
		return nil
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys) // one message, whatever the map order: replays decide the same
	var p plain
	for _, k := range keys {
		name, ok := knownInputField(k)
		if !ok {
			in.problems = append(in.problems, inputProblem{field: k, value: Clip(string(fields[k]), valueBound),
				msg: "unknown field; known fields are " + strings.Join(inputFieldNames, ", ")})
			continue
		}
		one, _ := json.Marshal(map[string]json.RawMessage{name: fields[k]})
		if err := json.Unmarshal(one, &p); err != nil {
			in.problems = append(in.problems, inputProblem{field: name, value: Clip(string(fields[k]), valueBound),
				msg: "wrong JSON type: " + jsonTypeHint(err)})
		}
	}
	problems := in.problems
	*in = RestoreInput(p)
	in.problems = problems
	return nil
}

// inputFieldNames are the JSON names of RestoreInput's fields.
var inputFieldNames = func() []string {
	var names []string
	t := reflect.TypeFor[RestoreInput]()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		names = append(names, name)
	}
	return names
}()

func knownInputField(k string) (string, bool) {
	for _, n := range inputFieldNames {
		if n == k {
			return n, true
		}
	}
	for _, n := range inputFieldNames {
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
