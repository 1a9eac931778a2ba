package integration

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// The restore workflow's side of restore actions, on the real server: the
// actions run in the open session, the workflow stops the session after
// them, and a stop during an action cancels it before the session stops.

// newActionStack is a stack on API version whose worker holds the
// credential profile testenv.RestoreProfile.
func newActionStack(t *testing.T, version string) *stack {
	t.Helper()
	creds, err := testenv.RestoreCredentialsEnv(t.TempDir())
	require.NoError(t, err)
	return newStack(t, vb365sim.Options{}, creds, "VB365_API_VERSION="+version)
}

// exchangeActions is an Exchange restore of the seed organization running
// actions, polled every second.
func exchangeActions(actions ...activities.RestoreAction) workflows.RestoreInput {
	return workflows.RestoreInput{OrganizationID: seedOrg, Type: "vex", PollInterval: "1s", Actions: actions}
}

func originalMailbox(email string) activities.RestoreAction {
	return activities.RestoreAction{Kind: activities.RestoreKindMailbox, Target: email, CredentialProfile: testenv.RestoreProfile}
}

// v8: a mailbox restored to its original location, end to end: the report
// holds the action with VB365's restore id and counts, the simulator
// restored it once, and the workflow stopped the session after it.
func TestWorkflowActionMailboxOriginalV8(t *testing.T) {
	t.Parallel()
	s := newActionStack(t, "v8")
	run := s.start(exchangeActions(originalMailbox(vb365sim.MailboxAdele)))
	rep := result(t, run)

	require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
	require.Equal(t, "workflow", rep.StopRequestedBy)
	require.Equal(t, "restore actions done", rep.StopReason)
	require.Equal(t, vb365.SessionStateStopped, rep.Session.State)
	require.Equal(t, &workflows.ActionCounts{Total: 1, Succeeded: 1}, rep.ActionCounts)
	a := rep.Actions[0]
	require.Equal(t, workflows.ActionSuccess, a.State)
	require.NotEmpty(t, a.RestoreID)
	require.Contains(t, a.Resolved, vb365sim.MailboxAdele)
	// v8's statistics are the session's: the scripted restore of the
	// session's first seconds, ending while the action runs, may add to it.
	require.GreaterOrEqual(t, a.Counts.Restored, int64(120), "Adele's 120 items")
	require.Zero(t, a.Counts.Failed)
	require.False(t, a.End.Before(a.Start))

	restores := s.sim.Restores()
	require.Len(t, restores, 1, "restored once")
	require.Equal(t, "mailbox", restores[0].Kind)
	require.Equal(t, "v8", restores[0].APIVersion)
	require.Equal(t, rep.Session.ID, restores[0].SessionID)
	s.checkClean(1, rep)
}

// A stop during a running action (v7: the restore request answers only
// when done) cancels the activity, waits until its cancellation is
// recorded, skips the next action, then stops the session.
func TestWorkflowActionStopDuringAction(t *testing.T) {
	t.Parallel()
	s := newActionStack(t, "v7")
	require.NoError(t, s.sim.SetRestoreBehaviour(vb365sim.RestoreBehaviour{ItemDuration: new(vb365sim.Duration(time.Second))}))
	run := s.start(exchangeActions(originalMailbox(vb365sim.MailboxAdele), originalMailbox(vb365sim.MailboxAlex)))
	waitFor(t, long, "the first action running in VB365", func() bool {
		st := status(t, run.GetID())
		return len(s.sim.Restores()) == 1 && len(st.Actions) == 2 && st.Actions[0].State == workflows.ActionRunning
	})
	started := time.Now()
	stopByUpdate(t, run.GetID())
	rep := result(t, run)
	require.Less(t, time.Since(started), time.Minute, "the stop did not wait for the two-minute restore")

	require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
	require.Equal(t, t.Name(), rep.StopRequestedBy)
	require.Equal(t, &workflows.ActionCounts{Total: 2, Canceled: 1, Skipped: 1}, rep.ActionCounts)
	require.Equal(t, workflows.ActionCanceled, rep.Actions[0].State)
	require.Contains(t, rep.Actions[0].Error, "stopped")
	require.Len(t, s.sim.Restores(), 1, "the second mailbox never restored")

	canceled, stop := -1, -1
	for i, e := range historyOf(t, devServer.Client, run.GetID()) {
		if e.GetEventType() == enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED && canceled < 0 {
			canceled = i
		}
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == activities.StopRestoreSessionName {
			stop = i
		}
	}
	require.Positive(t, canceled, "the action's cancellation is recorded")
	require.Greater(t, stop, canceled, "the session is stopped after the cancellation was recorded")
	s.checkClean(1, rep)
}
