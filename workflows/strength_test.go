package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// TestFutureBoundIsExactlyFiveMinutes: a point in time exactly FutureTolerance
// ahead of the workflow's clock is accepted, one nanosecond more is refused.
func TestFutureBoundIsExactlyFiveMinutes(t *testing.T) {
	in := RestoreInput{OrganizationID: testOrgID, Type: "vet"}
	in.PointInTime = testNow.Add(5 * time.Minute).Format(time.RFC3339Nano)
	r, err := ValidateInput(in, testNow)
	require.NoError(t, err)
	require.Equal(t, testNow.Add(5*time.Minute), *r.PointInTime)

	in.PointInTime = testNow.Add(5*time.Minute + time.Nanosecond).Format(time.RFC3339Nano)
	_, err = ValidateInput(in, testNow)
	requireAppErr(t, err, ErrPointInTimeInFuture, "at most 5m0s ahead")
}

// TestDroppedEventsAccumulate: every record that overflows the bound adds the
// events it pushes out to Dropped, so Latest plus Dropped is every event.
func TestDroppedEventsAccumulate(t *testing.T) {
	l := newEventLog()
	var order int32
	batch := func(n int) []vb365.RestoreSessionEvent {
		out := make([]vb365.RestoreSessionEvent, n)
		for i := range out {
			out[i] = vb365.RestoreSessionEvent{Order: order, Status: "Success"}
			order++
		}
		return out
	}
	l.record(batch(reportEventBound + 3))
	require.Equal(t, 3, l.Dropped)
	l.record(batch(4))
	require.Equal(t, 7, l.Dropped)
	require.Equal(t, reportEventBound+7, len(l.Latest)+l.Dropped)
	require.Equal(t, reportEventBound+7, l.Counts.Total)
}

// TestFailedFinalFetchIsReported: when reading the events after the stop fails,
// the run still ends with its report (the session is stopped), and the report
// says the final events were not read instead of claiming every event.
func TestFailedFinalFetchIsReported(t *testing.T) {
	h := newHarness(t).open().batches([]vb365.RestoreSessionEvent{ev(0, "Success")}).idle()
	h.env.OnActivity(acts.StopRestoreSession, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.StopRestoreSessionInput) (*activities.StopRestoreSessionResult, error) {
			h.stops++
			s := h.session
			s.State = vb365.SessionStateStopped
			return &activities.StopRestoreSessionResult{Session: &s}, nil
		})
	h.env.OnActivity(acts.FetchSessionEvents, mock.Anything, mock.Anything).Return(nil,
		temporal.NewNonRetryableApplicationError("forbidden", activities.ErrTypeVB365, nil))
	h.after(time.Minute, func() { h.env.SignalWorkflow(SignalStop, StopRequest{RequestedBy: "dave"}) })
	h.run(baseInput())
	r := h.report()
	require.Equal(t, EndReasonStopRequested, r.EndReason)
	require.Equal(t, 1, h.stops)
	require.Equal(t, vb365.SessionStateStopped, r.Session.State)
	require.Contains(t, r.FinalEventsError, "read final events of restore session")
	require.Contains(t, r.FinalEventsError, "forbidden")
	require.Equal(t, 1, r.EventCounts.Total, "only what the loop read")
}

// TestStopValidatorRejectsAfterTheEnd: the stop update's validator accepts a
// stop while the run goes on and refuses one once the outcome is known. (The
// window between the outcome and the workflow's close is shorter than the test
// environment can hit with an update, so the validator is called directly.)
func TestStopValidatorRejectsAfterTheEnd(t *testing.T) {
	r := &restoreRun{}
	require.NoError(t, r.validateStop(StopRequest{RequestedBy: "erin"}))
	r.phase, r.endReason = PhaseDone, EndReasonStoppedInVB365
	err := r.validateStop(StopRequest{RequestedBy: "erin"})
	require.Error(t, err)
	require.Contains(t, err.Error(), `restore already done (endReason "stopped-in-vb365")`)
	require.False(t, errors.Is(err, context.Canceled))
}
