package playbook

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// fakeRestore stands in for RestoreSessionWorkflow in these unit tests (the
// integration tests run the real one): it fails like the real one on a
// PointInTimeBeforeFirstBackup marker, otherwise tells the parent its session
// exists and waits for a stop signal. Cancelled, it takes childStopTakes to stop
// its session, and fails then on the stopFails marker.
func fakeRestore(ctx workflow.Context, in workflows.RestoreInput) (workflows.RestoreReport, error) {
	if in.PointInTime == beforeFirst {
		return workflows.RestoreReport{}, temporal.NewNonRetryableApplicationError("pointInTime before first backup", workflows.ErrPointInTimeBeforeFirstBackup, nil)
	}
	if !in.NotifyParent {
		return workflows.RestoreReport{}, errors.New("playbook must set notifyParent")
	}
	// Creating a session takes a while: the playbook's creation slots matter.
	if err := workflow.Sleep(ctx, 10*time.Second); err != nil {
		return workflows.RestoreReport{}, err
	}
	info := workflow.GetInfo(ctx)
	sessionID := "session-" + info.WorkflowExecution.ID
	at := time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)
	ready := workflows.SessionReady{WorkflowID: info.WorkflowExecution.ID, SessionID: sessionID, SessionName: "Teams restore", EffectivePointInTime: at}
	if err := workflow.SignalExternalWorkflow(ctx, info.ParentWorkflowExecution.ID, "", workflows.SignalSessionReady, ready).Get(ctx, nil); err != nil {
		return workflows.RestoreReport{}, err
	}
	progress := workflows.SessionProgress{WorkflowID: info.WorkflowExecution.ID, SessionID: sessionID, SessionState: "Working",
		EventCounts: workflows.EventCounts{Total: 3}, ActionCounts: fakeActionCounts(in)}
	_ = workflow.SignalExternalWorkflow(ctx, info.ParentWorkflowExecution.ID, "", workflows.SignalSessionProgress, progress).Get(ctx, nil)

	var req workflows.StopRequest
	sel := workflow.NewSelector(ctx)
	canceled := false
	sel.AddReceive(workflow.GetSignalChannel(ctx, workflows.SignalStop), func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &req) })
	sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) { canceled = true })
	sel.Select(ctx)
	rep := workflows.RestoreReport{
		Organization:         workflows.OrganizationInfo{ID: in.OrganizationID, Name: "abc.onmicrosoft.com"},
		EffectivePointInTime: at,
		Session:              vb365.RestoreSession{ID: sessionID, Name: "Teams restore", State: vb365.SessionStateStopped},
		EventCounts:          workflows.EventCounts{Total: 3},
		EndReason:            workflows.EndReasonStopRequested,
		ActionCounts:         fakeActionCounts(in),
	}
	// Like the real restore, tell the parent how it ended (it may have
	// continued as new since it started this child).
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	end := workflows.SessionEnded{WorkflowID: info.WorkflowExecution.ID, OrganizationName: rep.Organization.Name,
		EffectivePointInTime: &at, Session: rep.Session, EventCounts: rep.EventCounts, EndReason: rep.EndReason, Canceled: canceled,
		ActionCounts: rep.ActionCounts}
	_ = workflow.SignalExternalWorkflow(dctx, info.ParentWorkflowExecution.ID, "", workflows.SignalSessionEnded, end).Get(dctx, nil)
	if canceled {
		// Stopping the session takes a while, as a real stop may; the playbook
		// must wait for it.
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		_ = workflow.Sleep(dctx, childStopTakes)
		if in.PointInTime == stopFails {
			return rep, temporal.NewNonRetryableApplicationError("stop restore session: forbidden", "VB365Error", nil)
		}
		return rep, temporal.NewCanceledError(rep)
	}
	return rep, nil
}

// fakeActionCounts is how fakeRestore's actions end: those whose target is
// "fail" failed, the others succeeded; nil without actions.
func fakeActionCounts(in workflows.RestoreInput) *workflows.ActionCounts {
	if len(in.Actions) == 0 {
		return nil
	}
	c := workflows.ActionCounts{Total: len(in.Actions)}
	for _, a := range in.Actions {
		if a.Target == "fail" {
			c.Failed++
		} else {
			c.Succeeded++
		}
	}
	return &c
}

// childStopTakes is how long fakeRestore takes to stop its session when cancelled.
const childStopTakes = 2 * time.Minute

func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	return newEnvWithChild(t, fakeRestore)
}

// newEnvWithChild is newEnv with child standing in for the restore workflow.
func newEnvWithChild(t *testing.T, child any) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(child, workflow.RegisterOptions{Name: workflows.RestoreSessionWorkflowName})
	env.RegisterWorkflowWithOptions(RestorePlaybookWorkflow, workflow.RegisterOptions{Name: WorkflowName})
	env.SetTestTimeout(30 * time.Second)
	return env
}

const org = "3c424478-0811-4920-8aab-01f0bf2a2822"

// beforeFirst is a valid point in time the fake restore fails as before the
// organization's first backup.
const beforeFirst = "2001-01-01T00:00:00Z"

// stopFails marks a restore whose stop fails when it is cancelled.
const stopFails = "2020-10-29T00:00:00Z"

func drill(restores ...workflows.RestoreInput) Input {
	return Input{Name: "drill", Restores: restores, MaxConcurrent: 2}
}

func TestPlaybookOpensAllThenStopsAll(t *testing.T) {
	env := newEnv(t)
	in := drill(
		workflows.RestoreInput{OrganizationID: org, Type: "vet"},
		workflows.RestoreInput{OrganizationID: org, Type: "vex"},
		workflows.RestoreInput{OrganizationID: "d2f0a5a1-8f0c-4a4e-9a57-6a1b3c1e2f00", Type: "vex"},
	)
	env.RegisterDelayedCallback(func() {
		res, err := env.QueryWorkflow(workflows.QueryStatus)
		require.NoError(t, err)
		var rep Report
		require.NoError(t, res.Get(&rep))
		require.Equal(t, 3, rep.Counts[RowOpen], "all three sessions open before the stop: %+v", rep.Rows)
		require.Equal(t, 3, rep.Rows[0].EventCounts.Total, "progress signals reach the status")
		env.SignalWorkflow(workflows.SignalStop, workflows.StopRequest{Reason: "drill over"})
	}, time.Minute)
	env.ExecuteWorkflow(RestorePlaybookWorkflow, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var rep Report
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Equal(t, 3, rep.Counts[RowDone])
	require.True(t, rep.StopRequested)
	require.Equal(t, "default-test-workflow-id/"+org+"/vet", rep.Rows[0].WorkflowID)
	for _, row := range rep.Rows {
		require.Equal(t, vb365.SessionStateStopped, row.SessionState, row.WorkflowID)
	}
}

func TestPlaybookInvalidRestoreDoesNotStopOthers(t *testing.T) {
	env := newEnv(t)
	in := drill(
		workflows.RestoreInput{OrganizationID: org, Type: "vet", PointInTime: beforeFirst},
		workflows.RestoreInput{OrganizationID: org, Type: "vex"},
	)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalStop, workflows.StopRequest{})
	}, time.Minute)
	env.ExecuteWorkflow(RestorePlaybookWorkflow, in)
	require.NoError(t, env.GetWorkflowError())
	var rep Report
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Equal(t, RowFailed, rep.Rows[0].State)
	require.Equal(t, workflows.ErrPointInTimeBeforeFirstBackup, rep.Rows[0].ErrorType)
	require.Equal(t, RowDone, rep.Rows[1].State)
}

func TestPlaybookLimitsConcurrentCreation(t *testing.T) {
	env := newEnv(t)
	// With maxConcurrent 1 the second child starts only once the first
	// session exists (10s of simulated creation later).
	in := drill(
		workflows.RestoreInput{OrganizationID: org, Type: "vet"},
		workflows.RestoreInput{OrganizationID: org, Type: "vet"},
	)
	in.MaxConcurrent = 1
	var started []string
	var startedAt []time.Time
	env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
		started = append(started, info.WorkflowExecution.ID)
		startedAt = append(startedAt, env.Now())
	})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalStop, workflows.StopRequest{}) }, time.Minute)
	env.ExecuteWorkflow(RestorePlaybookWorkflow, in)
	require.NoError(t, env.GetWorkflowError())
	var rep Report
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Equal(t, []string{"default-test-workflow-id/" + org + "/vet", "default-test-workflow-id/" + org + "/vet-2"}, started)
	require.Equal(t, 2, rep.Counts[RowDone])
	require.GreaterOrEqual(t, startedAt[1].Sub(startedAt[0]), 10*time.Second, "second restore started before the first session existed")
}

// TestPlaybookCancellationCancelsChildren: a cancelled playbook cancels the
// restores it started, waits until each has stopped its session (which takes
// childStopTakes), and ends cancelled with every row's outcome as the child
// reported it: cancelled, or failed when its stop failed; the one not started
// is skipped. One creation slot: each restore starts when the one before has
// its session (10 s); the cancel comes at 25 s, during the third's creation.
// The test environment always waits for a cancelled child, so the wait is
// shown by the rows (each child's own report, read after its stop) and by
// the option that makes a server wait (requireWaitsForCancelledChildren).
func TestPlaybookCancellationCancelsChildren(t *testing.T) {
	env := newEnv(t)
	in := drill(workflows.RestoreInput{OrganizationID: org, Type: "vet"},
		workflows.RestoreInput{OrganizationID: org, Type: "vex", PointInTime: stopFails},
		workflows.RestoreInput{OrganizationID: org, Type: "veod"},
		workflows.RestoreInput{OrganizationID: org, Type: "vesp"})
	in.MaxConcurrent = 1
	children := recordChildOptions(env)
	start := env.Now()
	var cancelAt time.Time
	env.RegisterDelayedCallback(func() { cancelAt = env.Now(); env.CancelWorkflow() }, 25*time.Second)
	env.ExecuteWorkflow(RestorePlaybookWorkflow, in)
	err := env.GetWorkflowError()
	var canceled *temporal.CanceledError
	require.ErrorAs(t, err, &canceled)
	require.Equal(t, start.Add(25*time.Second), cancelAt)

	res, err := env.QueryWorkflow(workflows.QueryStatus)
	require.NoError(t, err)
	var rep Report
	require.NoError(t, res.Get(&rep))
	require.Equal(t, RowCanceled, rep.Rows[0].State, "%+v", rep.Rows)
	require.Equal(t, "Stopped", rep.Rows[0].SessionState, "the child's own report, read after its stop")
	require.Equal(t, RowCanceled, rep.Rows[1].State, "started after the first one's session was ready: %+v", rep.Rows)
	require.Equal(t, "Stopped", rep.Rows[1].SessionState)
	require.Equal(t, RowCanceled, rep.Rows[2].State, "cancelled while creating its session")
	require.Equal(t, RowSkipped, rep.Rows[3].State)
	requireWaitsForCancelledChildren(t, children, rep.Rows[:3])
}

func TestPlaybookValidation(t *testing.T) {
	cases := []struct {
		name string
		in   Input
		want string
	}{
		{"no restores", Input{Name: "x"}, "restores"},
		{"negative concurrency", Input{Name: "x", Restores: []workflows.RestoreInput{{}}, MaxConcurrent: -1}, "maxConcurrent -1"},
		{"too much concurrency", Input{Name: "x", Restores: []workflows.RestoreInput{{}}, MaxConcurrent: 51}, "maxConcurrent 51"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := validate(&c.in)
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, err, &appErr)
			require.Equal(t, workflows.ErrInvalidRequest, appErr.Type())
			require.True(t, appErr.NonRetryable())
			require.Contains(t, appErr.Error(), c.want)
		})
	}
	in := Input{Name: "x", Restores: []workflows.RestoreInput{{}}}
	require.NoError(t, validate(&in))
	require.Equal(t, DefaultMaxConcurrent, in.MaxConcurrent)
}

func TestMarkdownCellsStayValidUTF8(t *testing.T) {
	long := strings.Repeat("é", 200) + "|x"
	got := cell(long)
	require.True(t, utf8.ValidString(got))
	require.Equal(t, 120, utf8.RuneCountInString(got))
	require.Equal(t, `a\|b c`, cell("a|b\nc"))
}

// Each row counts its restore's actions (from the child's progress while it
// runs, from its end after), and the playbook sums them in its report and
// its Web UI details.
func TestPlaybookRowsCountActions(t *testing.T) {
	env := newEnv(t)
	yes := true
	team := func(target string) activities.RestoreAction {
		return activities.RestoreAction{Kind: "team", Target: target, RestoreMembers: &yes}
	}
	in := drill(
		workflows.RestoreInput{OrganizationID: org, Type: "vet", Actions: []activities.RestoreAction{team("Finance"), team("fail")}},
		workflows.RestoreInput{OrganizationID: org, Type: "vet", Actions: []activities.RestoreAction{team("Sales")}},
		workflows.RestoreInput{OrganizationID: org, Type: "vex"},
	)
	mid, rep := stopAfterAMinute(t, env, in)
	require.Equal(t, &workflows.ActionCounts{Total: 2, Succeeded: 1, Failed: 1}, mid.Rows[0].Actions, "from the progress signal")
	require.Equal(t, &workflows.ActionCounts{Total: 2, Succeeded: 1, Failed: 1}, rep.Rows[0].Actions)
	require.Equal(t, &workflows.ActionCounts{Total: 1, Succeeded: 1}, rep.Rows[1].Actions)
	require.Nil(t, rep.Rows[2].Actions)
	require.Equal(t, &workflows.ActionCounts{Total: 3, Succeeded: 2, Failed: 1}, rep.ActionCounts)
	md := markdown(rep, env.Now())
	require.Contains(t, md, "**Actions:** 3 (2 succeeded, 1 failed)")
	require.Contains(t, md, "| 1 succeeded, 1 failed |")

	// A child of an earlier run ends its row by signal alone.
	r := &run{rows: []Row{{WorkflowID: "w1", State: RowOpen}}, byID: map[string]int{"w1": 0}}
	r.onEnded(workflows.SessionEnded{WorkflowID: "w1", ActionCounts: &workflows.ActionCounts{Total: 1, Failed: 1}})
	require.Equal(t, &workflows.ActionCounts{Total: 1, Failed: 1}, r.rows[0].Actions)

	// A restore that ends by its result (its signal lost) counts the same.
	var row Row
	(&run{}).applyResult(&row, workflows.RestoreReport{ActionCounts: &workflows.ActionCounts{Total: 1, Canceled: 1}}, nil)
	require.Equal(t, &workflows.ActionCounts{Total: 1, Canceled: 1}, row.Actions)
	row = Row{}
	(&run{}).applyResult(&row, workflows.RestoreReport{}, temporal.NewCanceledError(workflows.RestoreReport{ActionCounts: &workflows.ActionCounts{Total: 2, Skipped: 2}}))
	require.Equal(t, &workflows.ActionCounts{Total: 2, Skipped: 2}, row.Actions, "a cancelled restore's report is its error's details")
}

// stopAfterAMinute runs the playbook in, reads its status a minute in and
// then asks it to stop; it returns that status and the final report.
func stopAfterAMinute(t *testing.T, env *testsuite.TestWorkflowEnvironment, in Input) (mid, rep Report) {
	t.Helper()
	env.RegisterDelayedCallback(func() {
		res, err := env.QueryWorkflow(workflows.QueryStatus)
		require.NoError(t, err)
		require.NoError(t, res.Get(&mid))
		env.SignalWorkflow(workflows.SignalStop, workflows.StopRequest{Reason: "drill over"})
	}, time.Minute)
	env.ExecuteWorkflow(RestorePlaybookWorkflow, in)
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, env.GetWorkflowResult(&rep))
	return mid, rep
}
