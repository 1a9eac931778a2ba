package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// actionScript is one scripted RestoreAction: it lasts d on the workflow's
// clock, then returns res or err.
type actionScript struct {
	d   time.Duration
	res *activities.RestoreActionResult
	err error
}

// actionsOf mocks RestoreAction to play scripts in order and records what
// each call that returned got; started and canceled count the actions
// started and those the workflow canceled.
func (h *harness) actionsOf(scripts ...actionScript) (calls *[]activities.RestoreActionInput, canceled *int) {
	calls, canceled = new([]activities.RestoreActionInput), new(int)
	h.actionStarts = 0
	for _, s := range scripts {
		h.env.OnActivity(acts.RestoreAction, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.RestoreActionInput) (*activities.RestoreActionResult, error) {
				*calls = append(*calls, in)
				if s.err != nil {
					return nil, s.err
				}
				res := *s.res
				res.Kind, res.Target = in.Action.Kind, in.Action.Target
				return &res, nil
			}).After(s.d).Once()
	}
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == activities.RestoreActionName {
			h.actionStarts++
		}
	})
	h.env.SetOnActivityCanceledListener(func(info *activity.Info) {
		if info.ActivityType.Name == activities.RestoreActionName {
			*canceled++
		}
	})
	return calls, canceled
}

func teamAction(team string) activities.RestoreAction {
	yes := true
	return activities.RestoreAction{Kind: "team", Target: team, RestoreMembers: &yes}
}

func actionsInput(actions ...activities.RestoreAction) RestoreInput {
	in := baseInput()
	in.Actions = actions
	return in
}

func done(state string, restored int64) *activities.RestoreActionResult {
	return &activities.RestoreActionResult{State: state, RestoreID: "r-" + state,
		Start: time.Date(2026, 5, 1, 12, 0, 5, 0, time.UTC), End: time.Date(2026, 5, 1, 12, 9, 0, 0, time.UTC),
		Counts: activities.RestoreCounts{Total: 10, Restored: restored, Failed: 10 - restored}}
}

func queryStatus(t *testing.T, h *harness) Status {
	t.Helper()
	v, err := h.env.QueryWorkflow(QueryStatus)
	require.NoError(t, err)
	var st Status
	require.NoError(t, v.Get(&st))
	return st
}

func states(rows []ActionReport) []ActionState {
	out := make([]ActionState, len(rows))
	for i, a := range rows {
		out[i] = a.State
	}
	return out
}

// The actions run in order, one at a time, while the session is recorded;
// the status query shows them as they stand; after the last one the
// workflow stops the session.
func TestActionsRunInOrderThenStopTheSession(t *testing.T) {
	h := newHarness(t).open().batches([]vb365.RestoreSessionEvent{ev(0, "Success")}).idle().stopAndFetch()
	calls, _ := h.actionsOf(actionScript{10 * time.Minute, done("Success", 10), nil},
		actionScript{10 * time.Minute, done("Warning", 7), nil}, actionScript{10 * time.Minute, done("Failed", 0), nil})
	var mid Status
	h.after(15*time.Minute, func() { mid = queryStatus(t, h) })
	start := h.env.Now()
	h.run(actionsInput(teamAction("Finance"), teamAction("Sales and Marketing"), teamAction("Mark 8 Project Team")))
	r := h.report()

	require.Len(t, *calls, 3)
	for i, want := range []string{"Finance", "Sales and Marketing", "Mark 8 Project Team"} {
		c := (*calls)[i]
		require.Equal(t, want, c.Action.Target, "in order")
		require.Equal(t, h.session.ID, c.SessionID)
		require.Equal(t, "Vet", c.SessionType)
		require.Equal(t, 5*time.Second, c.PollInterval, "at least 4 heartbeats per heartbeat timeout")
	}
	require.Equal(t, 1, (*calls)[1].EventsSeen, "the events recorded before it")

	require.Equal(t, []ActionState{ActionSuccess, ActionRunning, ActionPending}, states(mid.Actions))
	require.Equal(t, &ActionCounts{Total: 3, Succeeded: 1, Running: 1, Pending: 1}, mid.ActionCounts)
	require.Equal(t, PhaseOpen, mid.Phase)

	require.Equal(t, []ActionState{ActionSuccess, ActionWarning, ActionFailed}, states(r.Actions))
	require.Equal(t, &ActionCounts{Total: 3, Succeeded: 1, PartlySucceeded: 1, Failed: 1}, r.ActionCounts)
	require.Equal(t, "r-Warning", r.Actions[1].RestoreID)
	require.Equal(t, int64(7), r.Actions[1].Counts.Restored)
	require.Equal(t, 1, r.Actions[1].Index)
	require.Equal(t, EndReasonStopRequested, r.EndReason)
	require.Equal(t, "workflow", r.StopRequestedBy)
	require.Equal(t, "restore actions done", r.StopReason)
	require.Equal(t, 1, h.stops)
	require.WithinDuration(t, start.Add(30*time.Minute), h.env.Now(), time.Minute, "stopped as soon as the last one ended")
}

// A failed action does not stop the next ones, unless stopOnFailure: then
// the rest are skipped, and the session is stopped.
func TestActionFailureAndStopOnFailure(t *testing.T) {
	notFound := temporal.NewNonRetryableApplicationError("restore action team: team Nope is not in restore session", activities.ErrTypeRestoreTargetNotFound, nil)
	for _, stopOnFailure := range []bool{false, true} {
		t.Run(map[bool]string{false: "goes on", true: "stopOnFailure"}[stopOnFailure], func(t *testing.T) {
			h := newHarness(t).open().idle().stopAndFetch()
			calls, _ := h.actionsOf(actionScript{time.Minute, nil, notFound},
				actionScript{time.Minute, done("Success", 10), nil}, actionScript{time.Minute, done("Success", 10), nil})
			in := actionsInput(teamAction("Nope"), teamAction("Finance"), teamAction("Sales and Marketing"))
			in.StopOnFailure = stopOnFailure
			h.run(in)
			r := h.report()
			require.Equal(t, ActionFailed, r.Actions[0].State)
			require.Equal(t, activities.ErrTypeRestoreTargetNotFound, r.Actions[0].ErrorType)
			require.Contains(t, r.Actions[0].Error, "team Nope is not in restore session")
			require.False(t, r.Actions[0].End.IsZero())
			require.Equal(t, 1, h.stops)
			require.Equal(t, "workflow", r.StopRequestedBy)
			if !stopOnFailure {
				require.Len(t, *calls, 3)
				require.Equal(t, []ActionState{ActionFailed, ActionSuccess, ActionSuccess}, states(r.Actions))
				return
			}
			require.Len(t, *calls, 1)
			require.Equal(t, []ActionState{ActionFailed, ActionSkipped, ActionSkipped}, states(r.Actions))
			require.Equal(t, &ActionCounts{Total: 3, Failed: 1, Skipped: 2}, r.ActionCounts)
			require.Contains(t, r.Actions[1].Error, "actions[0] failed and stopOnFailure is set")
		})
	}
}

// keepSessionOpen leaves the session open after the actions, until a stop.
func TestActionsKeepSessionOpen(t *testing.T) {
	h := newHarness(t).open().idle().stopAndFetch()
	h.actionsOf(actionScript{time.Minute, done("Success", 10), nil})
	var later Status
	stopsThen := -1
	h.after(3*time.Hour, func() {
		later, stopsThen = queryStatus(t, h), h.stops
		h.env.SignalWorkflow(SignalStop, StopRequest{RequestedBy: "alice"})
	})
	in := actionsInput(teamAction("Finance"))
	in.KeepSessionOpen = true
	h.run(in)
	r := h.report()
	require.Equal(t, 0, stopsThen, "still open three hours after its action")
	require.Equal(t, PhaseOpen, later.Phase)
	require.Equal(t, &ActionCounts{Total: 1, Succeeded: 1}, later.ActionCounts)
	require.Equal(t, "alice", r.StopRequestedBy)
	require.Equal(t, []ActionState{ActionSuccess}, states(r.Actions))
}

// A stop during an action cancels it (the rest are skipped), then stops
// the session.
func TestStopDuringAction(t *testing.T) {
	h := newHarness(t).open().idle().stopAndFetch()
	calls, canceled := h.actionsOf(actionScript{2 * time.Hour, done("Success", 10), nil}, actionScript{time.Minute, done("Success", 10), nil})
	h.after(30*time.Minute, func() {
		h.env.SignalWorkflow(SignalStop, StopRequest{RequestedBy: "bob", Reason: "wrong point in time"})
	})
	start := h.env.Now()
	h.run(actionsInput(teamAction("Finance"), teamAction("Sales and Marketing")))
	r := h.report()
	require.Empty(t, *calls, "none returned")
	require.Equal(t, 1, h.actionStarts, "the second one never started")
	require.Equal(t, 1, *canceled)
	require.Equal(t, []ActionState{ActionCanceled, ActionSkipped}, states(r.Actions))
	require.Equal(t, &ActionCounts{Total: 2, Canceled: 1, Skipped: 1}, r.ActionCounts)
	require.Contains(t, r.Actions[0].Error, `stopped (requested by "bob"`)
	require.Equal(t, EndReasonStopRequested, r.EndReason)
	require.Equal(t, "bob", r.StopRequestedBy)
	require.Equal(t, 1, h.stops)
	require.WithinDuration(t, start.Add(30*time.Minute), h.env.Now(), time.Minute)
}

// A cancel during an action cancels it, stops the session and ends
// cancelled, the actions in the report it carries.
func TestCancelDuringAction(t *testing.T) {
	h := newHarness(t).open().idle().stopAndFetch()
	_, canceled := h.actionsOf(actionScript{2 * time.Hour, done("Success", 10), nil}, actionScript{time.Minute, done("Success", 10), nil})
	h.after(30*time.Minute, h.env.CancelWorkflow)
	h.run(actionsInput(teamAction("Finance"), teamAction("Sales and Marketing")))
	var ce *temporal.CanceledError
	require.True(t, errors.As(h.env.GetWorkflowError(), &ce), "got %v", h.env.GetWorkflowError())
	var r RestoreReport
	require.NoError(t, ce.Details(&r))
	require.Equal(t, 1, *canceled)
	require.Equal(t, 1, h.stops)
	require.Equal(t, []ActionState{ActionCanceled, ActionSkipped}, states(r.Actions))
	require.Contains(t, r.Actions[0].Error, "canceled")
}

// maxSessionDuration during an action cancels it like a stop.
func TestMaxDurationDuringAction(t *testing.T) {
	h := newHarness(t).open().idle().stopAndFetch()
	_, canceled := h.actionsOf(actionScript{5 * time.Hour, done("Success", 10), nil})
	in := actionsInput(teamAction("Finance"))
	in.MaxSessionDuration = "1h"
	h.run(in)
	r := h.report()
	require.Equal(t, EndReasonMaxDuration, r.EndReason)
	require.Equal(t, 1, *canceled)
	require.Equal(t, []ActionState{ActionCanceled}, states(r.Actions))
	require.Contains(t, r.Actions[0].Error, EndReasonMaxDuration)
}

// An action whose workload is not the session's fails the workflow before
// anything is opened, naming the action's kind and both values.
func TestActionWorkloadMismatchFailsAtOnce(t *testing.T) {
	h := newHarness(t)
	h.run(actionsInput(activities.RestoreAction{Kind: "mailbox", Target: "adele.vance@abc.onmicrosoft.com"}))
	requireAppErr(t, h.env.GetWorkflowError(), ErrInvalidRequest, `actions[0].kind "mailbox"`, "vex", "vet")
	require.Empty(t, h.created)
}

// A restore without actions reports none and stays open until a stop.
func TestNoActionsNoRows(t *testing.T) {
	h := newHarness(t).open().idle().stopAndFetch()
	h.after(time.Hour, func() { h.env.SignalWorkflow(SignalStop, StopRequest{RequestedBy: "carol"}) })
	h.run(baseInput())
	r := h.report()
	require.Nil(t, r.Actions)
	require.Nil(t, r.ActionCounts)
	require.Equal(t, "carol", r.StopRequestedBy)
}

// A run does not continue as new while an action runs; it does once they
// are done, carrying the rows, and the next run starts only the actions
// still pending: none runs twice.
func TestActionsAcrossContinueAsNew(t *testing.T) {
	h := newHarness(t, Options{BatchesPerRun: 1}).open().
		batches([]vb365.RestoreSessionEvent{ev(0, "Success")}, []vb365.RestoreSessionEvent{ev(1, "Success")}).idle().stopAndFetch()
	h.actionsOf(actionScript{10 * time.Minute, done("Success", 10), nil}, actionScript{10 * time.Minute, done("Warning", 5), nil})
	in := actionsInput(teamAction("Finance"), teamAction("Sales and Marketing"))
	in.KeepSessionOpen = true
	start := h.env.Now()
	h.run(in)
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(h.env.GetWorkflowError(), &can), "got %v", h.env.GetWorkflowError())
	require.Equal(t, 2, h.actionStarts)
	require.Len(t, h.waits, 2, "both batches came while the actions ran")
	require.WithinDuration(t, start.Add(20*time.Minute), h.env.Now(), time.Minute, "continued as new once the actions were done")
	var next RestoreInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.Equal(t, []ActionState{ActionSuccess, ActionWarning}, states(next.Continuation.Actions))

	// A next run that finds an action pending (as if the run had ended
	// between two) runs that one only, then stops the session.
	next.Continuation.Actions[1] = ActionReport{Index: 1, Action: next.Continuation.Actions[1].Action, State: ActionPending}
	next.KeepSessionOpen = false
	h2 := newHarness(t).idle().stopAndFetch()
	calls, _ := h2.actionsOf(actionScript{time.Minute, done("Success", 10), nil})
	h2.env.SetStartTime(h.env.Now())
	h2.env.SetContinuedExecutionRunID("run-1")
	h2.run(next)
	r := h2.report()
	require.Len(t, *calls, 1)
	require.Equal(t, "Sales and Marketing", (*calls)[0].Action.Target)
	require.Equal(t, []ActionState{ActionSuccess, ActionSuccess}, states(r.Actions))
	require.Equal(t, "r-Success", r.Actions[0].RestoreID, "the carried row as it was")
	require.Equal(t, "workflow", r.StopRequestedBy)
}

// The Web UI details show the actions' counts and one row each, with the
// restore's progress once it ran and the error of one that failed.
func TestRenderDetailsActions(t *testing.T) {
	rows := []ActionReport{
		{Index: 0, Action: activities.RestoreAction{Kind: "mailbox", Target: adele, To: &activities.RestoreLocation{Mailbox: "recovery@abc.onmicrosoft.com", Folder: "Adele"}},
			State: ActionWarning, RestoreActionResult: &activities.RestoreActionResult{RestoreID: "r1", Counts: activities.RestoreCounts{Total: 10, Restored: 8, Failed: 2, Warnings: 1}}},
		{Index: 1, Action: activities.RestoreAction{Kind: "channel", Target: "Finance", Channel: "General"}, State: ActionFailed,
			ErrorType: "RestoreTargetNotFound", Error: "no channel | General"},
		{Index: 2, Action: activities.RestoreAction{Kind: "mailboxes", Targets: []string{"a@x", "b@x"}}, State: ActionPending},
	}
	c := CountActions(rows)
	got := renderDetails(Status{Phase: PhaseOpen, Actions: rows, ActionCounts: &c})
	require.Equal(t, "## VB365 restore: "+string(PhaseOpen)+"\n\n"+
		"- **Events:** 0\n"+
		"- **Actions:** 3 (1 partly succeeded, 1 failed, 1 pending)\n"+
		"\n| # | action | target | state | restored | failed | warnings | restore id | error |\n|---|---|---|---|---|---|---|---|---|\n"+
		"| 0 | mailbox | "+adele+" → recovery@abc.onmicrosoft.com Adele | warning | 8/10 | 2 | 1 | r1 |  |\n"+
		"| 1 | channel | Finance / General | failed |  |  |  |  | RestoreTargetNotFound: no channel \\| General |\n"+
		"| 2 | mailboxes | a@x, b@x | pending |  |  |  |  |  |\n", got)
	require.Equal(t, "none run", ActionCountsText(ActionCounts{Total: 2}))
}

// A child tells its parent how its actions ended (SignalSessionEnded).
func TestNotifyParentEndedCountsActions(t *testing.T) {
	h := newHarness(t).open().idle().stopAndFetch()
	h.actionsOf(actionScript{2 * time.Hour, done("Success", 10), nil})
	h.env.RegisterWorkflow(endedParent)
	in := actionsInput(teamAction("Finance"))
	in.NotifyParent = true
	h.env.ExecuteWorkflow(endedParent, in)
	require.NoError(t, h.env.GetWorkflowError())
	var ended SessionEnded
	require.NoError(t, h.env.GetWorkflowResult(&ended))
	require.NotNil(t, ended.ActionCounts)
	require.Equal(t, 1, ended.ActionCounts.Total)
	require.Equal(t, 1, ended.ActionCounts.Canceled+ended.ActionCounts.Skipped, "%+v", ended.ActionCounts)
}

// An adopted v6/v7 action's counts are unknown, not zeros, in the details.
func TestRenderDetailsActionCountsUnknown(t *testing.T) {
	rows := []ActionReport{{Index: 0, Action: activities.RestoreAction{Kind: "mailbox", Target: adele}, State: ActionSuccess,
		RestoreActionResult: &activities.RestoreActionResult{RestoreID: "s1", Adopted: true, CountsUnknown: true}}}
	c := CountActions(rows)
	got := renderDetails(Status{Phase: PhaseOpen, Actions: rows, ActionCounts: &c})
	require.Contains(t, got, "| 0 | mailbox | "+adele+" | success | unknown | unknown | unknown | s1 |  |\n")
}
