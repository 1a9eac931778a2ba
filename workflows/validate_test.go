package workflows

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

const testOrgID = "3c424478-0811-4920-8aab-01f0bf2a2822"

var testNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func requireAppErr(t *testing.T, err error, errType string, contains ...string) {
	t.Helper()
	require.Error(t, err)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "not an ApplicationError: %v", err)
	require.Equal(t, errType, ae.Type(), "error: %v", err)
	require.True(t, ae.NonRetryable())
	for _, c := range contains {
		require.Contains(t, err.Error(), c)
	}
}

func TestValidateInput(t *testing.T) {
	ok := RestoreInput{OrganizationID: testOrgID, Type: "vet"}
	with := func(f func(*RestoreInput)) RestoreInput { in := ok; f(&in); return in }
	tests := []struct {
		name     string
		in       RestoreInput
		errType  string
		contains []string
		check    func(t *testing.T, r RestoreRequest)
	}{
		{name: "defaults", in: ok, check: func(t *testing.T, r RestoreRequest) {
			require.Nil(t, r.PointInTime)
			require.Equal(t, vb365.SessionTypeTeams, r.Type)
			require.Equal(t, 8*time.Hour, r.MaxSessionDuration)
			require.Equal(t, 15*time.Second, r.PollInterval)
			require.False(t, r.AllowBeforeFirstBackup)
		}},
		{name: "org id upper case", in: with(func(i *RestoreInput) { i.OrganizationID = "3C424478-0811-4920-8AAB-01F0BF2A2822" }),
			check: func(t *testing.T, r RestoreRequest) { require.Equal(t, testOrgID, r.OrganizationID) }},
		{name: "org id not uuid", in: with(func(i *RestoreInput) { i.OrganizationID = "abc" }),
			errType: ErrInvalidRequest, contains: []string{`organizationId "abc"`}},
		{name: "org id braces", in: with(func(i *RestoreInput) { i.OrganizationID = "{" + testOrgID + "}" }),
			errType: ErrInvalidRequest, contains: []string{`organizationId "{3c42`}},
		{name: "org id empty", in: with(func(i *RestoreInput) { i.OrganizationID = "" }),
			errType: ErrInvalidRequest, contains: []string{`organizationId ""`}},
		{name: "rfc3339 seed", in: with(func(i *RestoreInput) { i.PointInTime = "2020-10-30T10:54:40.2794046Z" }),
			check: func(t *testing.T, r RestoreRequest) {
				require.Equal(t, time.Date(2020, 10, 30, 10, 54, 40, 279404600, time.UTC), *r.PointInTime)
			}},
		{name: "rfc3339 offset", in: with(func(i *RestoreInput) { i.PointInTime = "2020-10-30T12:54:40+02:00" }),
			check: func(t *testing.T, r RestoreRequest) {
				require.Equal(t, time.Date(2020, 10, 30, 10, 54, 40, 0, time.UTC), *r.PointInTime)
			}},
		{name: "dashes as utc", in: with(func(i *RestoreInput) { i.PointInTime = "2020-10-30 10:54:40" }),
			check: func(t *testing.T, r RestoreRequest) {
				require.Equal(t, time.Date(2020, 10, 30, 10, 54, 40, 0, time.UTC), *r.PointInTime)
			}},
		{name: "dashes with millis", in: with(func(i *RestoreInput) { i.PointInTime = "2020-10-30 10:54:40.123" }),
			check: func(t *testing.T, r RestoreRequest) {
				require.Equal(t, time.Date(2020, 10, 30, 10, 54, 40, 123000000, time.UTC), *r.PointInTime)
			}},
		{name: "dots as utc", in: with(func(i *RestoreInput) { i.PointInTime = "2020.10.30 10:54:40" }),
			check: func(t *testing.T, r RestoreRequest) {
				require.Equal(t, time.Date(2020, 10, 30, 10, 54, 40, 0, time.UTC), *r.PointInTime)
			}},
		{name: "bad point in time", in: with(func(i *RestoreInput) { i.PointInTime = "2020-13-45" }),
			errType: ErrInvalidRequest, contains: []string{`pointInTime "2020-13-45": not RFC 3339 or yyyy-MM-dd HH:mm:ss`}},
		{name: "impossible date", in: with(func(i *RestoreInput) { i.PointInTime = "2020-02-30 10:00:00" }),
			errType: ErrInvalidRequest, contains: []string{`pointInTime "2020-02-30 10:00:00"`}},
		{name: "within future tolerance", in: with(func(i *RestoreInput) { i.PointInTime = testNow.Add(4 * time.Minute).Format(time.RFC3339) })},
		{name: "in future", in: with(func(i *RestoreInput) { i.PointInTime = "2026-05-01T12:06:00Z" }),
			errType: ErrPointInTimeInFuture, contains: []string{`pointInTime "2026-05-01T12:06:00Z"`, "6m0s ahead"}},
		{name: "type workload name", in: with(func(i *RestoreInput) { i.Type = "SharePoint" }),
			check: func(t *testing.T, r RestoreRequest) { require.Equal(t, vb365.SessionTypeSharePoint, r.Type) }},
		{name: "type upper", in: with(func(i *RestoreInput) { i.Type = "VEX" }),
			check: func(t *testing.T, r RestoreRequest) { require.Equal(t, vb365.SessionTypeExchange, r.Type) }},
		{name: "type bad", in: with(func(i *RestoreInput) { i.Type = "mail" }),
			errType: ErrInvalidRequest, contains: []string{`type "mail"`}},
		{name: "type empty", in: with(func(i *RestoreInput) { i.Type = "" }),
			errType: ErrInvalidRequest, contains: []string{`type ""`}},
		{name: "before first allow", in: with(func(i *RestoreInput) { i.BeforeFirstBackup = "Allow" }),
			check: func(t *testing.T, r RestoreRequest) { require.True(t, r.AllowBeforeFirstBackup) }},
		{name: "before first bad", in: with(func(i *RestoreInput) { i.BeforeFirstBackup = "maybe" }),
			errType: ErrInvalidRequest, contains: []string{`beforeFirstBackup "maybe"`}},
		{name: "max duration", in: with(func(i *RestoreInput) { i.MaxSessionDuration = "90m" }),
			check: func(t *testing.T, r RestoreRequest) { require.Equal(t, 90*time.Minute, r.MaxSessionDuration) }},
		{name: "max duration 7 days", in: with(func(i *RestoreInput) { i.MaxSessionDuration = "168h" })},
		{name: "max duration too long", in: with(func(i *RestoreInput) { i.MaxSessionDuration = "169h" }),
			errType: ErrInvalidRequest, contains: []string{`maxSessionDuration "169h"`, "7 days"}},
		{name: "max duration zero", in: with(func(i *RestoreInput) { i.MaxSessionDuration = "0s" }),
			errType: ErrInvalidRequest, contains: []string{`maxSessionDuration "0s"`}},
		{name: "max duration negative", in: with(func(i *RestoreInput) { i.MaxSessionDuration = "-1h" }),
			errType: ErrInvalidRequest, contains: []string{`maxSessionDuration "-1h"`}},
		{name: "max duration days syntax", in: with(func(i *RestoreInput) { i.MaxSessionDuration = "2d" }),
			errType: ErrInvalidRequest, contains: []string{`maxSessionDuration "2d"`, "not a duration"}},
		{name: "poll interval", in: with(func(i *RestoreInput) { i.PollInterval = "1s" }),
			check: func(t *testing.T, r RestoreRequest) { require.Equal(t, time.Second, r.PollInterval) }},
		{name: "poll interval too short", in: with(func(i *RestoreInput) { i.PollInterval = "500ms" }),
			errType: ErrInvalidRequest, contains: []string{`pollInterval "500ms"`, "between 1s and 10m"}},
		{name: "poll interval too long", in: with(func(i *RestoreInput) { i.PollInterval = "11m" }),
			errType: ErrInvalidRequest, contains: []string{`pollInterval "11m"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ValidateInput(tc.in, testNow)
			if tc.errType != "" {
				requireAppErr(t, err, tc.errType, tc.contains...)
				return
			}
			require.NoError(t, err)
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestResolveWindow(t *testing.T) {
	first := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)
	org := vb365.Organization{ID: testOrgID, Name: "abc.onmicrosoft.com", IsBackedUp: true, FirstBackupTime: &first, LastBackupTime: &last}
	at := func(t time.Time) *time.Time { return &t }
	inside := time.Date(2020, 10, 15, 0, 0, 0, 0, time.UTC)
	seed := time.Date(2020, 10, 30, 10, 54, 40, 279404600, time.UTC)
	before := time.Date(2020, 9, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		org      vb365.Organization
		at       *time.Time
		allow    bool
		want     pointInTimeChoice
		errType  string
		contains string
	}{
		{name: "latest", org: org, want: pointInTimeChoice{Send: last, Effective: last}},
		{name: "inside", org: org, at: at(inside), want: pointInTimeChoice{Send: inside, Effective: inside}},
		{name: "exactly last", org: org, at: at(last), want: pointInTimeChoice{Send: last, Effective: last}},
		{name: "after last clamps", org: org, at: at(seed), want: pointInTimeChoice{Send: seed, Effective: last, ClampedToLatest: true}},
		{name: "before first", org: org, at: at(before), errType: ErrPointInTimeBeforeFirstBackup, contains: `pointInTime "2020-09-01T00:00:00Z"`},
		{name: "before first allowed", org: org, at: at(before), allow: true, want: pointInTimeChoice{Send: before, Effective: before}},
		{name: "not backed up", org: vb365.Organization{ID: testOrgID, Name: "x"}, errType: ErrOrganizationNotBackedUp, contains: `organizationId "` + testOrgID},
		{name: "flag without time", org: vb365.Organization{ID: testOrgID, IsBackedUp: true}, errType: ErrOrganizationNotBackedUp, contains: `organizationId "` + testOrgID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolveWindow(tc.org, tc.at, tc.allow)
			if tc.errType != "" {
				requireAppErr(t, err, tc.errType, tc.contains)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestEventLogRecordsOnceInOrderBounded(t *testing.T) {
	l := newEventLog()
	require.Equal(t, 2, l.record([]vb365.RestoreSessionEvent{{Order: 0, Status: "Success"}, {Order: 1, Status: "Failed"}}))
	require.Equal(t, 1, l.record([]vb365.RestoreSessionEvent{{Order: 1, Status: "Failed"}, {Order: 2, Status: "Success"}}))
	require.Equal(t, 0, l.record(nil))
	require.Equal(t, int32(2), l.LastOrder)
	require.Equal(t, EventCounts{Total: 3, ByStatus: map[string]int{"Success": 2, "Failed": 1}}, l.Counts)

	big := make([]vb365.RestoreSessionEvent, reportEventBound+5)
	for i := range big {
		big[i] = vb365.RestoreSessionEvent{Order: int32(i + 3), Status: "Success"}
	}
	l.record(big)
	require.Len(t, l.Latest, reportEventBound)
	require.Equal(t, 8, l.Dropped)
	require.Equal(t, int32(reportEventBound+7), l.tail(1)[0].Order)
}

func TestSummaryBound(t *testing.T) {
	long := ""
	for range 60 {
		long += "é€x"
	}
	s := summary(long)
	require.LessOrEqual(t, len(s), 200)
	require.True(t, len(s) > 150)
	require.Equal(t, "abc", summary("abc"))
}

func TestRenderDetails(t *testing.T) {
	pit := time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)
	md := renderDetails(Status{Phase: PhaseOpen, Organization: OrganizationInfo{ID: testOrgID, Name: "abc.onmicrosoft.com"},
		EffectivePointInTime: &pit, Session: &vb365.RestoreSession{ID: "s1", Name: "Teams restore", State: "Working"},
		EventCounts:  EventCounts{Total: 2, ByStatus: map[string]int{"Warning": 1, "Success": 1}},
		LatestEvents: []vb365.RestoreSessionEvent{{Order: 1, Status: "Warning", Message: "a|b"}}})
	require.Contains(t, md, "session-open")
	require.Contains(t, md, "abc.onmicrosoft.com")
	require.Contains(t, md, "2 (Success 1, Warning 1)")
	require.Contains(t, md, `a\|b`)
}

// TestValidateInputAcceptsTheDocumentedForms holds the point-in-time layouts
// and the duration bounds that tools (the starter's flags, playbook files)
// rely on, and that the one form Input writes reads back to the same request.
func TestValidateInputAcceptsTheDocumentedForms(t *testing.T) {
	ms := func(d time.Duration) string { return d.String() }
	tests := []struct {
		name                          string
		at, maxDuration, pollInterval string
		accepted                      bool
	}{
		{"defaults", "", "8h", "15s", true},
		{"RFC 3339", "2020-10-30T10:54:40Z", "8h", "15s", true},
		{"RFC 3339 offset and fraction", "2020-10-30T12:54:40.2794046+02:00", "8h", "15s", true},
		{"RFC 3339 padded", "  2020-10-30T10:54:40Z ", "8h", "15s", true},
		{"yyyy-MM-dd HH:mm:ss", "2020-10-30 10:54:40", "8h", "15s", true},
		{"yyyy-MM-dd HH:mm:ss.fff", "2020-10-30 10:54:40.123", "8h", "15s", true},
		{"yyyy.MM.dd HH:mm:ss", "2020.10.30 10:54:40", "8h", "15s", true},
		{"yyyy.MM.dd HH:mm:ss.f", "2020.10.30 10:54:40.5", "8h", "15s", true},
		{"date only", "2020-10-30", "8h", "15s", false},
		{"no zone", "2020-10-30T10:54:40", "8h", "15s", false},
		{"day first", "30/10/2020 10:54:40", "8h", "15s", false},
		{"words", "yesterday", "8h", "15s", false},
		{"max duration at the bound", "", ms(MaxMaxSessionDuration), "15s", true},
		{"max duration over the bound", "", ms(MaxMaxSessionDuration + time.Second), "15s", false},
		{"max duration smallest", "", "1ns", "15s", true},
		{"max duration zero", "", "0s", "15s", false},
		{"max duration negative", "", "-1h", "15s", false},
		{"max duration no unit", "", "8", "15s", false},
		{"max duration padded", "", " 90m ", "15s", true},
		{"max duration empty: the default", "", "", "15s", true},
		{"poll at the lower bound", "", "8h", ms(MinPollInterval), true},
		{"poll under the lower bound", "", "8h", ms(MinPollInterval - time.Millisecond), false},
		{"poll at the upper bound", "", "8h", ms(MaxPollInterval), true},
		{"poll over the upper bound", "", "8h", ms(MaxPollInterval + time.Second), false},
		{"poll not a duration", "", "8h", "often", false},
		{"poll empty: the default", "", "8h", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := RestoreInput{OrganizationID: testOrgID, Type: "vet", BeforeFirstBackup: "fail",
				PointInTime: tt.at, MaxSessionDuration: tt.maxDuration, PollInterval: tt.pollInterval}
			r, err := ValidateInput(in, testNow)
			if !tt.accepted {
				requireAppErr(t, err, ErrInvalidRequest)
				return
			}
			require.NoError(t, err)
			again, err := ValidateInput(r.Input(), testNow)
			require.NoError(t, err, "the written form %+v", r.Input())
			require.Equal(t, r, again)
		})
	}
}

func TestRequestInputOneForm(t *testing.T) {
	at := time.Date(2020, 10, 30, 10, 54, 40, 279404600, time.UTC)
	r := RestoreRequest{OrganizationID: testOrgID, PointInTime: &at, Type: vb365.SessionTypeExchange,
		ShowDeleted: true, AllowBeforeFirstBackup: true, MaxSessionDuration: 90 * time.Minute, PollInterval: 15 * time.Second}
	require.Equal(t, RestoreInput{OrganizationID: testOrgID, PointInTime: "2020-10-30T10:54:40.2794046Z", Type: "vex",
		ShowDeleted: true, BeforeFirstBackup: "allow", MaxSessionDuration: "1h30m", PollInterval: "15s"}, r.Input())
	r.MaxSessionDuration, r.PointInTime = 8*time.Hour, nil
	require.Equal(t, "8h", r.Input().MaxSessionDuration)
	require.Empty(t, r.Input().PointInTime)
}

// decode runs v through the SDK's default data converter into a RestoreInput,
// as a workflow started from any SDK, the CLI or the Web UI receives it.
func decode(t *testing.T, v any) RestoreInput {
	t.Helper()
	dc := converter.GetDefaultDataConverter()
	p, err := dc.ToPayload(v)
	require.NoError(t, err)
	var in RestoreInput
	require.NoError(t, dc.FromPayload(p, &in), "decoding must never fail: the workflow task would fail forever")
	return in
}

func TestInputDecodingReportsUnknownFieldsAndWrongTypes(t *testing.T) {
	tests := []struct {
		name     string
		raw      any
		contains []string
	}{
		{"unknown field", map[string]any{"organizationId": testOrgID, "type": "vet", "pointOfTime": "2020-10-30T10:00:00Z"},
			[]string{`pointOfTime "\"2020-10-30T10:00:00Z\""`, "unknown field", "pointInTime"}},
		{"wrong type bool", map[string]any{"organizationId": testOrgID, "type": "vet", "showDeleted": "yes"},
			[]string{"showDeleted", "want a JSON boolean"}},
		{"wrong type string", map[string]any{"organizationId": 42, "type": "vet"},
			[]string{"organizationId", "want a JSON string"}},
		{"retired field of the wrong type", map[string]any{"organizationId": testOrgID, "type": "vet", "continueAsNewAfterBatches": 1e30},
			[]string{"continueAsNewAfterBatches", "want a JSON integer"}},
		{"not an object", []string{testOrgID}, []string{"input", "not a JSON object"}},
		{"two problems", map[string]any{"organizationId": testOrgID, "type": "vet", "a": 1, "b": 2},
			[]string{`a "1"`, "and 1 more"}},
	}
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) {
			_, err := ValidateInput(decode(t, c.raw), testNow)
			requireAppErr(t, err, ErrInvalidRequest, c.contains...)
		})
	}
}

func TestInputDecodingKeepsValidInputs(t *testing.T) {
	in := RestoreInput{OrganizationID: testOrgID, PointInTime: "2020-10-15T00:00:00Z", Type: "vet", ShowDeleted: true,
		MaxSessionDuration: "1h", PollInterval: "1s", NotifyParent: true,
		Continuation: &Continuation{Runs: 2, Events: newEventLog()}}
	got := decode(t, in)
	require.Equal(t, in, got)
	_, err := ValidateInput(got, testNow)
	require.NoError(t, err)

	// Names match as encoding/json matches them: ignoring case.
	got = decode(t, map[string]any{"OrganizationID": testOrgID, "TYPE": "vet"})
	require.Equal(t, testOrgID, got.OrganizationID)
	require.Equal(t, "vet", got.Type)
	_, err = ValidateInput(got, testNow)
	require.NoError(t, err)
}

// TestInputDecodingAcceptsRetiredFields: the input of a restore started
// while continueAsNewAfterBatches was a field still validates (its history
// replays), and the field is dropped: the next run's input does not carry it.
func TestInputDecodingAcceptsRetiredFields(t *testing.T) {
	got := decode(t, map[string]any{"organizationId": testOrgID, "type": "vet", "continueAsNewAfterBatches": 2})
	_, err := ValidateInput(got, testNow)
	require.NoError(t, err)
	b, err := json.Marshal(got)
	require.NoError(t, err)
	require.NotContains(t, string(b), "continueAsNewAfterBatches")
}

func TestInvalidMessageClipsHugeValues(t *testing.T) {
	_, err := ValidateInput(RestoreInput{OrganizationID: strings.Repeat("x", 100_000), Type: "vet"}, testNow)
	requireAppErr(t, err, ErrInvalidRequest, "organizationId")
	require.Less(t, len(err.Error()), 400)
}

// A workflow started with an unknown field fails at once, without any activity.
func TestWorkflowRejectsUnknownField(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	Register(env, activities.New(activities.Config{}))
	env.ExecuteWorkflow(RestoreSessionWorkflowName, map[string]any{"organizationId": testOrgID, "type": "vet", "maxDuration": "1h"})
	require.True(t, env.IsWorkflowCompleted())
	requireAppErr(t, env.GetWorkflowError(), ErrInvalidRequest, "maxDuration", "unknown field")
}
