package workflows

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// TestEventSizeCountsEveryField: an event's estimated JSON size is 300
// bytes of names, times and numbers plus every one of its strings.
func TestEventSizeCountsEveryField(t *testing.T) {
	e := vb365.RestoreSessionEvent{ID: "1", Type: "22", Status: "4444", Title: strings.Repeat("t", 8),
		Message: strings.Repeat("m", 16), Duration: strings.Repeat("d", 32), ItemName: strings.Repeat("n", 64),
		ItemType: strings.Repeat("y", 128), Source: strings.Repeat("s", 256), Target: strings.Repeat("g", 512)}
	require.Equal(t, 300+1023, eventSize(e))
}

// sized is an event of order o whose eventSize is exactly size.
func sized(o int32, size int) vb365.RestoreSessionEvent {
	return vb365.RestoreSessionEvent{Order: o, Message: strings.Repeat("m", size-300)}
}

// TestTrimAtTheSizeBound: the events kept weigh at most latestSizeBound;
// the oldest that would pass it is dropped (and counted), the first
// included.
func TestTrimAtTheSizeBound(t *testing.T) {
	half := latestSizeBound / 2
	exact := EventLog{Latest: []vb365.RestoreSessionEvent{sized(1, half), sized(2, latestSizeBound-half)}}
	exact.trim()
	require.Len(t, exact.Latest, 2, "exactly the bound is kept")
	require.Zero(t, exact.Dropped)

	over := EventLog{Latest: []vb365.RestoreSessionEvent{sized(1, half+1), sized(2, latestSizeBound-half)}}
	over.trim()
	require.Len(t, over.Latest, 1, "one byte over: the oldest goes")
	require.Equal(t, int32(2), over.Latest[0].Order)
	require.Equal(t, 1, over.Dropped)

	three := EventLog{Latest: []vb365.RestoreSessionEvent{sized(1, 400), sized(2, half), sized(3, half)}}
	three.trim()
	require.Equal(t, []int32{2, 3}, []int32{three.Latest[0].Order, three.Latest[1].Order})
	require.Equal(t, 1, three.Dropped)
}

// TestInsertLatestPlacesOrCountsLateEvents: an event recorded late goes in
// its place by order; one older than every event kept once some were dropped
// is counted as dropped, not kept.
func TestInsertLatestPlacesOrCountsLateEvents(t *testing.T) {
	ev := func(o int32) vb365.RestoreSessionEvent { return vb365.RestoreSessionEvent{Order: o} }
	orders := func(l EventLog) []int32 {
		var out []int32
		for _, e := range l.Latest {
			out = append(out, e.Order)
		}
		return out
	}
	l := EventLog{Latest: []vb365.RestoreSessionEvent{ev(2), ev(4)}}
	l.insertLatest(ev(1))
	require.Equal(t, []int32{1, 2, 4}, orders(l), "nothing dropped: the oldest is kept first")
	l.insertLatest(ev(3))
	require.Equal(t, []int32{1, 2, 3, 4}, orders(l))

	d := EventLog{Latest: []vb365.RestoreSessionEvent{ev(2), ev(4)}, Dropped: 1}
	d.insertLatest(ev(1))
	require.Equal(t, []int32{2, 4}, orders(d))
	require.Equal(t, 2, d.Dropped)
	d.insertLatest(ev(3))
	require.Equal(t, []int32{2, 3, 4}, orders(d), "a late event among those kept is kept")
	require.Equal(t, 2, d.Dropped)
}

// TestWithPendingBeforeAnyEventRecorded: a report made while the only
// events are still running counts them by their status.
func TestWithPendingBeforeAnyEventRecorded(t *testing.T) {
	l := newEventLog()
	l.Pending = []activities.RunningEvent{{Event: vb365.RestoreSessionEvent{Order: 0, Status: "Running"}}}
	events, counts := l.withPending()
	require.Len(t, events, 1)
	require.Equal(t, EventCounts{Total: 1, ByStatus: map[string]int{"Running": 1}}, counts)
}

// TestApplyCountsWhatItRecords: apply returns how many events it recorded
// (a pending one that ended, a finished new one; not a running one), and a
// running event read again refreshes its last status.
func TestApplyCountsWhatItRecords(t *testing.T) {
	ev := func(o int32, status, msg string) vb365.RestoreSessionEvent {
		return vb365.RestoreSessionEvent{Order: o, Status: status, Message: msg}
	}
	l := newEventLog()
	n := l.apply([]vb365.RestoreSessionEvent{ev(0, "Success", "start")},
		[]activities.RunningEvent{{Event: ev(1, "Running", "10%"), Offset: 1}}, nil)
	require.Equal(t, 1, n)
	n = l.apply(nil, []activities.RunningEvent{{Event: ev(1, "Running", "50%"), Offset: 1}}, nil)
	require.Zero(t, n)
	require.Equal(t, "50%", l.Pending[0].Event.Message, "a running event read again shows its last status")
	n = l.apply([]vb365.RestoreSessionEvent{ev(2, "Success", "x")}, nil, []vb365.RestoreSessionEvent{ev(1, "Success", "done")})
	require.Equal(t, 2, n)
	require.Empty(t, l.Pending)
	require.Equal(t, 3, l.Counts.Total)
}

// TestStatusShowsSessionOnceKnown: the status has no session before one
// exists, and the session once it does.
func TestStatusShowsSessionOnceKnown(t *testing.T) {
	r := &restoreRun{state: Continuation{Events: newEventLog()}}
	require.Nil(t, r.status().Session)
	r.state.Session = vb365.RestoreSession{ID: "s", State: vb365.SessionStateWorking}
	require.NotNil(t, r.status().Session)
	require.Equal(t, "s", r.status().Session.ID)
}

// TestClipKeepsTextOfExactlyN: a text of exactly n runes is not cut.
func TestClipKeepsTextOfExactlyN(t *testing.T) {
	require.Equal(t, "ééé", Clip("ééé", 3))
	require.Equal(t, "éé…", Clip("éééé", 3))
}

// TestSummaryOfBytesThatAreNoText: a summary of bytes that start no UTF-8
// character is cut at the start rather than read before it.
func TestSummaryOfBytesThatAreNoText(t *testing.T) {
	s := strings.Repeat("\x80", 300)
	require.Equal(t, "...", summary(s))
}

// TestOptionsDefaults: a zero stop confirmation bound is the default; a
// bound given is kept.
func TestOptionsStopConfirmBoundDefault(t *testing.T) {
	require.Equal(t, DefaultStopConfirmBound, Options{}.withDefaults().StopConfirmBound)
	require.Equal(t, time.Minute, Options{StopConfirmBound: time.Minute}.withDefaults().StopConfirmBound)
}

// TestFirstProblemCountsTheOthers: the error names the first problem and
// how many more there are, and says nothing of others when there are none.
func TestFirstProblemCountsTheOthers(t *testing.T) {
	one := firstProblem([]inputProblem{{field: "type", value: "x", msg: "unknown"}})
	require.NotContains(t, one.Error(), "more problems")
	two := firstProblem([]inputProblem{{field: "type", value: "x", msg: "unknown"}, {field: "b", msg: "m"}})
	require.Contains(t, two.Error(), "(and 1 more problems in the input)")
}

// TestNotBackedUpSaysWhy: the error of an organization without a backup
// says which of the two facts VB365 gave is missing.
func TestNotBackedUpSaysWhy(t *testing.T) {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := resolveWindow(vb365.Organization{ID: "o", IsBackedUp: true}, nil, false)
	require.ErrorContains(t, err, "isBackedup=true, lastBackuptime missing=true")
	_, err = resolveWindow(vb365.Organization{ID: "o", LastBackupTime: &at}, nil, false)
	require.ErrorContains(t, err, "isBackedup=false, lastBackuptime missing=false")
}

// TestCreateProgressOfTimeoutWithoutPost: the heartbeat of a create that
// timed out before its first POST says nothing was sent: no progress to
// carry into the retry; one that posted is carried.
func TestCreateProgressOfTimeoutWithoutPost(t *testing.T) {
	none := temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_HEARTBEAT, nil, activities.CreateProgress{Posts: 0})
	_, ok := createProgressOf(none)
	require.False(t, ok)
	posted := temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_HEARTBEAT, nil, activities.CreateProgress{Posts: 1})
	prog, ok := createProgressOf(posted)
	require.True(t, ok)
	require.Equal(t, 1, prog.Posts)
}

// TestContinueAsNewAtExactlyHistorySize: a history of exactly
// Options.HistoryBytesPerRun has reached the bound.
func TestContinueAsNewAtExactlyHistorySize(t *testing.T) {
	h := newHarness(t, Options{HistoryBytesPerRun: 1 << 20}).open().batches([]vb365.RestoreSessionEvent{ev(0, "Success")}).idle().stopAndFetch()
	h.env.SetCurrentHistorySize(1 << 20)
	h.run(baseInput())
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, h.env.GetWorkflowError(), &can)
}

// TestFailureAfterAStopThatWorkedSaysNothingOfTheStop: a restore that fails
// while its session is open stops the session; when that stop works, the
// error is the failure alone.
func TestFailureAfterAStopThatWorkedSaysNothingOfTheStop(t *testing.T) {
	h := newHarness(t).open().stopAndFetch()
	h.env.OnActivity(acts.WaitForSessionEvents, mock.Anything, mock.Anything).Return(nil,
		temporal.NewNonRetryableApplicationError("forbidden", activities.ErrTypeVB365, nil))
	h.run(baseInput())
	err := h.env.GetWorkflowError()
	require.ErrorContains(t, err, "forbidden")
	require.NotContains(t, err.Error(), "stopping the session failed")
	require.Equal(t, 1, h.stops)
}

// failedParent returns the SignalSessionEnded of a child that fails.
func failedParent(ctx workflow.Context, in RestoreInput) (SessionEnded, error) {
	child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: "child-restore"}),
		RestoreSessionWorkflowName, in)
	var ended SessionEnded
	workflow.GetSignalChannel(ctx, SignalSessionEnded).Receive(ctx, &ended)
	_ = child.Get(ctx, nil)
	return ended, nil
}

// TestNotifyParentEndedByFailure: a child that fails with its session open
// tells its parent which session it had (the failed run has no report).
func TestNotifyParentEndedByFailure(t *testing.T) {
	h := newHarness(t).open().stopAndFetch()
	h.env.OnActivity(acts.WaitForSessionEvents, mock.Anything, mock.Anything).Return(nil,
		temporal.NewNonRetryableApplicationError("forbidden", activities.ErrTypeVB365, nil))
	h.env.RegisterWorkflow(failedParent)
	in := baseInput()
	in.NotifyParent = true
	h.env.ExecuteWorkflow(failedParent, in)
	require.NoError(t, h.env.GetWorkflowError())
	var ended SessionEnded
	require.NoError(t, h.env.GetWorkflowResult(&ended))
	require.Contains(t, ended.Error, "forbidden")
	require.Equal(t, h.session.ID, ended.Session.ID)
}

// TestFinalFetchesBoundedBeforeContinueOnHistorySize: a run from before
// changeContinueOnHistorySize reads the final events at most maxFinalFetches
// times, however many more VB365 says there are.
func TestFinalFetchesBoundedBeforeContinueOnHistorySize(t *testing.T) {
	h := newHarness(t).open().idle()
	h.env.OnGetVersion(changeContinueOnHistorySize, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	h.env.OnActivity(acts.StopRestoreSession, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.StopRestoreSessionInput) (*activities.StopRestoreSessionResult, error) {
			s := h.session
			s.State = vb365.SessionStateStopped
			return &activities.StopRestoreSessionResult{Session: &s}, nil
		})
	fetches := 0
	h.env.OnActivity(acts.FetchSessionEvents, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.FetchSessionEventsInput) (*activities.SessionEventsResult, error) {
			fetches++
			s := h.session
			s.State = vb365.SessionStateStopped
			return &activities.SessionEventsResult{Events: []vb365.RestoreSessionEvent{ev(in.AfterOrder+1, "Success")},
				Session: &s, More: true}, nil
		})
	h.after(time.Minute, func() { h.env.SignalWorkflow(SignalStop, StopRequest{}) })
	h.run(baseInput())
	require.Equal(t, maxFinalFetches, fetches)
}

// TestPastRunningOnlyFromItsVersion: a run from before
// changeRecordPastRunning, with nothing pending, asks the activities for the
// events up to a running one only (PastRunning false); a later run asks for
// those after it too.
func TestPastRunningOnlyFromItsVersion(t *testing.T) {
	for _, tc := range []struct {
		version workflow.Version
		want    bool
	}{{workflow.DefaultVersion, false}, {1, true}} {
		h := newHarness(t).open().stopAndFetch()
		h.env.OnGetVersion(changeRecordPastRunning, workflow.DefaultVersion, 1).Return(tc.version)
		var cursors []activities.SessionCursor
		h.env.OnActivity(acts.WaitForSessionEvents, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in activities.WaitForSessionEventsInput) (*activities.SessionEventsResult, error) {
				cursors = append(cursors, in.SessionCursor)
				s := h.session
				s.State = vb365.SessionStateStopped
				return &activities.SessionEventsResult{Session: &s}, nil
			})
		h.run(baseInput())
		require.NotEmpty(t, cursors)
		require.Equal(t, tc.want, cursors[0].PastRunning, "version %d", tc.version)
	}
}
