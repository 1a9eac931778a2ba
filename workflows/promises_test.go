package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// notStopped is the stop activity's failure when VB365 accepted a stop and
// the session, read back, is still Working.
func notStopped() error {
	return temporal.NewApplicationError("stop restore session: VB365 accepted the stop but the session is not stopped (state \"Working\")",
		activities.ErrTypeSessionNotStopped)
}

// TestStopConfirmedAfterRetries: VB365 ignores the first stops; the stop is
// retried with backoff until the session reads Stopped, and the report says
// Stopped with every event.
func TestStopConfirmedAfterRetries(t *testing.T) {
	h := newHarness(t).open().batches([]vb365.RestoreSessionEvent{ev(0, "Success")}).idle()
	attempts := 0
	h.env.OnActivity(acts.StopRestoreSession, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.StopRestoreSessionInput) (*activities.StopRestoreSessionResult, error) {
			attempts++
			if attempts <= 3 {
				return nil, notStopped()
			}
			s := h.session
			s.State = vb365.SessionStateStopped
			return &activities.StopRestoreSessionResult{Session: &s}, nil
		})
	h.stopAndFetch(ev(1, "Success"))
	h.after(time.Hour, func() { h.env.SignalWorkflow(SignalStop, StopRequest{RequestedBy: "dave"}) })
	h.run(baseInput())
	r := h.report()
	require.Equal(t, 4, attempts)
	require.Equal(t, vb365.SessionStateStopped, r.Session.State)
	require.Equal(t, EndReasonStopRequested, r.EndReason)
	require.Empty(t, r.StopUnconfirmed)
	require.Equal(t, []int32{0, 1}, orders(r.Events))
}

// TestStopNeverConfirmedFailsNamed: VB365 accepts every stop and never
// stops the session: after the bound the workflow records what it can and
// fails SessionStopUnconfirmed, its report saying which events may be
// missing; it never ends stop-requested with a Working session.
func TestStopNeverConfirmedFailsNamed(t *testing.T) {
	h := newHarness(t, Options{StopConfirmBound: 10 * time.Minute}).open().
		batches([]vb365.RestoreSessionEvent{ev(0, "Success")}).idle()
	attempts := 0
	h.env.OnActivity(acts.StopRestoreSession, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.StopRestoreSessionInput) (*activities.StopRestoreSessionResult, error) {
			attempts++
			return nil, notStopped()
		})
	var fetched []activities.FetchSessionEventsInput
	h.env.OnActivity(acts.FetchSessionEvents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FetchSessionEventsInput) (*activities.SessionEventsResult, error) {
			fetched = append(fetched, in)
			s := h.session // still Working
			if in.AfterOrder >= 1 {
				return &activities.SessionEventsResult{Session: &s}, nil
			}
			return &activities.SessionEventsResult{Events: []vb365.RestoreSessionEvent{ev(1, "Success")}, Session: &s}, nil
		})
	h.after(time.Hour, func() { h.env.SignalWorkflow(SignalStop, StopRequest{RequestedBy: "dave"}) })
	h.run(baseInput())

	err := h.env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "got %v", err)
	require.Equal(t, ErrSessionStopUnconfirmed, appErr.Type())
	require.Contains(t, appErr.Error(), "not confirmed Stopped")
	require.Contains(t, appErr.Error(), "events after order 1 may be missing")
	require.Greater(t, attempts, 3, "the stop was retried")
	require.NotEmpty(t, fetched, "the events were read after giving up")
	var r RestoreReport
	require.NoError(t, appErr.Details(&r), "the failure carries the report")
	require.Equal(t, vb365.SessionStateWorking, r.Session.State)
	require.Equal(t, EndReasonStopRequested, r.EndReason)
	require.Contains(t, r.StopUnconfirmed, "not confirmed Stopped")
	require.Contains(t, r.FinalEventsError, "events after order 1 may be missing")
	require.Equal(t, []int32{0, 1}, orders(r.Events))
	require.LessOrEqual(t, h.env.Now().Sub(time.Date(2026, 5, 1, 13, 0, 0, 0, time.UTC)), 11*time.Minute,
		"it gave up within the bound")
}

// TestStopUpdateAnswersAfterCancelStopsSession: a stop update waiting while
// the workflow is cancelled answers with the stopped session once the
// cancelled workflow has stopped it, not with "canceled" before.
func TestStopUpdateAnswersAfterCancelStopsSession(t *testing.T) {
	h := newHarness(t).open().batches([]vb365.RestoreSessionEvent{ev(0, "Success")}).idle()
	h.env.OnActivity(acts.StopRestoreSession, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.StopRestoreSessionInput) (*activities.StopRestoreSessionResult, error) {
			h.stops++
			s := h.session
			s.State = vb365.SessionStateStopped
			return &activities.StopRestoreSessionResult{Session: &s}, nil
		}).After(10 * time.Minute)
	h.stopAndFetch()
	var answered *vb365.RestoreSession
	var answerErr error
	answeredAt := time.Time{}
	h.after(time.Hour, func() {
		h.env.UpdateWorkflow(UpdateStop, "u1", &testUpdateCallbacks{
			complete: func(v any, err error) {
				answeredAt = h.env.Now()
				answerErr = err
				if s, ok := v.(vb365.RestoreSession); ok {
					answered = &s
				}
			}}, StopRequest{RequestedBy: "dave"})
	})
	h.after(time.Hour+time.Minute, h.env.CancelWorkflow)
	h.run(baseInput())

	require.NoError(t, answerErr, "the update answers with the stopped session")
	require.NotNil(t, answered)
	require.Equal(t, vb365.SessionStateStopped, answered.State)
	require.Equal(t, 1, h.stops)
	require.False(t, answeredAt.Before(time.Date(2026, 5, 1, 13, 10, 0, 0, time.UTC)), "answered after the stop, at %s", answeredAt)
	var canceled *temporal.CanceledError
	require.True(t, errors.As(h.env.GetWorkflowError(), &canceled), "the workflow itself ends cancelled")
}

// TestCancelDuringSearchAttributeCheckCreatesNoSession: a cancel that
// arrives while the search attributes are checked ends the workflow
// cancelled without creating a session.
func TestCancelDuringSearchAttributeCheckCreatesNoSession(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(acts.GetOrganization, mock.Anything, mock.Anything).Return(func(context.Context, string) (*vb365.Organization, error) {
		o := h.org
		return &o, nil
	})
	h.env.OnActivity(acts.CheckSearchAttributes, mock.Anything).Return(func(context.Context) (bool, error) {
		time.Sleep(300 * time.Millisecond) // a local activity runs on the real clock
		return true, nil
	})
	h.env.OnActivity(acts.CreateRestoreSession, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CreateRestoreSessionInput) (*activities.CreateRestoreSessionResult, error) {
			h.created = append(h.created, in)
			return &activities.CreateRestoreSessionResult{Session: h.session}, nil
		}).Maybe()
	h.stopAndFetch()
	h.env.SetOnLocalActivityStartedListener(func(*activity.Info, context.Context, []any) { h.env.CancelWorkflow() })
	h.run(baseInput())

	var canceled *temporal.CanceledError
	require.True(t, errors.As(h.env.GetWorkflowError(), &canceled), "got %v", h.env.GetWorkflowError())
	require.Empty(t, h.created, "no session created after the cancel")
	require.Zero(t, h.stops)
}

// testUpdateCallbacks records an update's outcome in the SDK test suite.
type testUpdateCallbacks struct {
	complete func(any, error)
}

func (c *testUpdateCallbacks) Accept()                   {}
func (c *testUpdateCallbacks) Reject(err error)          { c.complete(nil, err) }
func (c *testUpdateCallbacks) Complete(v any, err error) { c.complete(v, err) }

// TestEventRunningForHoursDoesNotHoldBackLaterOnes: the events after one
// still Running are recorded as they finish and show in the status query;
// the running one is recorded once, when it ends, with its final status, in
// its place; the report has every event.
func TestEventRunningForHoursDoesNotHoldBackLaterOnes(t *testing.T) {
	h := newHarness(t).open()
	long := ev(1, "Running")
	results := []activities.SessionEventsResult{
		{Events: []vb365.RestoreSessionEvent{ev(0, "Success"), ev(2, "Success")},
			Running: []activities.RunningEvent{{Event: long, Offset: 1}}},
		{Events: []vb365.RestoreSessionEvent{ev(3, "Failed")}, Running: []activities.RunningEvent{{Event: long, Offset: 1}}},
		{Ended: []vb365.RestoreSessionEvent{ev(1, "Warning")}},
	}
	for i, res := range results {
		h.env.OnActivity(acts.WaitForSessionEvents, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.WaitForSessionEventsInput) (*activities.SessionEventsResult, error) {
				h.waits = append(h.waits, in)
				s := h.session
				res.Session = &s
				return &res, nil
			}).After(time.Duration(i+1) * time.Hour).Once()
	}
	h.idle().stopAndFetch()
	var during Status
	h.after(3*time.Hour+30*time.Minute, func() {
		v, err := h.env.QueryWorkflow(QueryStatus)
		require.NoError(t, err)
		require.NoError(t, v.Get(&during))
	})
	h.after(10*time.Hour, func() { h.env.SignalWorkflow(SignalStop, StopRequest{}) })
	h.run(baseInput())
	r := h.report()

	require.Equal(t, 4, during.EventCounts.Total, "the later events show while the long one runs")
	require.Equal(t, 1, during.EventCounts.ByStatus["Running"])
	require.Equal(t, []int32{0, 2, 3}, orders(during.LatestEvents))
	require.True(t, h.waits[1].PastRunning)
	require.Equal(t, []activities.PendingRef{{Order: 1, Offset: 1}}, h.waits[1].Pending)
	require.Equal(t, 3, h.waits[1].RecordedCount, "the running one counts as seen")
	require.Equal(t, int32(2), h.waits[1].AfterOrder)

	require.Equal(t, []int32{0, 1, 2, 3}, orders(r.Events))
	require.Equal(t, "Warning", r.Events[1].Status, "recorded with the status it ended with")
	require.Equal(t, EventCounts{Total: 4, ByStatus: map[string]int{"Success": 2, "Warning": 1, "Failed": 1}}, r.EventCounts)
}

// TestReportKeepsEventsStillRunning: a session that vanishes while an event
// runs: the report still has that event, with its last status.
func TestReportKeepsEventsStillRunning(t *testing.T) {
	h := newHarness(t).open()
	h.env.OnActivity(acts.WaitForSessionEvents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.WaitForSessionEventsInput) (*activities.SessionEventsResult, error) {
			s := h.session
			return &activities.SessionEventsResult{Session: &s, Events: []vb365.RestoreSessionEvent{ev(0, "Success"), ev(2, "Success")},
				Running: []activities.RunningEvent{{Event: ev(1, "Running"), Offset: 1}}}, nil
		}).Once()
	h.env.OnActivity(acts.WaitForSessionEvents, mock.Anything, mock.Anything).Return(
		&activities.SessionEventsResult{Missing: true}, nil).After(time.Hour).Once()
	h.stopAndFetch()
	h.run(baseInput())
	r := h.report()
	require.Equal(t, EndReasonStoppedInVB365, r.EndReason)
	require.Equal(t, []int32{0, 1, 2}, orders(r.Events))
	require.Equal(t, "Running", r.Events[1].Status)
	require.Equal(t, 3, r.EventCounts.Total)
}
