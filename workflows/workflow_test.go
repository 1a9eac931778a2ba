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

func TestStopByUpdateRecordsEventsOnceInOrder(t *testing.T) {
	h := newHarness(t).open().
		batches([]vb365.RestoreSessionEvent{ev(0, "Success"), ev(1, "Warning"), ev(2, "Success")},
			[]vb365.RestoreSessionEvent{ev(2, "Success"), ev(3, "Failed")}, // a repeat: recorded once
			[]vb365.RestoreSessionEvent{ev(4, "Success")}).
		idle().stopAndFetch(ev(4, "Success"), ev(5, "Success"))
	var updated vb365.RestoreSession
	var status Status
	h.after(time.Hour, func() {
		v, err := h.env.QueryWorkflow(QueryStatus)
		require.NoError(t, err)
		require.NoError(t, v.Get(&status))
		h.env.UpdateWorkflow(UpdateStop, "stop-1", &updateCallbacks{t: t, result: &updated},
			StopRequest{Reason: "done", RequestedBy: "alice"})
	})
	h.run(baseInput())
	r := h.report()

	require.Equal(t, EndReasonStopRequested, r.EndReason)
	require.Equal(t, "alice", r.StopRequestedBy)
	require.Equal(t, "done", r.StopReason)
	require.Equal(t, []int32{0, 1, 2, 3, 4, 5}, orders(r.Events))
	require.Equal(t, EventCounts{Total: 6, ByStatus: map[string]int{"Success": 4, "Warning": 1, "Failed": 1}}, r.EventCounts)
	require.Equal(t, vb365.SessionStateStopped, r.Session.State)
	require.Equal(t, vb365.SessionStateStopped, updated.State, "the update returns the stopped session")
	require.Equal(t, 1, h.stops)
	require.Equal(t, time.Date(2020, 10, 15, 0, 0, 0, 0, time.UTC), r.EffectivePointInTime)
	require.False(t, r.ClampedToLatest)
	require.Equal(t, "abc.onmicrosoft.com", r.Organization.Name)

	// Waits moved the cursor batch by batch; the final fetch read from it.
	require.Len(t, h.waits, 3, "the idle fourth wait was cancelled by the stop")
	require.Equal(t, activities.SessionCursor{SessionID: h.session.ID, RecordedCount: 0, AfterOrder: -1, PastRunning: true}, h.waits[0].SessionCursor)
	require.Equal(t, 3, h.waits[1].RecordedCount)
	require.Equal(t, int32(2), h.waits[1].AfterOrder)
	require.Equal(t, int32(3), h.waits[2].AfterOrder, "the repeated event 2 was not counted twice")
	require.Equal(t, 4, h.waits[2].RecordedCount)
	require.Equal(t, 15*time.Second, h.waits[0].PollInterval)
	require.InDelta(t, float64(8*time.Hour), float64(h.waits[0].MaxWait), float64(time.Minute))
	require.Equal(t, int32(4), h.fetches[0].AfterOrder)

	require.Equal(t, PhaseOpen, status.Phase)
	require.Equal(t, 5, status.EventCounts.Total)
	require.Len(t, status.LatestEvents, 5)
	require.NotNil(t, status.StopDeadline)
	require.Equal(t, 2, h.upserts, "all attributes at creation, the state at the end")

	require.Equal(t, 1, len(h.created))
}

type updateCallbacks struct {
	t        *testing.T
	result   *vb365.RestoreSession
	rejected error
}

func (u *updateCallbacks) Accept()          {}
func (u *updateCallbacks) Reject(err error) { u.rejected = err }
func (u *updateCallbacks) Complete(success any, err error) {
	require.NoError(u.t, err)
	if s, ok := success.(vb365.RestoreSession); ok {
		*u.result = s
	}
}

func TestStopBySignal(t *testing.T) {
	h := newHarness(t).open().batches([]vb365.RestoreSessionEvent{ev(0, "Success")}).idle().stopAndFetch()
	h.after(30*time.Minute, func() { h.env.SignalWorkflow(SignalStop, StopRequest{RequestedBy: "bob"}) })
	h.run(baseInput())
	r := h.report()
	require.Equal(t, EndReasonStopRequested, r.EndReason)
	require.Equal(t, "bob", r.StopRequestedBy)
	require.Equal(t, 1, h.stops)
	require.Equal(t, 1, r.EventCounts.Total)
}

func TestStopSignalDuringCreation(t *testing.T) {
	h := newHarness(t)
	h.createDelay = 10 * time.Second
	h.open().idle().stopAndFetch()
	h.after(time.Second, func() { h.env.SignalWorkflow(SignalStop, StopRequest{RequestedBy: "early"}) })
	h.run(baseInput())
	r := h.report()
	require.Equal(t, EndReasonStopRequested, r.EndReason)
	require.Equal(t, 1, h.stops)
}

func TestStoppedInVB365(t *testing.T) {
	h := newHarness(t).open().stopAndFetch(ev(1, "Success"))
	h.env.OnActivity(acts.WaitForSessionEvents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.WaitForSessionEventsInput) (*activities.SessionEventsResult, error) {
			s := h.session
			s.State = vb365.SessionStateStopped
			return &activities.SessionEventsResult{Events: []vb365.RestoreSessionEvent{ev(0, "Success")}, Session: &s}, nil
		}).After(20 * time.Minute).Once()
	h.run(baseInput())
	r := h.report()
	require.Equal(t, EndReasonStoppedInVB365, r.EndReason)
	require.Equal(t, 0, h.stops, "no stop for a stopped session")
	require.Equal(t, []int32{0, 1}, orders(r.Events))
	require.Len(t, h.fetches, 1)
}

func TestMaxDuration(t *testing.T) {
	h := newHarness(t).open().idle().stopAndFetch()
	in := baseInput()
	in.MaxSessionDuration = "2h"
	start := h.env.Now()
	h.run(in)
	r := h.report()
	require.Equal(t, EndReasonMaxDuration, r.EndReason)
	require.Equal(t, 1, h.stops)
	require.Len(t, h.waits, 0, "the idle wait never completed: the timer ended it")
	require.WithinDuration(t, start.Add(2*time.Hour), h.env.Now(), time.Minute)
}

func TestCancellationStopsSessionFirst(t *testing.T) {
	h := newHarness(t).open().batches([]vb365.RestoreSessionEvent{ev(0, "Success")}).idle().stopAndFetch(ev(1, "Warning"))
	h.after(time.Hour, h.env.CancelWorkflow)
	h.run(baseInput())
	err := h.env.GetWorkflowError()
	require.Error(t, err)
	var canceled *temporal.CanceledError
	require.True(t, errors.As(err, &canceled), "got %v", err)
	require.Equal(t, 1, h.stops)
	require.Len(t, h.fetches, 1)
	var r RestoreReport
	require.NoError(t, canceled.Details(&r))
	require.Equal(t, EndReasonCanceled, r.EndReason)
	require.Equal(t, []int32{0, 1}, orders(r.Events))
	require.Equal(t, vb365.SessionStateStopped, r.Session.State)
}

func TestClampedAndLatest(t *testing.T) {
	for _, tc := range []struct {
		name, at            string
		wantSend, wantEff   time.Time
		wantClamped         bool
		wantRequestedNotNil bool
	}{
		{"after last backup", "2020-10-30T10:54:40.2794046Z", time.Date(2020, 10, 30, 10, 54, 40, 279404600, time.UTC), lastBackup, true, true},
		{"empty means latest", "", lastBackup, lastBackup, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t).open().idle().stopAndFetch()
			h.after(time.Minute, func() { h.env.SignalWorkflow(SignalStop, StopRequest{}) })
			in := baseInput()
			in.PointInTime = tc.at
			h.run(in)
			r := h.report()
			require.Equal(t, tc.wantClamped, r.ClampedToLatest)
			require.Equal(t, tc.wantEff, r.EffectivePointInTime)
			require.Equal(t, tc.wantRequestedNotNil, r.RequestedPointInTime != nil)
			require.Equal(t, tc.wantSend, h.created[0].DateTime)
			require.Equal(t, vb365.SessionTypeTeams, h.created[0].Type)
		})
	}
}

func TestFailures(t *testing.T) {
	notBacked := vb365.Organization{ID: testOrgID, Name: "never.onmicrosoft.com"}
	tests := []struct {
		name     string
		in       func(*RestoreInput)
		org      *vb365.Organization
		orgErr   error
		createEr error
		errType  string
		contains string
	}{
		{name: "invalid org id", in: func(i *RestoreInput) { i.OrganizationID = "nope" }, errType: ErrInvalidRequest, contains: `organizationId "nope"`},
		{name: "invalid point in time", in: func(i *RestoreInput) { i.PointInTime = "2020-13-45" }, errType: ErrInvalidRequest, contains: `pointInTime "2020-13-45"`},
		{name: "future", in: func(i *RestoreInput) { i.PointInTime = "2026-05-02T00:00:00Z" }, errType: ErrPointInTimeInFuture, contains: `pointInTime "2026-05-02T00:00:00Z"`},
		{name: "org not found", orgErr: temporal.NewNonRetryableApplicationError(`organizationId "x": no such organization in VB365`, activities.ErrTypeOrganizationNotFound, nil),
			errType: ErrOrganizationNotFound, contains: "no such organization"},
		{name: "auth failed", orgErr: temporal.NewNonRetryableApplicationError("VB365 refused the configured credentials", activities.ErrTypeVB365AuthenticationFailed, nil),
			errType: ErrVB365AuthenticationFailed, contains: "credentials"},
		{name: "backup window unavailable", orgErr: temporal.NewApplicationError(`organization "abc.onmicrosoft.com": VB365 did not tell its backup window (errorCode ProxyOffline)`, activities.ErrTypeBackupWindowUnavailable),
			errType: ErrBackupWindowUnavailable, contains: "ProxyOffline"},
		{name: "not backed up", org: &notBacked, errType: ErrOrganizationNotBackedUp, contains: "never.onmicrosoft.com"},
		{name: "before first backup", in: func(i *RestoreInput) { i.PointInTime = "2020-01-01 00:00:00" }, errType: ErrPointInTimeBeforeFirstBackup, contains: `pointInTime "2020-01-01T00:00:00Z"`},
		{name: "rejected", createEr: temporal.NewNonRetryableApplicationError("VB365 rejected it: HTTP 400", activities.ErrTypeRestoreSessionRejected, nil),
			errType: ErrRestoreSessionRejected, contains: "HTTP 400"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if tc.org != nil {
				h.org = *tc.org
			}
			h.orgErr, h.createErr = tc.orgErr, tc.createEr
			h.open()
			in := baseInput()
			if tc.in != nil {
				tc.in(&in)
			}
			h.run(in)
			requireAppErr(t, h.env.GetWorkflowError(), tc.errType, tc.contains)
			require.Empty(t, h.created, "no session for a failed validation")
		})
	}
}

func TestBeforeFirstBackupAllowed(t *testing.T) {
	h := newHarness(t).open().idle().stopAndFetch()
	h.after(time.Minute, func() { h.env.SignalWorkflow(SignalStop, StopRequest{}) })
	in := baseInput()
	in.PointInTime, in.BeforeFirstBackup = "2020-01-01 00:00:00", "allow"
	h.run(in)
	r := h.report()
	require.Equal(t, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), r.EffectivePointInTime)
}

func TestSessionTypeSearchAttributeIsLowerCase(t *testing.T) {
	h := newHarness(t).open().idle().stopAndFetch()
	h.after(time.Minute, func() { h.env.SignalWorkflow(SignalStop, StopRequest{}) })
	h.run(baseInput())
	h.report()
	require.Equal(t, []string{"vet"}, h.sessionTypes, "VB365 answers Vet; the attribute holds the input's form")
}

func TestSearchAttributesSkippedWhenNotRegistered(t *testing.T) {
	h := newHarness(t)
	h.saAnswers = false
	h.open().batches([]vb365.RestoreSessionEvent{ev(0, "Success")}).idle().stopAndFetch()
	h.after(time.Minute, func() { h.env.SignalWorkflow(SignalStop, StopRequest{}) })
	h.run(baseInput())
	h.report()
	require.Equal(t, 0, h.upserts)
}

func TestContinueAsNewCarriesState(t *testing.T) {
	h := newHarness(t, Options{BatchesPerRun: 2}).open().
		batches([]vb365.RestoreSessionEvent{ev(0, "Success"), ev(1, "Failed")}, []vb365.RestoreSessionEvent{ev(2, "Success")}).
		idle().stopAndFetch()
	h.run(baseInput())
	err := h.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can), "got %v", err)
	var next RestoreInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	c := next.Continuation
	require.NotNil(t, c)
	require.Equal(t, int32(2), c.Events.LastOrder)
	require.Equal(t, EventCounts{Total: 3, ByStatus: map[string]int{"Success": 2, "Failed": 1}}, c.Events.Counts)
	require.Equal(t, h.session.ID, c.Session.ID)
	require.Equal(t, h.env.Now().Add(8*time.Hour).Sub(c.Deadline).Round(time.Minute), time.Duration(0))
	require.True(t, c.SearchAttributes)
	require.Equal(t, 1, c.Runs)

	// The next run resumes from the cursor without validating or creating.
	h2 := newHarness(t).batches([]vb365.RestoreSessionEvent{ev(2, "Success"), ev(3, "Warning")}).idle().stopAndFetch()
	h2.env.SetStartTime(h.env.Now())
	h2.env.SetContinuedExecutionRunID("run-1")
	h2.after(time.Minute, func() { h2.env.SignalWorkflow(SignalStop, StopRequest{}) })
	h2.run(next)
	r := h2.report()
	require.Equal(t, 3, h2.waits[0].RecordedCount)
	require.Equal(t, int32(2), h2.waits[0].AfterOrder)
	require.Equal(t, []int32{0, 1, 2, 3}, orders(r.Events))
	require.Equal(t, 4, r.EventCounts.Total)
	require.Equal(t, "abc.onmicrosoft.com", r.Organization.Name)
	require.Empty(t, h2.created)
	h2.env.AssertActivityNotCalled(t, "GetOrganization", mock.Anything, mock.Anything)
}

func TestContinueAsNewWhenSuggested(t *testing.T) {
	h := newHarness(t).open().batches([]vb365.RestoreSessionEvent{ev(0, "Success")}).idle().stopAndFetch()
	h.env.SetContinueAsNewSuggested(true)
	h.run(baseInput())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(h.env.GetWorkflowError(), &can))
}

// TestContinueAsNewYieldsToPendingStop: a stop signal still in the channel when
// the run decides to continue as new is drained into the state, and the run
// stops instead of continuing (a signal left in the channel would be lost with
// this run). The signal arrives while the session is being created, so nothing
// has received it yet; the server suggests continue-as-new from the start.
func TestContinueAsNewYieldsToPendingStop(t *testing.T) {
	h := newHarness(t)
	h.createDelay = 10 * time.Second
	h.open().idle().stopAndFetch(ev(0, "Success"))
	h.env.SetContinueAsNewSuggested(true)
	h.after(time.Second, func() { h.env.SignalWorkflow(SignalStop, StopRequest{RequestedBy: "carol"}) })
	h.run(baseInput())
	r := h.report()
	require.Equal(t, EndReasonStopRequested, r.EndReason)
	require.Equal(t, "carol", r.StopRequestedBy)
	require.Empty(t, h.waits, "the stop was taken at the continue-as-new, before any wait")
	require.Equal(t, 1, h.stops)
	require.Equal(t, 1, r.EventCounts.Total)
}

// parentWorkflow starts the restore as a child with NotifyParent, waits for
// the ready signal, then stops the child and returns what it got.
func parentWorkflow(ctx workflow.Context, in RestoreInput) (SessionReady, error) {
	child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: "child-restore"}),
		RestoreSessionWorkflowName, in)
	var ready SessionReady
	workflow.GetSignalChannel(ctx, SignalSessionReady).Receive(ctx, &ready)
	if err := child.SignalChildWorkflow(ctx, SignalStop, StopRequest{RequestedBy: "parent"}).Get(ctx, nil); err != nil {
		return ready, err
	}
	var rep RestoreReport
	if err := child.Get(ctx, &rep); err != nil {
		return ready, err
	}
	if rep.EndReason != EndReasonStopRequested {
		return ready, errors.New("unexpected end reason " + string(rep.EndReason))
	}
	return ready, nil
}

func TestNotifyParent(t *testing.T) {
	h := newHarness(t).open().idle().stopAndFetch()
	h.env.RegisterWorkflow(parentWorkflow)
	in := baseInput()
	in.NotifyParent = true
	h.env.ExecuteWorkflow(parentWorkflow, in)
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	var ready SessionReady
	require.NoError(t, h.env.GetWorkflowResult(&ready))
	require.Equal(t, SessionReady{WorkflowID: "child-restore", SessionID: h.session.ID, SessionName: h.session.Name,
		EffectivePointInTime: time.Date(2020, 10, 15, 0, 0, 0, 0, time.UTC)}, ready)
	require.Equal(t, 1, h.stops)
}

func TestWaitFailureStopsSessionThenFails(t *testing.T) {
	h := newHarness(t).open().stopAndFetch()
	h.env.OnActivity(acts.WaitForSessionEvents, mock.Anything, mock.Anything).Return(nil,
		temporal.NewNonRetryableApplicationError("forbidden", activities.ErrTypeVB365, nil))
	h.run(baseInput())
	require.Error(t, h.env.GetWorkflowError())
	require.Contains(t, h.env.GetWorkflowError().Error(), "forbidden")
	require.Equal(t, 1, h.stops)
}

// progressParent waits for the child's first progress signal, then stops it.
func progressParent(ctx workflow.Context, in RestoreInput) (SessionProgress, error) {
	child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: "child-restore"}),
		RestoreSessionWorkflowName, in)
	var p SessionProgress
	workflow.GetSignalChannel(ctx, SignalSessionProgress).Receive(ctx, &p)
	if err := child.SignalChildWorkflow(ctx, SignalStop, StopRequest{}).Get(ctx, nil); err != nil {
		return p, err
	}
	return p, child.Get(ctx, nil)
}

func TestNotifyParentProgress(t *testing.T) {
	h := newHarness(t).open().
		batches([]vb365.RestoreSessionEvent{ev(0, "Success"), ev(1, "Warning")}).
		idle().stopAndFetch()
	h.env.RegisterWorkflow(progressParent)
	in := baseInput()
	in.NotifyParent = true
	h.env.ExecuteWorkflow(progressParent, in)
	require.NoError(t, h.env.GetWorkflowError())
	var p SessionProgress
	require.NoError(t, h.env.GetWorkflowResult(&p))
	require.Equal(t, SessionProgress{WorkflowID: "child-restore", SessionID: h.session.ID, SessionState: vb365.SessionStateWorking,
		EventCounts: EventCounts{Total: 2, ByStatus: map[string]int{"Success": 1, "Warning": 1}}}, p)
}

// progressCollector collects its child's progress signals for 30 minutes,
// then stops it.
func progressCollector(ctx workflow.Context, in RestoreInput) ([]SessionProgress, error) {
	child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: "child-restore"}),
		RestoreSessionWorkflowName, in)
	ch := workflow.GetSignalChannel(ctx, SignalSessionProgress)
	var got []SessionProgress
	timer := workflow.NewTimer(ctx, 30*time.Minute)
	for done := false; !done; {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(ch, func(c workflow.ReceiveChannel, _ bool) {
			var p SessionProgress
			c.Receive(ctx, &p)
			got = append(got, p)
		})
		sel.AddFuture(timer, func(workflow.Future) { done = true })
		sel.Select(ctx)
	}
	if err := child.SignalChildWorkflow(ctx, SignalStop, StopRequest{}).Get(ctx, nil); err != nil {
		return got, err
	}
	err := child.Get(ctx, nil)
	var p SessionProgress
	for ch.ReceiveAsync(&p) {
		got = append(got, p)
	}
	return got, err
}

// TestNotifyParentProgressIsRationed: the first batch is sent at once, a
// state change at once, other news at most once per ProgressInterval; the
// wait returns in time to send what was held back. This is release 1's
// rationing, which runs started before changeProgressWithinPoll keep.
func TestNotifyParentProgressIsRationed(t *testing.T) {
	h := newHarness(t).open()
	h.env.OnGetVersion(changeProgressWithinPoll, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	batch := func(order int32, state string, after time.Duration) {
		h.env.OnActivity(acts.WaitForSessionEvents, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.WaitForSessionEventsInput) (*activities.SessionEventsResult, error) {
				h.waits = append(h.waits, in)
				s := h.session
				s.State = state
				var evs []vb365.RestoreSessionEvent
				if order >= 0 {
					evs = []vb365.RestoreSessionEvent{ev(order, "Success")}
				}
				return &activities.SessionEventsResult{Events: evs, Session: &s}, nil
			}).After(after).Once()
	}
	batch(0, vb365.SessionStateWorking, time.Minute) // t=1m: first, sent
	batch(1, vb365.SessionStateWorking, time.Minute) // t=2m: held back
	batch(2, "Restoring", time.Minute)               // t=3m: state change, sent
	batch(3, "Restoring", time.Minute)               // t=4m: held back
	batch(4, "Restoring", time.Minute)               // t=5m: held back
	batch(-1, "Restoring", 8*time.Minute)            // t=13m: the wait ends at the interval; sent
	h.idle().stopAndFetch()
	var maxWaits []time.Duration
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, args converter.EncodedValues) {
		if info.ActivityType.Name == activities.WaitForSessionEventsName {
			var in activities.WaitForSessionEventsInput
			require.NoError(t, args.Get(&in))
			maxWaits = append(maxWaits, in.MaxWait)
		}
	})
	h.env.RegisterWorkflow(progressCollector)
	in := baseInput()
	in.NotifyParent = true
	h.env.ExecuteWorkflow(progressCollector, in)
	require.NoError(t, h.env.GetWorkflowError())
	var got []SessionProgress
	require.NoError(t, h.env.GetWorkflowResult(&got))
	var totals []int
	var states []string
	for _, p := range got {
		totals = append(totals, p.EventCounts.Total)
		states = append(states, p.SessionState)
	}
	require.Equal(t, []int{1, 3, 5}, totals)
	require.Equal(t, []string{vb365.SessionStateWorking, "Restoring", "Restoring"}, states)
	require.Len(t, maxWaits, 7)
	require.InDelta(t, float64(8*time.Minute), float64(maxWaits[5]), float64(time.Second),
		"the wait after held-back news returns when they may be sent")
	require.Greater(t, maxWaits[6], time.Hour, "nothing held back: a full wait")
}

// progressTimes runs its child for 30 minutes and returns when (from its
// own start) each progress signal with new counts arrived.
func progressTimes(ctx workflow.Context, in RestoreInput) ([]time.Duration, error) {
	start := workflow.Now(ctx)
	child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: "child-restore"}),
		RestoreSessionWorkflowName, in)
	ch := workflow.GetSignalChannel(ctx, SignalSessionProgress)
	var at []time.Duration
	timer := workflow.NewTimer(ctx, 30*time.Minute)
	for done := false; !done; {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(ch, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, nil)
			at = append(at, workflow.Now(ctx).Sub(start))
		})
		sel.AddFuture(timer, func(workflow.Future) { done = true })
		sel.Select(ctx)
	}
	if err := child.SignalChildWorkflow(ctx, SignalStop, StopRequest{}).Get(ctx, nil); err != nil {
		return at, err
	}
	return at, child.Get(ctx, nil)
}

// TestNotifyParentProgressWithinTwoPollIntervals: news held back is sent
// after at most one poll interval, so a parent sees a completed event within
// two poll intervals of its appearing.
func TestNotifyParentProgressWithinTwoPollIntervals(t *testing.T) {
	h := newHarness(t).open()
	batch := func(order int32, after time.Duration) {
		h.env.OnActivity(acts.WaitForSessionEvents, mock.Anything, mock.Anything).Return(
			func(context.Context, activities.WaitForSessionEventsInput) (*activities.SessionEventsResult, error) {
				s := h.session
				return &activities.SessionEventsResult{Events: []vb365.RestoreSessionEvent{ev(order, "Success")}, Session: &s}, nil
			}).After(after).Once()
	}
	batch(0, 15*time.Second) // t=15s: the first news, sent at once
	batch(1, 15*time.Second) // t=30s: held back, then sent one poll interval after the first
	h.idle().stopAndFetch()
	h.env.RegisterWorkflow(progressTimes)
	in := baseInput()
	in.NotifyParent, in.PollInterval = true, "15s"
	h.env.ExecuteWorkflow(progressTimes, in)
	require.NoError(t, h.env.GetWorkflowError())
	var at []time.Duration
	require.NoError(t, h.env.GetWorkflowResult(&at))
	require.Len(t, at, 2)
	require.LessOrEqual(t, at[1], 30*time.Second+2*15*time.Second,
		"the event that appeared at 30s reaches the parent within two poll intervals")
}

// endedParent stops its child and returns the SignalSessionEnded it sends.
func endedParent(ctx workflow.Context, in RestoreInput) (SessionEnded, error) {
	child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: "child-restore"}),
		RestoreSessionWorkflowName, in)
	var ready SessionReady
	workflow.GetSignalChannel(ctx, SignalSessionReady).Receive(ctx, &ready)
	if err := child.SignalChildWorkflow(ctx, SignalStop, StopRequest{RequestedBy: "parent"}).Get(ctx, nil); err != nil {
		return SessionEnded{}, err
	}
	var ended SessionEnded
	workflow.GetSignalChannel(ctx, SignalSessionEnded).Receive(ctx, &ended)
	return ended, child.Get(ctx, nil)
}

// TestNotifyParentEnded: a child with NotifyParent tells its parent how it
// ended by signal, which reaches a parent that continued as new since.
func TestNotifyParentEnded(t *testing.T) {
	h := newHarness(t).open().idle().stopAndFetch()
	h.env.RegisterWorkflow(endedParent)
	in := baseInput()
	in.NotifyParent = true
	h.env.ExecuteWorkflow(endedParent, in)
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	var ended SessionEnded
	require.NoError(t, h.env.GetWorkflowResult(&ended))
	require.Equal(t, "child-restore", ended.WorkflowID)
	require.Equal(t, h.session.ID, ended.Session.ID)
	require.Equal(t, EndReasonStopRequested, ended.EndReason)
	require.False(t, ended.Canceled)
	require.Empty(t, ended.Error)
	require.NotNil(t, ended.EffectivePointInTime)
}
