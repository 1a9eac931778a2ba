package workflows

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// optionsOf runs a workflow that returns the activity options each helper
// sets, as the SDK holds them.
func optionsOf(t *testing.T) map[string]workflow.ActivityOptions {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	wf := func(ctx workflow.Context) (map[string]workflow.ActivityOptions, error) {
		return map[string]workflow.ActivityOptions{
			"get":     workflow.GetActivityOptions(withGetOrganization(ctx, "org")),
			"create":  workflow.GetActivityOptions(withCreate(ctx, "create")),
			"wait":    workflow.GetActivityOptions(withWait(ctx, 3*time.Hour, "wait")),
			"stop":    workflow.GetActivityOptions(withStop(ctx, "stop")),
			"release": workflow.GetActivityOptions(withRelease(ctx, "release")),
			"fetch":   workflow.GetActivityOptions(withFetch(ctx, "fetch")),
			"action":  workflow.GetActivityOptions(withRestoreAction(ctx, 5*time.Hour, "action")),
		}, nil
	}
	env.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: "options"})
	env.ExecuteWorkflow("options")
	require.NoError(t, env.GetWorkflowError())
	var out map[string]workflow.ActivityOptions
	require.NoError(t, env.GetWorkflowResult(&out))
	return out
}

// TestActivityOptions: the timeouts and the retry policy each VB365 call runs
// with, as the comments of options.go promise them.
func TestActivityOptions(t *testing.T) {
	o := optionsOf(t)
	type want struct{ startToClose, scheduleToClose, heartbeat time.Duration }
	for name, w := range map[string]want{
		"get":     {10 * time.Minute, 15 * time.Minute, time.Minute},
		"create":  {10 * time.Minute, 30 * time.Minute, time.Minute},
		"wait":    {3*time.Hour + 2*time.Minute, 0, time.Minute},
		"stop":    {10 * time.Minute, 0, time.Minute},
		"release": {2 * time.Minute, time.Hour, 0},
		"fetch":   {10 * time.Minute, 30 * time.Minute, time.Minute},
		"action":  {5*time.Hour + 10*time.Minute, 5*time.Hour + 10*time.Minute, 20 * time.Second},
	} {
		got := o[name]
		require.Equal(t, w.startToClose, got.StartToCloseTimeout, name)
		require.Equal(t, w.scheduleToClose, got.ScheduleToCloseTimeout, name)
		require.Equal(t, w.heartbeat, got.HeartbeatTimeout, name)
		require.NotNil(t, got.RetryPolicy, name)
		require.Equal(t, time.Second, got.RetryPolicy.InitialInterval, name)
		require.Equal(t, 2.0, got.RetryPolicy.BackoffCoefficient, name)
		require.Equal(t, time.Minute, got.RetryPolicy.MaximumInterval, name)
		require.NotEmpty(t, got.RetryPolicy.NonRetryableErrorTypes, name)
	}
	require.Equal(t, "read VB365 organization org", o["get"].Summary)

	// A restore action waits for its cancellation, and never retries what
	// could restore twice or cannot succeed.
	require.True(t, o["action"].WaitForCancellation)
	require.Subset(t, o["action"].RetryPolicy.NonRetryableErrorTypes, []string{"InvalidRequest", "RestoreTargetNotFound",
		"RestoreActionOutcomeUnknown", "VB365AuthenticationFailed", "VB365Error"})
	require.LessOrEqual(t, 4*actionPollInterval, actionHeartbeatTimeout, "at least 4 heartbeats per heartbeat timeout")
}

// TestSummaryCutsWithinTheUIsBound: a summary of 200 bytes stays whole; a
// longer one is cut to at most 200 bytes, on a rune boundary, with "...".
func TestSummaryCutsWithinTheUIsBound(t *testing.T) {
	exact := strings.Repeat("a", 200)
	require.Equal(t, exact, summary(exact))
	long := strings.Repeat("a", 201)
	require.Equal(t, strings.Repeat("a", 197)+"...", summary(long))
	runes := strings.Repeat("é", 150) // 300 bytes
	got := summary(runes)
	require.LessOrEqual(t, len(got), 200)
	require.True(t, utf8.ValidString(got))
	require.Equal(t, strings.Repeat("é", 98)+"...", got)
}

// TestRenderDetailsExactly: the whole Markdown of a full status and of an
// empty one, so that every part shows exactly when it should.
func TestRenderDetailsExactly(t *testing.T) {
	pit := time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)
	deadline := time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC)
	full := renderDetails(Status{Phase: PhaseOpen, Organization: OrganizationInfo{ID: testOrgID, Name: "abc.onmicrosoft.com"},
		EffectivePointInTime: &pit, ClampedToLatest: true, StopDeadline: &deadline,
		Session:     &vb365.RestoreSession{ID: "s1", Name: "Teams restore", State: "Working"},
		EventCounts: EventCounts{Total: 3, ByStatus: map[string]int{"Warning": 1, "Success": 2}},
		LatestEvents: []vb365.RestoreSessionEvent{{Order: 1, Status: "Warning", Type: "Save", ItemName: "x.docx", Message: "a|b\nc",
			StartTime: time.Date(2026, 5, 1, 12, 1, 2, 0, time.UTC)}}})
	require.Equal(t, "## VB365 restore: "+string(PhaseOpen)+"\n\n"+
		"- **Organization:** abc.onmicrosoft.com (`"+testOrgID+"`)\n"+
		"- **Point in time:** 2020-10-30T10:29:05Z (latest restore point; the requested time was later)\n"+
		"- **Session:** Teams restore (`s1`), Working\n"+
		"- **Stops at the latest:** 2026-05-01T20:00:00Z\n"+
		"- **Events:** 3 (Success 2, Warning 1)\n"+
		"\n| # | time (UTC) | status | type | item | message |\n|---|---|---|---|---|---|\n"+
		"| 1 | 2026-05-01 12:01:02 | Warning | Save | x.docx | a\\|b c |\n", full)

	ended := renderDetails(Status{Phase: PhaseDone, Organization: OrganizationInfo{ID: testOrgID},
		EffectivePointInTime: &pit, StopDeadline: &deadline, EndReason: EndReasonStopRequested})
	require.Equal(t, "## VB365 restore: "+string(PhaseDone)+"\n\n"+
		"**Ended:** "+string(EndReasonStopRequested)+"\n\n"+
		"- **Organization:** "+testOrgID+" (`"+testOrgID+"`)\n"+
		"- **Point in time:** 2020-10-30T10:29:05Z\n"+
		"- **Events:** 0\n", ended)

	require.Equal(t, "## VB365 restore: "+string(PhaseValidating)+"\n\n- **Events:** 0\n", renderDetails(Status{Phase: PhaseValidating}))
}
