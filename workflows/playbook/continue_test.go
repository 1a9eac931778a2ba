package playbook

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// newEnvWith is newEnv with the playbook registered with opts.
func newEnvWith(t *testing.T, opts Options) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(fakeRestore, workflow.RegisterOptions{Name: workflows.RestoreSessionWorkflowName})
	RegisterWithOptions(env, opts)
	env.SetTestTimeout(30 * time.Second)
	return env
}

// continuedInput is the input of a run that continued a playbook whose two
// children (of the earlier run) have their sessions open.
func continuedInput() Input {
	in := drill(workflows.RestoreInput{OrganizationID: org, Type: "vet"}, workflows.RestoreInput{OrganizationID: org, Type: "vex"})
	at := time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)
	var rows []Row
	for i, typ := range []string{"vet", "vex"} {
		rows = append(rows, Row{Index: i, WorkflowID: "default-test-workflow-id/" + org + "/" + typ, OrganizationID: org, Type: typ,
			State: RowOpen, EffectivePointInTime: &at, SessionID: "s-" + typ, SessionName: "Teams restore", SessionState: "Working",
			EventCounts: workflows.EventCounts{Total: 5}})
	}
	in.Continuation = &Continuation{Rows: rows, Next: 2, Runs: 1}
	return in
}

// TestPlaybookContinuesAsNewKeepingRows: once the history reaches
// EventsPerRun, the playbook continues as new with its rows (sessions,
// counts, which restores are still to start) in the continuation, and no
// child was started with a policy that the continue-as-new would apply.
func TestPlaybookContinuesAsNewKeepingRows(t *testing.T) {
	env := newEnvWith(t, Options{EventsPerRun: 100})
	in := drill(
		workflows.RestoreInput{OrganizationID: org, Type: "vet"},
		workflows.RestoreInput{OrganizationID: org, Type: "vex"},
		workflows.RestoreInput{OrganizationID: org, Type: "veod"},
	)
	in.MaxConcurrent = 2
	env.SetCurrentHistoryLength(99)
	env.RegisterDelayedCallback(func() {
		env.SetCurrentHistoryLength(100)
		// Any signal wakes the playbook; this one also changes a row.
		env.SignalWorkflow(workflows.SignalSessionProgress, workflows.SessionProgress{
			WorkflowID: "default-test-workflow-id/" + org + "/vet", SessionID: "session-default-test-workflow-id/" + org + "/vet",
			SessionState: "Working", EventCounts: workflows.EventCounts{Total: 7}})
	}, time.Minute)
	// The abandoned children outlive the run; the test suite waits for them.
	env.RegisterDelayedCallback(func() {
		for _, typ := range []string{"vet", "vex", "veod"} {
			require.NoError(t, env.SignalWorkflowByID("default-test-workflow-id/"+org+"/"+typ, workflows.SignalStop, workflows.StopRequest{}))
		}
	}, 2*time.Minute)
	env.ExecuteWorkflow(WorkflowName, in)
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &can, "the playbook continues as new")
	require.Equal(t, WorkflowName, can.WorkflowType.Name)
	var next Input
	require.NoError(t, converterDecode(can, &next))
	require.NotNil(t, next.Continuation)
	c := next.Continuation
	require.Equal(t, 1, c.Runs)
	require.Equal(t, 3, c.Next)
	require.Len(t, c.Rows, 3)
	require.Equal(t, RowOpen, c.Rows[0].State)
	require.Equal(t, 7, c.Rows[0].EventCounts.Total, "the counts of the progress signal are kept")
	require.Equal(t, "session-default-test-workflow-id/"+org+"/vet", c.Rows[0].SessionID)
	require.Equal(t, RowOpen, c.Rows[1].State)
	require.Equal(t, RowOpen, c.Rows[2].State)
	require.Equal(t, "default-test-workflow-id/"+org+"/veod", c.Rows[2].WorkflowID)
	require.Len(t, next.Restores, 3)
}

// TestPlaybookDoesNotContinueBelowBound: a history under EventsPerRun (and
// no suggestion from the server) keeps the playbook in one run.
func TestPlaybookDoesNotContinueBelowBound(t *testing.T) {
	env := newEnvWith(t, Options{EventsPerRun: 100})
	env.SetCurrentHistoryLength(99)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalStop, workflows.StopRequest{}) }, time.Minute)
	env.ExecuteWorkflow(WorkflowName, drill(workflows.RestoreInput{OrganizationID: org, Type: "vet"}))
	require.NoError(t, env.GetWorkflowError())
	var rep Report
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Equal(t, 1, rep.Counts[RowDone])
	require.Zero(t, rep.Runs)
}

// TestPlaybookContinuesWhenServerSuggests: the server's suggestion alone
// continues the playbook as new.
func TestPlaybookContinuesWhenServerSuggests(t *testing.T) {
	env := newEnvWith(t, Options{})
	env.SetContinueAsNewSuggested(true)
	env.RegisterDelayedCallback(func() {
		require.NoError(t, env.SignalWorkflowByID("default-test-workflow-id/"+org+"/vet", workflows.SignalStop, workflows.StopRequest{}))
	}, time.Minute)
	env.ExecuteWorkflow(WorkflowName, drill(workflows.RestoreInput{OrganizationID: org, Type: "vet"}))
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &can)
}

// TestPlaybookStopAfterContinueReachesEarlierChildren: a stop sent to a run
// that continued the playbook reaches, by id, the children an earlier run
// started; their end signals complete the rows.
func TestPlaybookStopAfterContinueReachesEarlierChildren(t *testing.T) {
	env := newEnvWith(t, Options{})
	env.SetContinuedExecutionRunID("earlier-run")
	in := continuedInput()
	for _, row := range in.Continuation.Rows {
		id := row.WorkflowID
		env.OnSignalExternalWorkflow(mock.Anything, id, "", workflows.SignalStop, mock.Anything).Return(nil).Once().Run(func(mock.Arguments) {
			// The child stops its session and says so.
			env.RegisterDelayedCallback(func() {
				env.SignalWorkflow(workflows.SignalSessionEnded, workflows.SessionEnded{WorkflowID: id,
					Session: vb365.RestoreSession{ID: "s", State: vb365.SessionStateStopped}, EventCounts: workflows.EventCounts{Total: 9},
					EndReason: workflows.EndReasonStopRequested})
			}, time.Second)
		})
	}
	env.RegisterDelayedCallback(func() {
		res, err := env.QueryWorkflow(workflows.QueryStatus)
		require.NoError(t, err)
		var rep Report
		require.NoError(t, res.Get(&rep))
		require.Equal(t, 2, rep.Counts[RowOpen], "the status of a continued run shows the earlier rows")
		require.Equal(t, 1, rep.Runs)
		env.SignalWorkflow(workflows.SignalStop, workflows.StopRequest{Reason: "drill over"})
	}, time.Minute)
	env.ExecuteWorkflow(WorkflowName, in)
	require.NoError(t, env.GetWorkflowError())
	env.AssertExpectations(t)
	var rep Report
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Equal(t, 2, rep.Counts[RowDone])
	for _, row := range rep.Rows {
		require.Equal(t, vb365.SessionStateStopped, row.SessionState)
		require.Equal(t, 9, row.EventCounts.Total)
	}
}

// TestPlaybookCancelAfterContinueCancelsEarlierChildren: cancelling a run
// that continued the playbook cancels, by id, the children an earlier run
// started, and waits for their end.
func TestPlaybookCancelAfterContinueCancelsEarlierChildren(t *testing.T) {
	env := newEnvWith(t, Options{})
	env.SetContinuedExecutionRunID("earlier-run")
	in := continuedInput()
	for _, row := range in.Continuation.Rows {
		id := row.WorkflowID
		env.OnRequestCancelExternalWorkflow(mock.Anything, id, "").Return(nil).Once().Run(func(mock.Arguments) {
			env.RegisterDelayedCallback(func() {
				env.SignalWorkflow(workflows.SignalSessionEnded, workflows.SessionEnded{WorkflowID: id, Canceled: true,
					Session: vb365.RestoreSession{ID: "s", State: vb365.SessionStateStopped}, Error: "canceled"})
			}, time.Second)
		})
	}
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
	env.ExecuteWorkflow(WorkflowName, in)
	var canceled *temporal.CanceledError
	require.ErrorAs(t, env.GetWorkflowError(), &canceled)
	env.AssertExpectations(t)
	res, err := env.QueryWorkflow(workflows.QueryStatus)
	require.NoError(t, err)
	var rep Report
	require.NoError(t, res.Get(&rep))
	require.Equal(t, 2, rep.Counts[RowCanceled], "%+v", rep.Rows)
	require.Equal(t, vb365.SessionStateStopped, rep.Rows[0].SessionState)
}

// TestPlaybookRefusesContinuationFromCaller: only a run the playbook
// continued may take rows from its input.
func TestPlaybookRefusesContinuationFromCaller(t *testing.T) {
	env := newEnvWith(t, Options{})
	env.ExecuteWorkflow(WorkflowName, continuedInput())
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, env.GetWorkflowError(), &appErr)
	require.Equal(t, workflows.ErrInvalidRequest, appErr.Type())
	require.Contains(t, appErr.Error(), "continuation")
}

// converterDecode decodes the input of a continue-as-new.
func converterDecode(can *workflow.ContinueAsNewError, v *Input) error {
	if can.Input == nil || len(can.Input.Payloads) != 1 {
		return errors.New("continue-as-new without one input")
	}
	return converterDefault.FromPayload(can.Input.Payloads[0], v)
}

var converterDefault = converter.GetDefaultDataConverter()

// TestContinuationStaysSmall: the continuation of MaxRestores rows, each
// with the longest error a row keeps, stays far under the 2 MB payload limit.
func TestContinuationStaysSmall(t *testing.T) {
	r := &run{byID: map[string]int{}}
	at := time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)
	long := strings.Repeat("é", 5000)
	for i := range MaxRestores {
		id := "playbook-" + strings.Repeat("x", 60) + "/" + org + "/vet-" + strconv.Itoa(i)
		r.rows = append(r.rows, Row{Index: i, WorkflowID: id, OrganizationID: org, Type: "vet", State: RowOpen, EffectivePointInTime: &at})
		r.byID[id] = i
		r.onEnded(workflows.SessionEnded{WorkflowID: id, OrganizationName: strings.Repeat("o", 256), EffectivePointInTime: &at,
			Session: vb365.RestoreSession{ID: org, Name: strings.Repeat("n", 256), State: "Stopped"}, Error: long, ErrorType: "VB365Error"})
	}
	b, err := json.Marshal(Continuation{Rows: r.rows, Next: MaxRestores})
	require.NoError(t, err)
	t.Logf("continuation of %d rows: %d bytes", MaxRestores, len(b))
	require.Less(t, len(b), 1<<20)
}

// TestPlaybookStopAfterContinueEndsRowOfGoneChild: a child of an earlier run
// that closed without its end signal (terminated) cannot be signalled: its
// row fails saying so, and the stop still completes the playbook.
func TestPlaybookStopAfterContinueEndsRowOfGoneChild(t *testing.T) {
	env := newEnvWith(t, Options{})
	env.SetContinuedExecutionRunID("earlier-run")
	in := continuedInput()
	gone, alive := in.Continuation.Rows[0].WorkflowID, in.Continuation.Rows[1].WorkflowID
	env.OnSignalExternalWorkflow(mock.Anything, gone, "", workflows.SignalStop, mock.Anything).Return(errors.New("workflow not found")).Once()
	env.OnSignalExternalWorkflow(mock.Anything, alive, "", workflows.SignalStop, mock.Anything).Return(nil).Once().Run(func(mock.Arguments) {
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(workflows.SignalSessionEnded, workflows.SessionEnded{WorkflowID: alive,
				Session: vb365.RestoreSession{ID: "s", State: vb365.SessionStateStopped}, EndReason: workflows.EndReasonStopRequested})
		}, time.Second)
	})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalStop, workflows.StopRequest{}) }, time.Minute)
	env.ExecuteWorkflow(WorkflowName, in)
	require.NoError(t, env.GetWorkflowError())
	var rep Report
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Equal(t, RowFailed, rep.Rows[0].State)
	require.Contains(t, rep.Rows[0].Error, "closed without telling the playbook")
	require.Equal(t, RowDone, rep.Rows[1].State)
}
