package workflows

import (
	"fmt"
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

// invalid is the InvalidRequest error: the message names the field and the
// value.
func invalid(field, value, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("%s %q: %s", field, Clip(value, valueBound), fmt.Sprintf(format, args...)), ErrInvalidRequest, nil)
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
