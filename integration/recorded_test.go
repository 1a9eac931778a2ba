package integration

import (
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// recordedEvents is how the volume and long-running cases tell an event
// recorded twice from one read twice: it must count the results the
// workflow applied, once each, and none it dropped.
func TestRecordedEventsCountsOnlyAppliedReads(t *testing.T) {
	h := &fakeHistory{t: t}
	// Run 1: a wait applied, a wait whose completion came with a stop (the
	// workflow dropped it: its next read has the same cursor), a stop and
	// the final fetch, which continues as new.
	w1 := h.schedule("WaitForSessionEvents", activities.SessionCursor{SessionID: "s"})
	h.complete(w1, 1, 2)
	w2 := h.schedule("WaitForSessionEvents", activities.SessionCursor{SessionID: "s", RecordedCount: 2, AfterOrder: 2})
	h.complete(w2, 3, 4)
	h.schedule("StopRestoreSession", activities.StopRestoreSessionInput{SessionID: "s"})
	f1 := h.schedule("FetchSessionEvents", activities.SessionCursor{SessionID: "s", RecordedCount: 2, AfterOrder: 2})
	h.complete(f1, 3, 4, 5)
	run1 := h.endRun()
	// Run 2: a wait abandoned (cancel requested) that completed all the
	// same, then the last fetch.
	w3 := h.schedule("WaitForSessionEvents", activities.SessionCursor{SessionID: "s", RecordedCount: 5, AfterOrder: 5})
	h.cancelRequested(w3)
	h.complete(w3, 6)
	f2 := h.schedule("FetchSessionEvents", activities.SessionCursor{SessionID: "s", RecordedCount: 5, AfterOrder: 5})
	h.complete(f2, 6, 7)
	run2 := h.endRun()

	var orders []int32
	for _, e := range recordedEvents(t, run1, run2) {
		orders = append(orders, e.Order)
	}
	require.Equal(t, []int32{1, 2, 3, 4, 5, 6, 7}, orders)

	// An abandoned wait with no read after it (VB365 no longer knew the
	// session when it was stopped) was dropped too.
	h = &fakeHistory{t: t}
	w1 = h.schedule("WaitForSessionEvents", activities.SessionCursor{SessionID: "s"})
	h.cancelRequested(w1)
	h.complete(w1, 1)
	require.Empty(t, recordedEvents(t, h.endRun()))

	// A workflow that applied a read and then read the same events again
	// from an older cursor recorded them twice: the count shows it.
	h = &fakeHistory{t: t}
	w1 = h.schedule("WaitForSessionEvents", activities.SessionCursor{SessionID: "s"})
	h.complete(w1, 1, 2)
	f1 = h.schedule("FetchSessionEvents", activities.SessionCursor{SessionID: "s", RecordedCount: 1, AfterOrder: 1})
	h.complete(f1, 2, 3)
	orders = nil
	for _, e := range recordedEvents(t, h.endRun()) {
		orders = append(orders, e.Order)
	}
	require.Equal(t, []int32{1, 2, 2, 3}, orders)
}

// fakeHistory builds the activity events of a run's history.
type fakeHistory struct {
	t      *testing.T
	events []*historypb.HistoryEvent
}

func (h *fakeHistory) add(e *historypb.HistoryEvent) int64 {
	e.EventId = int64(len(h.events) + 1)
	h.events = append(h.events, e)
	return e.EventId
}

func (h *fakeHistory) payloads(v any) *commonpb.Payloads {
	p, err := converter.GetDefaultDataConverter().ToPayloads(v)
	require.NoError(h.t, err)
	return p
}

func (h *fakeHistory) schedule(activity string, input any) int64 {
	return h.add(&historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{
		ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
			ActivityType: &commonpb.ActivityType{Name: activity}, Input: h.payloads(input)}}})
}

func (h *fakeHistory) complete(scheduled int64, orders ...int32) {
	var res activities.SessionEventsResult
	for _, o := range orders {
		res.Events = append(res.Events, vb365.RestoreSessionEvent{Order: o, Status: "Success"})
	}
	h.add(&historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{
		ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{
			ScheduledEventId: scheduled, Result: h.payloads(res)}}})
}

func (h *fakeHistory) cancelRequested(scheduled int64) {
	h.add(&historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_ActivityTaskCancelRequestedEventAttributes{
		ActivityTaskCancelRequestedEventAttributes: &historypb.ActivityTaskCancelRequestedEventAttributes{
			ScheduledEventId: scheduled}}})
}

// endRun returns the run's events and starts the next run's.
func (h *fakeHistory) endRun() []*historypb.HistoryEvent {
	events := h.events
	h.events = nil
	return events
}
