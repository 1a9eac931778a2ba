package playbook_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

// release is the prefix of the histories this recorder writes (see the one
// of workflows/record_test.go): bump both together.
const release = "release3"

// maxHistoryEvents bounds every recorded playbook history.
const maxHistoryEvents = 80

// recording drives one path of RestorePlaybookWorkflow on a real server
// through the production worker and the simulator, asserts the path really
// happened, and returns the playbook's run and how its history must end.
type recording struct {
	name string
	run  func(t *testing.T, r *recorder) (client.WorkflowRun, enumspb.EventType)
	// scenario (default testenv.ShortScenario) and wfOpts are the
	// simulator's and the worker's.
	scenario *vb365sim.Scenario
	wfOpts   workflows.Options
}

// TestRecordHistories runs every path of RestorePlaybookWorkflow on a dev
// server and writes the histories testdata lacks (testenv.RecordHistories;
// testdata/README.md lists them).
func TestRecordHistories(t *testing.T) {
	recs := make([]testenv.Recording, 0, len(playbookRecordings))
	for _, rec := range playbookRecordings {
		recs = append(recs, testenv.Recording{Name: rec.name, Scenario: rec.scenario, Options: rec.wfOpts,
			Run: func(t *testing.T, s *testenv.RecordStack) []testenv.Recorded {
				r := &recorder{t: t, ctx: s.Ctx, c: s.Client, st: s.Stack, name: rec.name}
				r.id = playbook.HistoryWorkflowID(filepath.Join("testdata", release+"-"+rec.name+".json"))
				run, last := rec.run(t, r)
				return []testenv.Recorded{{File: rec.name, WorkflowID: run.GetID(), RunID: run.GetRunID(), LastEvent: last}}
			}})
	}
	testenv.RecordHistories(t, release, "record-playbook-", maxHistoryEvents, recs)
}

type recorder struct {
	t    *testing.T
	ctx  context.Context
	c    client.Client
	st   *testenv.Stack
	name string
	id   string // the playbook's workflow id
}

// restore is one row of a recorded playbook: the seed organization's
// workload typ at its last backup, polled every second.
func restore(typ string) workflows.RestoreInput {
	return workflows.RestoreInput{OrganizationID: vb365sim.SeedOrganizationID, Type: typ,
		PointInTime: "2020-10-30T10:29:05Z", PollInterval: "1s"}
}

func (r *recorder) start(in playbook.Input) client.WorkflowRun {
	r.t.Helper()
	run, err := r.c.ExecuteWorkflow(r.ctx, client.StartWorkflowOptions{ID: r.id, TaskQueue: r.st.TaskQueue,
		WorkflowExecutionTimeout: 5 * time.Minute}, playbook.WorkflowName, in)
	require.NoError(r.t, err)
	return run
}

// waitRows waits until the playbook's status satisfies cond.
func (r *recorder) waitRows(id, what string, cond func(playbook.Report) bool) playbook.Report {
	r.t.Helper()
	var rep playbook.Report
	require.Eventually(r.t, func() bool {
		v, err := r.c.QueryWorkflow(r.ctx, id, "", workflows.QueryStatus)
		return err == nil && v.Get(&rep) == nil && cond(rep)
	}, time.Minute, 200*time.Millisecond, what)
	return rep
}

// waitChildCreating waits until the child restore id is creating its
// session (its explore POST in flight).
func (r *recorder) waitChildCreating(id string) {
	r.t.Helper()
	require.Eventually(r.t, func() bool {
		v, err := r.c.QueryWorkflow(r.ctx, id, "", workflows.QueryStatus)
		var st workflows.Status
		return err == nil && v.Get(&st) == nil && st.Phase == workflows.PhaseCreating
	}, time.Minute, 100*time.Millisecond, "child %s creating its session", id)
}

// allOpen: every row's session open and its first events reported (a child
// reports later ones only every ProgressInterval).
func allOpen(rep playbook.Report) bool {
	for _, row := range rep.Rows {
		if row.State != playbook.RowOpen || row.EventCounts.Total < 1 {
			return false
		}
	}
	return true
}

func (r *recorder) result(run client.WorkflowRun) playbook.Report {
	return testenv.Result[playbook.Report](r.t, r.ctx, run)
}

// noneOpen: no session left Working in VB365.
func (r *recorder) noneOpen() {
	r.t.Helper()
	require.Empty(r.t, testenv.WorkingSessions(r.st.Sim), "sessions left open")
}

var playbookRecordings = []recording{
	{name: "continue-as-new", scenario: testenv.SteadyScenario(60, 500*time.Millisecond),
		wfOpts: workflows.Options{ProgressInterval: time.Second, PlaybookEventsPerRun: playbook.RecordEventsPerRun},
		run: func(t *testing.T, r *recorder) (client.WorkflowRun, enumspb.EventType) {
			// Two children open and reporting progress every second: the
			// playbook's history reaches EventsPerRun and it continues as
			// new (this file is its first run); a stop update to the latest
			// run stops both children of the first. The final run is
			// written too, as <release>-continue-as-new-final-run.json.
			run := r.start(playbook.Input{Name: r.name, Restores: []workflows.RestoreInput{restore("vet"), restore("vex")}})
			r.waitRows(run.GetID(), "continued as new with both sessions open", func(rep playbook.Report) bool {
				return rep.Runs >= 1 && rep.Counts[playbook.RowOpen] == 2
			})
			h, err := r.c.UpdateWorkflow(r.ctx, client.UpdateWorkflowOptions{WorkflowID: run.GetID(), UpdateName: workflows.UpdateStop,
				WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{workflows.StopRequest{RequestedBy: "recorder"}}})
			require.NoError(t, err)
			require.NoError(t, h.Get(r.ctx, nil))
			var rep playbook.Report
			require.NoError(t, r.c.GetWorkflow(r.ctx, run.GetID(), "").Get(r.ctx, &rep))
			require.GreaterOrEqual(t, rep.Runs, 1)
			for _, row := range rep.Rows {
				require.Equal(t, playbook.RowDone, row.State, "row %d", row.Index)
				require.Equal(t, "Stopped", row.SessionState, "row %d", row.Index)
			}
			require.Len(t, r.st.Sim.Sessions(), 2)
			r.noneOpen()
			final, err := testenv.History(r.ctx, r.c, run.GetID(), "")
			require.NoError(t, err)
			require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, final.Events[len(final.Events)-1].GetEventType())
			path := filepath.Join("testdata", release+"-continue-as-new-final-run.json")
			wrote, err := testenv.WriteHistory(final, path)
			require.NoError(t, err)
			t.Logf("%s: %d history events (written: %t)", path, len(final.Events), wrote)
			return run, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
		}},
	{name: "invalid-entry-fails-its-row", run: func(t *testing.T, r *recorder) (client.WorkflowRun, enumspb.EventType) {
		// A restore entry with an unknown field, as raw JSON from any
		// client: its row fails InvalidRequest with no child; the other runs.
		good := restore("vet")
		in := map[string]any{"name": r.name, "restores": []any{
			map[string]any{"organizationId": good.OrganizationID, "type": "vex", "pointInTme": good.PointInTime},
			good,
		}}
		run, err := r.c.ExecuteWorkflow(r.ctx, client.StartWorkflowOptions{ID: r.id, TaskQueue: r.st.TaskQueue,
			WorkflowExecutionTimeout: 5 * time.Minute}, playbook.WorkflowName, in)
		require.NoError(t, err)
		r.waitRows(run.GetID(), "the good restore open", func(rep playbook.Report) bool { return rep.Rows[1].State == playbook.RowOpen })
		require.NoError(t, r.c.SignalWorkflow(r.ctx, run.GetID(), "", workflows.SignalStop, workflows.StopRequest{RequestedBy: "recorder"}))
		rep := r.result(run)
		require.Equal(t, playbook.RowFailed, rep.Rows[0].State)
		require.Equal(t, workflows.ErrInvalidRequest, rep.Rows[0].ErrorType)
		require.Contains(t, rep.Rows[0].Error, "restores[0].pointInTme")
		require.Equal(t, playbook.RowDone, rep.Rows[1].State)
		r.noneOpen()
		return run, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
	}},
	{name: "stop-by-update", run: func(t *testing.T, r *recorder) (client.WorkflowRun, enumspb.EventType) {
		// Both children running; one stop update stops them both.
		run := r.start(playbook.Input{Name: r.name, Restores: []workflows.RestoreInput{restore("vet"), restore("vex")}})
		r.waitRows(run.GetID(), "both sessions open with their events", allOpen)
		h, err := r.c.UpdateWorkflow(r.ctx, client.UpdateWorkflowOptions{WorkflowID: run.GetID(), UpdateName: workflows.UpdateStop,
			WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{workflows.StopRequest{RequestedBy: "recorder"}}})
		require.NoError(t, err)
		var answer playbook.Report
		require.NoError(t, h.Get(r.ctx, &answer))
		require.Equal(t, 2, answer.Counts[playbook.RowDone], "the update answers once both are stopped")
		rep := r.result(run)
		require.True(t, rep.StopRequested)
		for _, row := range rep.Rows {
			require.Equal(t, workflows.EndReasonStopRequested, row.EndReason, "row %d", row.Index)
			require.Equal(t, "Stopped", row.SessionState, "row %d", row.Index)
		}
		r.noneOpen()
		return run, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
	}},
	{name: "stop-by-signal-skips-pending", run: func(t *testing.T, r *recorder) (client.WorkflowRun, enumspb.EventType) {
		// One creation slot: the stop arrives while the first child's
		// session is still being created (a slow explore) and the second
		// restore waits for the slot, so it is skipped.
		r.st.Sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/*/Organizations/*/explore", DelayMs: 3000})
		run := r.start(playbook.Input{Name: r.name, MaxConcurrent: 1, Restores: []workflows.RestoreInput{restore("vet"), restore("vex")}})
		rep := r.waitRows(run.GetID(), "the first child creating, the second pending", func(rep playbook.Report) bool {
			return rep.Rows[0].State == playbook.RowCreating && rep.Rows[1].State == playbook.RowPending
		})
		r.waitChildCreating(rep.Rows[0].WorkflowID)
		require.NoError(t, r.c.SignalWorkflow(r.ctx, run.GetID(), "", workflows.SignalStop, workflows.StopRequest{RequestedBy: "recorder"}))
		rep = r.result(run)
		require.True(t, rep.StopRequested)
		require.Equal(t, playbook.RowDone, rep.Rows[0].State)
		require.Equal(t, workflows.EndReasonStopRequested, rep.Rows[0].EndReason)
		require.Equal(t, playbook.RowSkipped, rep.Rows[1].State)
		require.Len(t, r.st.Sim.Sessions(), 1, "no session for the skipped restore")
		r.noneOpen()
		return run, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
	}},
	{name: "cancel-children-running", run: func(t *testing.T, r *recorder) (client.WorkflowRun, enumspb.EventType) {
		run := r.start(playbook.Input{Name: r.name, Restores: []workflows.RestoreInput{restore("vet"), restore("vex")}})
		r.waitRows(run.GetID(), "both sessions open with their events", allOpen)
		require.NoError(t, r.c.CancelWorkflow(r.ctx, run.GetID(), ""))
		var canceled *temporal.CanceledError
		require.ErrorAs(t, run.Get(r.ctx, nil), &canceled)
		rep := r.waitRows(run.GetID(), "the final status", func(playbook.Report) bool { return true })
		for _, row := range rep.Rows {
			require.Equal(t, playbook.RowCanceled, row.State, "row %d", row.Index)
		}
		require.Len(t, r.st.Sim.Sessions(), 2)
		r.noneOpen()
		return run, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED
	}},
	{name: "children-end-on-their-own", run: func(t *testing.T, r *recorder) (client.WorkflowRun, enumspb.EventType) {
		// No stop: one child fails (before the first backup), the other's
		// session is closed in VB365, and the playbook completes.
		bad := restore("vet")
		bad.PointInTime = "2001-01-01T00:00:00Z"
		run := r.start(playbook.Input{Name: r.name, Restores: []workflows.RestoreInput{bad, restore("vex")}})
		open := r.waitRows(run.GetID(), "one failed, one open with its events", func(rep playbook.Report) bool {
			return rep.Rows[0].State == playbook.RowFailed && rep.Rows[1].State == playbook.RowOpen && rep.Rows[1].EventCounts.Total >= 1
		})
		require.NoError(t, r.st.Sim.StopSession(open.Rows[1].SessionID))
		rep := r.result(run)
		require.False(t, rep.StopRequested)
		require.Equal(t, workflows.ErrPointInTimeBeforeFirstBackup, rep.Rows[0].ErrorType)
		require.Equal(t, playbook.RowDone, rep.Rows[1].State)
		require.Equal(t, workflows.EndReasonStoppedInVB365, rep.Rows[1].EndReason)
		require.Len(t, r.st.Sim.Sessions(), 1)
		r.noneOpen()
		return run, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
	}},
	{name: "one-slot-starts-next-when-ready", run: func(t *testing.T, r *recorder) (client.WorkflowRun, enumspb.EventType) {
		// One creation slot: the second child starts when the first
		// signals its session exists; then a stop update stops both.
		run := r.start(playbook.Input{Name: r.name, MaxConcurrent: 1, Restores: []workflows.RestoreInput{restore("vet"), restore("vex")}})
		r.waitRows(run.GetID(), "both sessions open with their events", allOpen)
		h, err := r.c.UpdateWorkflow(r.ctx, client.UpdateWorkflowOptions{WorkflowID: run.GetID(), UpdateName: workflows.UpdateStop,
			WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{workflows.StopRequest{RequestedBy: "recorder"}}})
		require.NoError(t, err)
		require.NoError(t, h.Get(r.ctx, nil))
		rep := r.result(run)
		require.Equal(t, 2, rep.Counts[playbook.RowDone])
		sessions := r.st.Sim.Sessions()
		require.Len(t, sessions, 2)
		require.False(t, sessions[1].CreationTime.Before(sessions[0].CreationTime), "the second session after the first")
		r.noneOpen()
		return run, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
	}},
	{name: "cancel-while-creating-skips-pending", run: func(t *testing.T, r *recorder) (client.WorkflowRun, enumspb.EventType) {
		// One creation slot, the first creation slowed: the playbook is
		// cancelled while it is in flight. The child stops the session it
		// creates, the pending restore is skipped.
		r.st.Sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/*/Organizations/*/explore", DelayMs: 3000})
		run := r.start(playbook.Input{Name: r.name, MaxConcurrent: 1, Restores: []workflows.RestoreInput{restore("vet"), restore("vex")}})
		rep := r.waitRows(run.GetID(), "the first child creating, the second pending", func(rep playbook.Report) bool {
			return rep.Rows[0].State == playbook.RowCreating && rep.Rows[1].State == playbook.RowPending
		})
		r.waitChildCreating(rep.Rows[0].WorkflowID)
		require.NoError(t, r.c.CancelWorkflow(r.ctx, run.GetID(), ""))
		var canceled *temporal.CanceledError
		require.ErrorAs(t, run.Get(r.ctx, nil), &canceled)
		rep = r.waitRows(run.GetID(), "the final status", func(playbook.Report) bool { return true })
		require.Equal(t, playbook.RowCanceled, rep.Rows[0].State)
		require.Equal(t, playbook.RowSkipped, rep.Rows[1].State)
		require.Len(t, r.st.Sim.Sessions(), 1, "no session for the skipped restore")
		r.noneOpen()
		return run, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED
	}},
	{name: "invalid-input", run: func(t *testing.T, r *recorder) (client.WorkflowRun, enumspb.EventType) {
		run := r.start(playbook.Input{Name: r.name})
		var appErr *temporal.ApplicationError
		require.ErrorAs(t, run.Get(r.ctx, nil), &appErr)
		require.Equal(t, workflows.ErrInvalidRequest, appErr.Type())
		return run, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED
	}},
	{name: "restores-with-actions", run: func(t *testing.T, r *recorder) (client.WorkflowRun, enumspb.EventType) {
		// Two restores with actions: each runs its own, stops its session,
		// and the playbook completes with the rows' action counts.
		yes := true
		mail := restore("vex")
		mail.Actions = []activities.RestoreAction{{Kind: activities.RestoreKindMailbox, Target: vb365sim.MailboxAdele, CredentialProfile: testenv.RestoreProfile}}
		team := restore("vet")
		team.Actions = []activities.RestoreAction{{Kind: activities.RestoreKindTeam, Target: vb365sim.TeamFinance, RestoreMembers: &yes,
			CredentialProfile: testenv.RestoreProfile}, {Kind: activities.RestoreKindTeam, Target: "No such team", RestoreMembers: &yes,
			CredentialProfile: testenv.RestoreProfile}}
		run := r.start(playbook.Input{Name: r.name, Restores: []workflows.RestoreInput{mail, team}})
		rep := r.result(run)
		require.False(t, rep.StopRequested)
		for _, row := range rep.Rows {
			require.Equal(t, playbook.RowDone, row.State, "row %d", row.Index)
			require.Equal(t, workflows.EndReasonStopRequested, row.EndReason)
		}
		require.Equal(t, &workflows.ActionCounts{Total: 1, Succeeded: 1}, rep.Rows[0].Actions)
		require.Equal(t, &workflows.ActionCounts{Total: 2, Succeeded: 1, Failed: 1}, rep.Rows[1].Actions)
		require.Equal(t, &workflows.ActionCounts{Total: 3, Succeeded: 2, Failed: 1}, rep.ActionCounts)
		require.Len(t, r.st.Sim.Restores(), 2)
		r.noneOpen()
		return run, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
	}},
}
