package workflows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// Bounds and defaults of the input. They are part of the workflow's
// contract: changing them changes what a replayed validation decides, so a
// change needs workflow versioning.
const (
	DefaultMaxSessionDuration = 8 * time.Hour
	// MaxMaxSessionDuration caps a session at 7 days: VB365 sessions hold
	// server resources, and a week covers any restore an operator drives.
	MaxMaxSessionDuration = 7 * 24 * time.Hour
	DefaultPollInterval   = 15 * time.Second
	MinPollInterval       = time.Second
	MaxPollInterval       = 10 * time.Minute
	// MaxActions bounds a restore's actions: each costs about a dozen
	// history events, and their rows travel in the report, the status query
	// and every continue-as-new input.
	MaxActions = 100
	// FutureTolerance is how far ahead of the workflow's clock a point in
	// time may be (clock skew between the caller and the worker).
	FutureTolerance = 5 * time.Minute
)

// pointInTimeLayouts are the accepted layouts besides RFC 3339, read as UTC.
// Go's parser accepts a fractional second after the seconds even where the
// layout has none.
var pointInTimeLayouts = []string{"2006-01-02 15:04:05", "2006.01.02 15:04:05"}

// RestoreRequest is a RestoreInput the workflow accepts, read into typed
// values.
type RestoreRequest struct {
	OrganizationID string
	// PointInTime is nil for "the latest restore point".
	PointInTime            *time.Time
	Type                   vb365.SessionType
	ShowDeleted            bool
	ShowAllVersions        bool
	AllowBeforeFirstBackup bool
	MaxSessionDuration     time.Duration
	PollInterval           time.Duration
	// Actions are the input's, checked (activities.CheckAction) and with
	// their kind in lower case.
	Actions         []activities.RestoreAction
	KeepSessionOpen bool
	StopOnFailure   bool
}

// ValidateInput checks every field of in against now, the one validation of
// a restore's input: the workflow runs it first (now is its clock), and the
// starter runs it before starting anything (now is the caller's clock), so a
// tool accepts exactly what the workflow accepts. What the strict JSON
// decoding of RestoreInput found (an unknown field, a value of the wrong JSON
// type) is reported first. Errors are non-retryable ApplicationErrors of type
// ErrInvalidRequest or ErrPointInTimeInFuture whose message starts with the
// JSON name of the field. It is pure, so that it replays identically.
func ValidateInput(in RestoreInput, now time.Time) (RestoreRequest, error) {
	var r RestoreRequest
	if err := firstProblem(in.problems); err != nil {
		return r, err
	}
	id := strings.TrimSpace(in.OrganizationID)
	if u, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return r, invalid("organizationId", in.OrganizationID, "not a UUID such as 3c424478-0811-4920-8aab-01f0bf2a2822")
	} else {
		r.OrganizationID = u.String()
	}

	if strings.TrimSpace(in.PointInTime) != "" {
		t, err := parsePointInTime(in.PointInTime)
		if err != nil {
			return r, err
		}
		if ahead := t.Sub(now); ahead > FutureTolerance {
			return r, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("pointInTime %q: %s ahead of now (%s); at most %s ahead is accepted",
					in.PointInTime, ahead.Round(time.Second), now.UTC().Format(time.RFC3339), FutureTolerance),
				ErrPointInTimeInFuture, nil)
		}
		r.PointInTime = &t
	}

	typ, err := vb365.ParseSessionType(in.Type)
	if err != nil {
		return r, invalid("type", in.Type, "want vex, vesp, veod, vet or exchange, sharepoint, onedrive, teams")
	}
	r.Type = typ
	r.ShowDeleted, r.ShowAllVersions = in.ShowDeleted, in.ShowAllVersions

	switch strings.ToLower(strings.TrimSpace(in.BeforeFirstBackup)) {
	case "", "fail":
	case "allow":
		r.AllowBeforeFirstBackup = true
	default:
		return r, invalid("beforeFirstBackup", in.BeforeFirstBackup, "want fail or allow")
	}

	if r.MaxSessionDuration, err = parseDuration("maxSessionDuration", in.MaxSessionDuration,
		DefaultMaxSessionDuration, time.Nanosecond, MaxMaxSessionDuration, "more than 0 and at most 168h (7 days)"); err != nil {
		return r, err
	}
	if r.PollInterval, err = parseDuration("pollInterval", in.PollInterval,
		DefaultPollInterval, MinPollInterval, MaxPollInterval, "between 1s and 10m"); err != nil {
		return r, err
	}
	if r.Actions, err = validateActions(in.Actions, r.Type); err != nil {
		return r, err
	}
	r.KeepSessionOpen, r.StopOnFailure = in.KeepSessionOpen, in.StopOnFailure
	return r, nil
}

// validateActions checks each action as the activity will
// (activities.CheckAction, field actions[i]) against the session type, and
// returns copies with their kind in lower case. A credential profile is
// left to the activity: only the worker knows its profiles.
func validateActions(acts []activities.RestoreAction, typ vb365.SessionType) ([]activities.RestoreAction, error) {
	if len(acts) > MaxActions {
		return nil, invalid("actions", fmt.Sprintf("%d actions", len(acts)), "at most %d actions per restore (split it)", MaxActions)
	}
	var out []activities.RestoreAction
	for i, a := range acts {
		if err := activities.CheckAction(&a, typ, fmt.Sprintf("actions[%d]", i)); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// parsePointInTime reads RFC 3339, or yyyy-MM-dd HH:mm:ss[.fff] or
// yyyy.MM.dd HH:mm:ss as UTC.
func parsePointInTime(s string) (time.Time, error) {
	v := strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range pointInTimeLayouts {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, invalid("pointInTime", s, "not RFC 3339 or yyyy-MM-dd HH:mm:ss")
}

// parseDuration reads a Go duration in [lo, hi], def when empty.
func parseDuration(field, s string, def, lo, hi time.Duration, bounds string) (time.Duration, error) {
	v := strings.TrimSpace(s)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, invalid(field, s, "not a duration such as 8h, 90m or 15s")
	}
	if d < lo || d > hi {
		return 0, invalid(field, s, "must be %s", bounds)
	}
	return d, nil
}

// Input writes r back as the RestoreInput it was read from, in one form:
// the organization as a lower-case UUID, the point in time in RFC 3339 (UTC),
// the type as its code (vex, vesp, veod, vet), durations without zero units
// (8h, 1h30m, 15s). ValidateInput reads it back to r.
func (r RestoreRequest) Input() RestoreInput {
	in := RestoreInput{
		OrganizationID:     r.OrganizationID,
		Type:               strings.ToLower(string(r.Type)),
		ShowDeleted:        r.ShowDeleted,
		ShowAllVersions:    r.ShowAllVersions,
		BeforeFirstBackup:  "fail",
		MaxSessionDuration: shortDuration(r.MaxSessionDuration),
		PollInterval:       shortDuration(r.PollInterval),
		Actions:            r.Actions,
		KeepSessionOpen:    r.KeepSessionOpen,
		StopOnFailure:      r.StopOnFailure,
	}
	if r.PointInTime != nil {
		in.PointInTime = r.PointInTime.UTC().Format(time.RFC3339Nano)
	}
	if r.AllowBeforeFirstBackup {
		in.BeforeFirstBackup = "allow"
	}
	return in
}

// shortDuration is d as time.Duration.String writes it, without the zero
// minutes and seconds it appends to whole hours and minutes.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

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
	problems, ok := decodeStrict(raw, &p, "", retiredInputFields)
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
//
// retired are integer fields the struct no longer has: accepted, their JSON
// type checked, and dropped (see retiredInputFields).
func decodeStrict(raw json.RawMessage, v any, prefix string, retired []string) (problems []inputProblem, ok bool) {
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
		if name, ok := knownField(retired, k); ok {
			if err := json.Unmarshal(fields[k], new(int)); err != nil {
				problems = append(problems, inputProblem{field: prefix + name, value: Clip(string(fields[k]), valueBound),
					msg: "wrong JSON type: " + jsonTypeHint(err)})
			}
			continue
		}
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
		ps, ok := decodeStrict(raw, p.Interface(), path+".", nil)
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

// retiredInputFields are integer fields a RestoreInput had and no longer
// has. The decoder accepts them, checks their JSON type as it did, and drops
// them, so that the input of a restore started while they existed decides
// the same when its history replays. continueAsNewAfterBatches bounded the
// event batches of a run; Options.BatchesPerRun, a worker's setting, does.
var retiredInputFields = []string{"continueAsNewAfterBatches"}

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

// pointInTimeChoice is what the workflow asks VB365 to open and what it
// reports.
type pointInTimeChoice struct {
	// Send is the datetime of the explore request.
	Send time.Time
	// Effective is the restore point the session shows.
	Effective time.Time
	// ClampedToLatest is true when the requested point was after the last
	// backup, so VB365 opens the latest restore point.
	ClampedToLatest bool
}

// resolveWindow checks the requested point in time (nil = latest) against
// the organization's backup window. It is pure.
//
// After lastBackuptime the requested time is still sent (VB365 opens the
// latest restore point for it, as Veeam's v5 "Create Restore Session" example shows); the report says
// so. Before firstBackuptime VB365 would open an empty session, which is
// almost always a mistake, hence an error unless allowBefore.
func resolveWindow(org vb365.Organization, requested *time.Time, allowBefore bool) (pointInTimeChoice, error) {
	name := orgLabel(org)
	if !org.IsBackedUp || org.LastBackupTime == nil {
		return pointInTimeChoice{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("organizationId %q: organization %s has no backup (isBackedup=%t, lastBackuptime missing=%t)",
				org.ID, name, org.IsBackedUp, org.LastBackupTime == nil), ErrOrganizationNotBackedUp, nil)
	}
	last := org.LastBackupTime.UTC()
	if requested == nil {
		return pointInTimeChoice{Send: last, Effective: last}, nil
	}
	t := requested.UTC()
	if org.FirstBackupTime != nil && t.Before(*org.FirstBackupTime) && !allowBefore {
		return pointInTimeChoice{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("pointInTime %q: before the first backup of organization %s (%s); set beforeFirstBackup to allow to open an empty session anyway",
				t.Format(time.RFC3339Nano), name, org.FirstBackupTime.UTC().Format(time.RFC3339)),
			ErrPointInTimeBeforeFirstBackup, nil)
	}
	if t.After(last) {
		return pointInTimeChoice{Send: t, Effective: last, ClampedToLatest: true}, nil
	}
	return pointInTimeChoice{Send: t, Effective: t}, nil
}

func orgLabel(org vb365.Organization) string {
	if org.Name != "" {
		return fmt.Sprintf("%q", org.Name)
	}
	return fmt.Sprintf("%q", org.ID)
}
