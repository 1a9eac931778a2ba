package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// TestCancelWhileStopIsInFlight: a cancel that arrives while the stop
// activity is running does not abandon it: the session ends stopped, then
// the workflow ends as cancelled with the report.
func TestCancelWhileStopIsInFlight(t *testing.T) {
	h := newHarness(t).open().batches([]vb365.RestoreSessionEvent{ev(0, "Success")}).idle()
	h.env.OnActivity(acts.StopRestoreSession, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.StopRestoreSessionInput) (*activities.StopRestoreSessionResult, error) {
			s := h.session
			s.State = vb365.SessionStateStopped
			return &activities.StopRestoreSessionResult{Session: &s}, nil
		}).After(10 * time.Minute)
	h.stopAndFetch(ev(1, "Success"))
	h.after(time.Hour, func() { h.env.SignalWorkflow(SignalStop, StopRequest{RequestedBy: "dave"}) })
	h.after(time.Hour+time.Minute, h.env.CancelWorkflow)
	h.run(baseInput())

	var canceled *temporal.CanceledError
	require.True(t, errors.As(h.env.GetWorkflowError(), &canceled), "got %v", h.env.GetWorkflowError())
	var r RestoreReport
	require.NoError(t, canceled.Details(&r))
	require.Equal(t, vb365.SessionStateStopped, r.Session.State, "the stop completed despite the cancel")
	require.Equal(t, EndReasonCanceled, r.EndReason)
	require.Equal(t, "dave", r.StopRequestedBy)
	require.Equal(t, []int32{0, 1}, orders(r.Events))
}

// TestCreateFailureReleasesLostSession: when the creation fails for good
// after a POST that may have created a session, the workflow stops that
// session (ReleaseLostSession) and still fails with the creation's error.
func TestCreateFailureReleasesLostSession(t *testing.T) {
	prog := activities.CreateProgress{SendTime: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), PreExisting: []string{"old"}, Posts: 1}
	withDetails := func(typ, msg string, p activities.CreateProgress) error {
		return temporal.NewApplicationErrorWithOptions(msg, typ, temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{p}})
	}
	two := prog
	two.Posts = 2
	tests := []struct {
		name       string
		createErr  error
		releaseErr error
		released   string
		wantCalls  int
		errType    string
		contains   []string
	}{
		{name: "permanent error after a lost POST", createErr: withDetails(activities.ErrTypeVB365, "list restore sessions: HTTP 403", prog),
			released: "lost-1", wantCalls: 1, errType: activities.ErrTypeVB365,
			contains: []string{"HTTP 403", "the session lost-1 a lost POST had created was stopped"}},
		{name: "rejected retry after a lost POST", createErr: withDetails(activities.ErrTypeRestoreSessionRejected, "VB365 rejected it: HTTP 400", prog),
			wantCalls: 1, errType: ErrRestoreSessionRejected, contains: []string{"HTTP 400", "no session left open by its 1 POSTs was found"}},
		{name: "schedule-to-close timeout", createErr: temporal.NewHeartbeatTimeoutError(two),
			released: "lost-2", wantCalls: 1, errType: activities.ErrTypeVB365, contains: []string{"the session lost-2 a lost POST had created was stopped"}},
		{name: "release fails", createErr: withDetails(activities.ErrTypeVB365, "forbidden", prog),
			releaseErr: temporal.NewNonRetryableApplicationError("list: HTTP 403", activities.ErrTypeVB365, nil),
			wantCalls:  1, errType: activities.ErrTypeVB365, contains: []string{"forbidden", "may be left open", "list: HTTP 403"}},
		{name: "no POST", createErr: withDetails(activities.ErrTypeVB365, "forbidden", activities.CreateProgress{}),
			errType: activities.ErrTypeVB365, contains: []string{"forbidden"}},
		{name: "no details", createErr: temporal.NewNonRetryableApplicationError("HTTP 400", activities.ErrTypeRestoreSessionRejected, nil),
			errType: ErrRestoreSessionRejected, contains: []string{"HTTP 400"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.createErr = tc.createErr
			h.open()
			var releases []activities.ReleaseLostSessionInput
			h.env.OnActivity(acts.ReleaseLostSession, mock.Anything, mock.Anything).Return(
				func(_ context.Context, in activities.ReleaseLostSessionInput) (*activities.ReleaseLostSessionResult, error) {
					releases = append(releases, in)
					if tc.releaseErr != nil {
						return nil, tc.releaseErr
					}
					return &activities.ReleaseLostSessionResult{SessionID: tc.released}, nil
				}).Maybe()
			h.run(baseInput())
			requireAppErr(t, h.env.GetWorkflowError(), tc.errType, tc.contains...)
			require.Len(t, releases, tc.wantCalls)
			if tc.wantCalls > 0 {
				require.Equal(t, testOrgID, releases[0].Create.OrganizationID)
				require.Equal(t, "abc.onmicrosoft.com", releases[0].Create.OrganizationName)
				require.Equal(t, prog.SendTime, releases[0].Progress.SendTime)
				require.Equal(t, []string{"old"}, releases[0].Progress.PreExisting)
			}
			require.Equal(t, 0, h.stops)
		})
	}
}

// TestCallerCannotSendContinuation: the continuation field is internal; a
// first run that carries one is refused instead of adopting its session.
func TestCallerCannotSendContinuation(t *testing.T) {
	h := newHarness(t)
	in := baseInput()
	in.Continuation = &Continuation{Session: vb365.RestoreSession{ID: "someone-elses", State: vb365.SessionStateWorking},
		Deadline: h.env.Now().Add(time.Hour), Events: newEventLog()}
	h.run(in)
	requireAppErr(t, h.env.GetWorkflowError(), ErrInvalidRequest, `continuation "someone-elses"`)
}

// TestFinalFetchReadsToTheEnd: the events after the stop are read however
// many reads that takes (more than the maxFinalFetches of release1).
func TestFinalFetchReadsToTheEnd(t *testing.T) {
	const reads = 3 * maxFinalFetches
	h := newHarness(t).open().idle()
	h.env.OnActivity(acts.StopRestoreSession, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.StopRestoreSessionInput) (*activities.StopRestoreSessionResult, error) {
			s := h.session
			s.State = vb365.SessionStateStopped
			return &activities.StopRestoreSessionResult{Session: &s}, nil
		})
	h.env.OnActivity(acts.FetchSessionEvents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FetchSessionEventsInput) (*activities.SessionEventsResult, error) {
			s := h.session
			s.State = vb365.SessionStateStopped
			return &activities.SessionEventsResult{Events: []vb365.RestoreSessionEvent{ev(in.AfterOrder+1, "Success")},
				Session: &s, More: in.AfterOrder+2 < reads}, nil
		})
	h.after(time.Minute, func() { h.env.SignalWorkflow(SignalStop, StopRequest{}) })
	h.run(baseInput())
	r := h.report()
	require.Equal(t, reads, r.EventCounts.Total)
	require.Empty(t, r.FinalEventsError)
}

// TestContinueAsNewWhileReadingFinalEvents: a history that fills up while
// the events after the stop are read continues as new; the next run reads
// the rest (no stop, no wait) and ends as the first would have.
func TestContinueAsNewWhileReadingFinalEvents(t *testing.T) {
	h := newHarness(t, Options{HistoryBytesPerRun: 1 << 20}).open().idle()
	h.env.OnActivity(acts.StopRestoreSession, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.StopRestoreSessionInput) (*activities.StopRestoreSessionResult, error) {
			s := h.session
			s.State = vb365.SessionStateStopped
			return &activities.StopRestoreSessionResult{Session: &s}, nil
		}).After(time.Minute)
	fetch := func(_ context.Context, in activities.FetchSessionEventsInput) (*activities.SessionEventsResult, error) {
		s := h.session
		s.State = vb365.SessionStateStopped
		return &activities.SessionEventsResult{Events: []vb365.RestoreSessionEvent{ev(in.AfterOrder+1, "Success")},
			Session: &s, More: in.AfterOrder+2 < 5}, nil
	}
	h.env.OnActivity(acts.FetchSessionEvents, mock.Anything, mock.Anything).Return(fetch)
	h.after(time.Minute, func() { h.env.SignalWorkflow(SignalStop, StopRequest{RequestedBy: "erin"}) })
	h.after(90*time.Second, func() { h.env.SetCurrentHistorySize(2 << 20) }) // while stopping
	h.run(baseInput())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(h.env.GetWorkflowError(), &can), "got %v", h.env.GetWorkflowError())
	var next RestoreInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	c := next.Continuation
	require.NotNil(t, c)
	require.NotNil(t, c.Ending, "the next run only ends")
	require.Equal(t, EndReasonStopRequested, c.Ending.EndReason)
	require.Equal(t, "erin", c.Ending.Stop.RequestedBy)
	require.Equal(t, 1, c.Events.Counts.Total, "one read before continuing")
	require.Equal(t, 1, c.Runs, "the continuation counts the run it ends")

	h2 := newHarness(t)
	h2.env.OnActivity(acts.FetchSessionEvents, mock.Anything, mock.Anything).Return(fetch)
	h2.env.SetStartTime(h.env.Now())
	h2.env.SetContinuedExecutionRunID("run-1")
	h2.run(next)
	r := h2.report()
	require.Equal(t, []int32{0, 1, 2, 3, 4}, orders(r.Events))
	require.Equal(t, EndReasonStopRequested, r.EndReason)
	require.Equal(t, "erin", r.StopRequestedBy)
	require.Equal(t, vb365.SessionStateStopped, r.Session.State)
	h2.env.AssertActivityNotCalled(t, "StopRestoreSession", mock.Anything, mock.Anything)
	h2.env.AssertActivityNotCalled(t, "WaitForSessionEvents", mock.Anything, mock.Anything)
}

// TestContinueAsNewOnHistorySize: a run whose history reaches
// Options.HistoryBytesPerRun continues as new.
func TestContinueAsNewOnHistorySize(t *testing.T) {
	h := newHarness(t, Options{HistoryBytesPerRun: 1 << 20}).open().batches([]vb365.RestoreSessionEvent{ev(0, "Success")}).idle().stopAndFetch()
	h.env.SetCurrentHistorySize(2 << 20)
	h.run(baseInput())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(h.env.GetWorkflowError(), &can), "got %v", h.env.GetWorkflowError())
}

// TestRecordedEventsAreBounded: long texts are clipped (rune-safe) and the
// kept events stay well under the 2 MB payload limit.
func TestRecordedEventsAreBounded(t *testing.T) {
	long := strings.Repeat("é", 5000)
	l := newEventLog()
	var evs []vb365.RestoreSessionEvent
	for i := range reportEventBound {
		evs = append(evs, vb365.RestoreSessionEvent{Order: int32(i), Status: "Success",
			Message: long, ItemName: long, Title: long, Source: long, Target: long})
	}
	require.Equal(t, reportEventBound, l.record(evs))
	e := l.tail(1)[0]
	require.Equal(t, eventTextBound, utf8.RuneCountInString(e.Message))
	require.True(t, utf8.ValidString(e.Message))
	require.True(t, strings.HasSuffix(e.Message, "…"))
	for _, s := range []string{e.ItemName, e.Title, e.Source, e.Target} {
		require.Equal(t, eventTextBound, utf8.RuneCountInString(s))
	}
	b, err := json.Marshal(Continuation{Events: l})
	require.NoError(t, err)
	require.Less(t, len(b), 2_000_000)
	require.Equal(t, reportEventBound, len(l.Latest)+l.Dropped)
	require.Equal(t, int32(reportEventBound-1), l.tail(1)[0].Order, "the latest are kept")
	require.Equal(t, reportEventBound, l.Counts.Total)

	short := newEventLog()
	short.record([]vb365.RestoreSessionEvent{{Order: 0, Status: "Success", Message: "ok"}})
	require.Equal(t, "ok", short.Latest[0].Message)
}

func TestCreatePermanentFailureHasStableType(t *testing.T) {
	h := newHarness(t)
	h.createErr = temporal.NewNonRetryableApplicationError("create: HTTP 403 forbidden", activities.ErrTypeVB365, nil)
	h.open()
	h.run(baseInput())
	requireAppErr(t, h.env.GetWorkflowError(), activities.ErrTypeVB365, "create Vet restore session", "HTTP 403 forbidden")
}
