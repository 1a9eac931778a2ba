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
