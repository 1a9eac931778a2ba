package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// TestStopUpdateAnswersTheFailureOfARunThatCouldNotStop: a stop update whose
// run fails before the session is stopped (VB365 refuses the stop) answers
// with the run's failure, not with the session as if it had stopped.
func TestStopUpdateAnswersTheFailureOfARunThatCouldNotStop(t *testing.T) {
	h := newHarness(t).open().batches([]vb365.RestoreSessionEvent{ev(0, "Success")}).idle()
	h.env.OnActivity(acts.StopRestoreSession, mock.Anything, mock.Anything).Return(nil,
		temporal.NewNonRetryableApplicationError("forbidden", activities.ErrTypeVB365, nil))
	h.stopAndFetch()
	answered := false
	var answerErr error
	h.after(time.Hour, func() {
		h.env.UpdateWorkflow(UpdateStop, "u1", &testUpdateCallbacks{
			complete: func(_ any, err error) { answered, answerErr = true, err }}, StopRequest{RequestedBy: "erin"})
	})
	h.run(baseInput())

	require.Error(t, h.env.GetWorkflowError(), "the run fails: its session was not stopped")
	require.True(t, answered, "the update is answered")
	require.Error(t, answerErr, "the update answers with the run's failure")
	require.ErrorContains(t, answerErr, "not confirmed Stopped")
}

// TestNotifyParentEndedByFailureCountsTheEventsRecorded: a child that fails
// after recording events tells its parent how many it recorded (the failed
// run has no report to take them from).
func TestNotifyParentEndedByFailureCountsTheEventsRecorded(t *testing.T) {
	h := newHarness(t).open().batches([]vb365.RestoreSessionEvent{ev(0, "Success"), ev(1, "Warning")}).stopAndFetch()
	h.env.OnActivity(acts.WaitForSessionEvents, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.WaitForSessionEventsInput) (*activities.SessionEventsResult, error) {
			return nil, temporal.NewNonRetryableApplicationError("forbidden", activities.ErrTypeVB365, nil)
		})
	h.env.RegisterWorkflow(failedParent)
	in := baseInput()
	in.NotifyParent = true
	h.env.ExecuteWorkflow(failedParent, in)
	require.NoError(t, h.env.GetWorkflowError())
	var ended SessionEnded
	require.NoError(t, h.env.GetWorkflowResult(&ended))
	require.Contains(t, ended.Error, "forbidden")
	require.Equal(t, 2, ended.EventCounts.Total)
	require.Equal(t, map[string]int{"Success": 1, "Warning": 1}, ended.EventCounts.ByStatus)
}

// TestRunningActionRowNamesItsTargets: while an action runs, its row names
// what it restores: a mailboxes action its mailboxes, joined, and any
// other kind its one target.
func TestRunningActionRowNamesItsTargets(t *testing.T) {
	h := newHarness(t)
	h.session.Type = "Vex"
	h.open().idle().stopAndFetch()
	h.actionsOf(actionScript{time.Hour, done("Success", 10), nil}, actionScript{time.Hour, done("Success", 10), nil})
	var targets []string
	for _, at := range []time.Duration{30 * time.Minute, 90 * time.Minute} {
		h.after(at, func() {
			for _, a := range queryStatus(t, h).Actions {
				if a.State == ActionRunning {
					targets = append(targets, a.RestoreActionResult.Target)
				}
			}
		})
	}
	in := baseInput()
	in.Type = "vex"
	in.Actions = []activities.RestoreAction{
		{Kind: "mailboxes", Targets: []string{adele, "alex.wilber@abc.onmicrosoft.com"}},
		{Kind: "mailbox", Target: adele},
	}
	h.run(in)
	require.Equal(t, []string{adele + ", alex.wilber@abc.onmicrosoft.com", adele}, targets)
}

// TestValidateInputAcceptsMaxActions: exactly MaxActions actions are
// accepted; one more is refused (TestValidateInputAcceptsActions).
func TestValidateInputAcceptsMaxActions(t *testing.T) {
	in := RestoreInput{OrganizationID: testOrgID, Type: "vex", Actions: make([]activities.RestoreAction, MaxActions)}
	for i := range in.Actions {
		in.Actions[i] = activities.RestoreAction{Kind: "mailbox", Target: adele}
	}
	req, err := ValidateInput(in, testNow)
	require.NoError(t, err)
	require.Len(t, req.Actions, MaxActions)
}

// TestRenderDetailsProgressColumns: a running action (its result holds only
// its target and start) shows no progress yet; one with counts shows them
// even without a restore id.
func TestRenderDetailsProgressColumns(t *testing.T) {
	rows := []ActionReport{
		{Index: 0, Action: activities.RestoreAction{Kind: "mailbox", Target: adele}, State: ActionRunning,
			RestoreActionResult: &activities.RestoreActionResult{Kind: "mailbox", Target: adele, Start: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}},
		{Index: 1, Action: activities.RestoreAction{Kind: "mailbox", Target: adele}, State: ActionSuccess,
			RestoreActionResult: &activities.RestoreActionResult{Counts: activities.RestoreCounts{Total: 10, Restored: 10}}},
	}
	c := CountActions(rows)
	got := renderDetails(Status{Phase: PhaseOpen, Actions: rows, ActionCounts: &c})
	require.Contains(t, got, "| 0 | mailbox | "+adele+" | running |  |  |  |  |  |\n")
	require.Contains(t, got, "| 1 | mailbox | "+adele+" | success | 10/10 | 0 | 0 |  |  |\n")
}
