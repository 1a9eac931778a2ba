package playbook

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/internal/logging"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// TestMarkdownDetailsColumns: the Web UI's details show the counts of the
// states that occur (and only those), then per row its number from 1, the
// organization's name (its id until the name is known), the point in time,
// the session's name and id, the row's state with the session's, the
// events, the actions' counts and the error's type (its text when it has
// no type).
func TestMarkdownDetailsColumns(t *testing.T) {
	at := time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)
	rep := Report{Name: "drill", StopRequested: true,
		Counts: map[RowState]int{RowOpen: 1, RowFailed: 2, RowPending: 0},
		Rows: []Row{
			{Index: 0, OrganizationID: "org-id", OrganizationName: "abc", Type: "vet", State: RowOpen, EffectivePointInTime: &at,
				SessionID: "s1", SessionName: "Teams restore", SessionState: "Working", EventCounts: workflows.EventCounts{Total: 7},
				Actions: &workflows.ActionCounts{Total: 2, Succeeded: 1, Running: 1}},
			{Index: 1, OrganizationID: "org-id", Type: "vex", State: RowFailed, SessionName: "unnamed", ErrorType: "VB365Error", Error: "forbidden"},
			{Index: 2, OrganizationID: "org-id", Type: "vex", State: RowFailed, Error: "no type"},
		}}
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	want := "## Playbook drill\n\n" +
		"**Stop requested**: open sessions are being stopped.\n\n" +
		"open 1 · failed 2 (as of 2026-11-30T08:00:00Z)\n\n" +
		"| # | organization | type | point in time | session | state | events | actions | error |\n|---|---|---|---|---|---|---|---|---|\n" +
		"| 1 | abc | vet | 2020-10-30T10:29:05Z | Teams restore `s1` | open / Working | 7 | " +
		workflows.ActionCountsText(workflows.ActionCounts{Total: 2, Succeeded: 1, Running: 1}) + " |  |\n" +
		"| 2 | org-id | vex |  | unnamed | failed | 0 |  | VB365Error |\n" +
		"| 3 | org-id | vex |  |  | failed | 0 |  | no type |\n"
	require.Equal(t, want, markdown(rep, now))
}

// TestPlaybookValidationBounds: MaxRestores restores and MaxMaxConcurrent
// concurrent creations are allowed, one more of either is not.
func TestPlaybookValidationBounds(t *testing.T) {
	restores := func(n int) []workflows.RestoreInput { return make([]workflows.RestoreInput, n) }
	require.NoError(t, validate(&Input{Name: "x", Restores: restores(MaxRestores)}))
	err := validate(&Input{Name: "x", Restores: restores(MaxRestores + 1)})
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Contains(t, appErr.Error(), "201 restores, at most 200")
	for _, ok := range []int{1, MaxMaxConcurrent} {
		in := Input{Name: "x", Restores: restores(1), MaxConcurrent: ok}
		require.NoError(t, validate(&in), "maxConcurrent %d", ok)
		require.Equal(t, ok, in.MaxConcurrent)
	}
	require.Error(t, validate(&Input{Name: "x", Restores: restores(1), MaxConcurrent: MaxMaxConcurrent + 1}))
}

// TestPlaybookStopUpdateAnswersWithFinalReport: the stop update answers once
// every session is stopped, with the report of the stopped playbook.
func TestPlaybookStopUpdateAnswersWithFinalReport(t *testing.T) {
	env := newEnv(t)
	in := drill(workflows.RestoreInput{OrganizationID: org, Type: "vet"}, workflows.RestoreInput{OrganizationID: org, Type: "vex"})
	var answer Report
	var answered bool
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(workflows.UpdateStop, "stop-1", &stopCallbacks{
			complete: func(v interface{}, err error) {
				require.NoError(t, err)
				answer, answered = v.(Report), true
			},
			reject: func(err error) { t.Errorf("stop rejected: %v", err) },
		}, workflows.StopRequest{Reason: "drill over"})
	}, time.Minute)
	env.ExecuteWorkflow(RestorePlaybookWorkflow, in)
	require.NoError(t, env.GetWorkflowError())
	require.True(t, answered)
	require.True(t, answer.StopRequested)
	require.Equal(t, 2, answer.Counts[RowDone], "%+v", answer.Rows)
	for _, row := range answer.Rows {
		require.Equal(t, vb365.SessionStateStopped, row.SessionState)
		require.Equal(t, "abc.onmicrosoft.com", row.OrganizationName, "the child's end signal names the organization")
	}
}

// stopCallbacks answers an update in the test environment.
type stopCallbacks struct {
	complete func(interface{}, error)
	reject   func(error)
}

func (c *stopCallbacks) Accept()                         {}
func (c *stopCallbacks) Reject(err error)                { c.reject(err) }
func (c *stopCallbacks) Complete(v interface{}, e error) { c.complete(v, e) }

// TestPlaybookCreationSlotFreedWhenChildFailsCreating: a restore that fails
// before its session exists (no signal, only its result) frees its creation
// slot: with one slot, the next restore starts.
func TestPlaybookCreationSlotFreedWhenChildFailsCreating(t *testing.T) {
	env := newEnv(t)
	in := drill(workflows.RestoreInput{OrganizationID: org, Type: "vet", PointInTime: beforeFirst},
		workflows.RestoreInput{OrganizationID: org, Type: "vex"})
	in.MaxConcurrent = 1
	env.RegisterDelayedCallback(func() {
		res, err := env.QueryWorkflow(workflows.QueryStatus)
		require.NoError(t, err)
		var rep Report
		require.NoError(t, res.Get(&rep))
		require.Equal(t, RowFailed, rep.Rows[0].State)
		require.Equal(t, RowOpen, rep.Rows[1].State, "the failed restore's slot went to the next: %+v", rep.Rows)
		env.SignalWorkflow(workflows.SignalStop, workflows.StopRequest{})
	}, time.Minute)
	env.ExecuteWorkflow(RestorePlaybookWorkflow, in)
	require.NoError(t, env.GetWorkflowError())
}

// TestPlaybookContinuedRunCountsCreatingRows: a run that continues the
// playbook counts the rows still creating their session, and only those,
// against the creation slots: with one slot taken, the next restore starts
// once that row's child has ended.
func TestPlaybookContinuedRunCountsCreatingRows(t *testing.T) {
	env := newEnvWith(t, Options{})
	env.SetContinuedExecutionRunID("earlier-run")
	in := drill(workflows.RestoreInput{OrganizationID: org, Type: "vesp"},
		workflows.RestoreInput{OrganizationID: org, Type: "vet"}, workflows.RestoreInput{OrganizationID: org, Type: "vex"})
	in.MaxConcurrent = 1
	earlier := "default-test-workflow-id/" + org + "/vet"
	in.Continuation = &Continuation{Next: 2, Runs: 1, Rows: []Row{
		{Index: 0, WorkflowID: "default-test-workflow-id/" + org + "/vesp", OrganizationID: org, Type: "vesp", State: RowDone},
		{Index: 1, WorkflowID: earlier, OrganizationID: org, Type: "vet", State: RowCreating},
		{Index: 2, WorkflowID: "default-test-workflow-id/" + org + "/vex", OrganizationID: org, Type: "vex", State: RowPending},
	}}
	var startedAt []time.Duration
	start := env.Now()
	env.SetOnChildWorkflowStartedListener(func(*workflow.Info, workflow.Context, converter.EncodedValues) {
		startedAt = append(startedAt, env.Now().Sub(start))
	})
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalSessionEnded, workflows.SessionEnded{WorkflowID: earlier, Error: "failed", ErrorType: "VB365Error"})
	}, time.Minute)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalStop, workflows.StopRequest{}) }, 2*time.Minute)
	env.ExecuteWorkflow(WorkflowName, in)
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, startedAt, 1)
	require.GreaterOrEqual(t, startedAt[0], time.Minute, "the second restore started while the first still held the slot")
	var rep Report
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Equal(t, []RowState{RowDone, RowFailed, RowDone}, []RowState{rep.Rows[0].State, rep.Rows[1].State, rep.Rows[2].State})
}

// TestPlaybookContinuesAsNewWithPendingRows: a run that continues as new
// while restores are still to start carries them, unstarted, in the
// continuation.
func TestPlaybookContinuesAsNewWithPendingRows(t *testing.T) {
	env := newEnvWith(t, Options{EventsPerRun: 100})
	in := drill(workflows.RestoreInput{OrganizationID: org, Type: "vet"},
		workflows.RestoreInput{OrganizationID: org, Type: "vex"},
		workflows.RestoreInput{OrganizationID: org, Type: "veod"})
	in.MaxConcurrent = 1
	env.RegisterDelayedCallback(func() {
		env.SetCurrentHistoryLength(100)
		env.SignalWorkflow(workflows.SignalSessionProgress, workflows.SessionProgress{
			WorkflowID: "default-test-workflow-id/" + org + "/vet", SessionState: "Working", EventCounts: workflows.EventCounts{Total: 2}})
	}, 15*time.Second) // the first open, the second creating, the third pending
	env.RegisterDelayedCallback(func() {
		for _, typ := range []string{"vet", "vex"} {
			_ = env.SignalWorkflowByID("default-test-workflow-id/"+org+"/"+typ, workflows.SignalStop, workflows.StopRequest{})
		}
	}, 2*time.Minute)
	env.ExecuteWorkflow(WorkflowName, in)
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &can)
	var next Input
	require.NoError(t, converterDecode(can, &next))
	c := next.Continuation
	require.Equal(t, 2, c.Next)
	require.Equal(t, []RowState{RowOpen, RowCreating, RowPending}, []RowState{c.Rows[0].State, c.Rows[1].State, c.Rows[2].State})
}

// TestRowUpdatesFromSignals: what each signal changes in a row, and the
// creation slot it frees.
func TestRowUpdatesFromSignals(t *testing.T) {
	at := time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)
	later := at.Add(time.Hour)
	newRunOf := func(states ...RowState) *run {
		r := &run{byID: map[string]int{}, logger: logging.Discard()}
		for i, s := range states {
			id := "wf-" + string(rune('a'+i))
			r.rows = append(r.rows, Row{Index: i, WorkflowID: id, State: s})
			r.byID[id] = i
			if s == RowCreating {
				r.creating++
			}
		}
		return r
	}

	t.Run("ready", func(t *testing.T) {
		r := newRunOf(RowCreating)
		r.onReady(workflows.SessionReady{WorkflowID: "wf-a", SessionID: "s", SessionName: "n", EffectivePointInTime: at})
		require.Equal(t, Row{Index: 0, WorkflowID: "wf-a", State: RowOpen, EffectivePointInTime: &at, SessionID: "s", SessionName: "n", SessionState: "Working"}, r.rows[0])
		require.Zero(t, r.creating)
	})
	t.Run("progress", func(t *testing.T) {
		r := newRunOf(RowOpen)
		r.onProgress(workflows.SessionProgress{WorkflowID: "wf-a", SessionID: "s", SessionState: "Working", EventCounts: workflows.EventCounts{Total: 3}})
		require.Equal(t, "s", r.rows[0].SessionID)
		r.onProgress(workflows.SessionProgress{WorkflowID: "wf-a", SessionState: "Stopped", EventCounts: workflows.EventCounts{Total: 4}})
		require.Equal(t, "s", r.rows[0].SessionID, "a progress without the session's id keeps it")
		require.Equal(t, "Stopped", r.rows[0].SessionState)
		require.Equal(t, 4, r.rows[0].EventCounts.Total)
	})
	t.Run("ended while creating", func(t *testing.T) {
		r := newRunOf(RowCreating, RowOpen)
		r.rows[0].EffectivePointInTime, r.rows[0].OrganizationName = &at, "known"
		r.onEnded(workflows.SessionEnded{WorkflowID: "wf-a", Error: "boom", ErrorType: "VB365Error"})
		require.Equal(t, RowFailed, r.rows[0].State)
		require.Equal(t, "known", r.rows[0].OrganizationName, "an end without the name keeps it")
		require.Equal(t, &at, r.rows[0].EffectivePointInTime, "an end without a point in time keeps it")
		require.Zero(t, r.creating, "its creation slot is free")
	})
	t.Run("ended while open", func(t *testing.T) {
		r := newRunOf(RowCreating, RowOpen)
		r.onEnded(workflows.SessionEnded{WorkflowID: "wf-b", OrganizationName: "abc", EffectivePointInTime: &later,
			Session: vb365.RestoreSession{ID: "s", State: "Stopped"}})
		require.Equal(t, RowDone, r.rows[1].State)
		require.Equal(t, "abc", r.rows[1].OrganizationName)
		require.Equal(t, &later, r.rows[1].EffectivePointInTime)
		require.Equal(t, 1, r.creating, "the other row still holds its slot")
	})
	t.Run("gone", func(t *testing.T) {
		r := newRunOf(RowCreating, RowOpen)
		r.childGone("wf-b", errWorkflowNotFound)
		require.Equal(t, 1, r.creating, "an open row held no slot")
		require.Equal(t, RowFailed, r.rows[1].State)
		r.childGone("wf-a", errWorkflowNotFound)
		require.Zero(t, r.creating)
		require.True(t, strings.HasSuffix(r.rows[0].Error, errWorkflowNotFound.Error()))
	})
}

var errWorkflowNotFound = temporal.NewApplicationError("workflow not found", "NotFound")
