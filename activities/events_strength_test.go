package activities

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// TestBoundResultDropsTheRunningEventsPastTheCut: when the events are cut
// by bytes, the Running events after the last event kept go too (the cursor
// must not move past an event not returned); a pending Running event, from
// before the cursor, stays.
func TestBoundResultDropsTheRunningEventsPastTheCut(t *testing.T) {
	ev := func(order int32) vb365.RestoreSessionEvent {
		return vb365.RestoreSessionEvent{Order: order, Status: "Success", Message: strings.Repeat("x", 200)}
	}
	first, err := json.Marshal(ev(11))
	require.NoError(t, err)
	pending := RunningEvent{Event: vb365.RestoreSessionEvent{Order: 5, Status: eventRunning}, Offset: 5}
	past := RunningEvent{Event: vb365.RestoreSessionEvent{Order: 12, Status: eventRunning}, Offset: 12}
	r := &SessionEventsResult{Events: []vb365.RestoreSessionEvent{ev(11), ev(13), ev(15)}, Running: []RunningEvent{pending, past}}
	r.boundResult(len(first)+10, 10)
	require.Equal(t, []int32{11}, ordersOf(r.Events))
	require.True(t, r.More)
	require.Equal(t, []RunningEvent{pending}, r.Running)
}

// eventsGone is a session whose event list VB365 answers 404 from the
// listing number failFrom on (1: the first), as when the session is
// removed between two reads.
type eventsGone struct {
	*listLog
	failFrom, lists int
}

func (e *eventsGone) ListRestoreSessionEvents(ctx context.Context, id string, opts vb365.ListOptions) (*vb365.Page[vb365.RestoreSessionEvent], error) {
	e.lists++
	if e.lists >= e.failFrom {
		return nil, &vb365.Error{Op: "list restore session events", Method: "GET", Path: "/v8/RestoreSessions/" + id + "/Events", StatusCode: 404, Message: "Not Found"}
	}
	return e.listLog.ListRestoreSessionEvents(ctx, id, opts)
}

// TestPollOfASessionGoneWhileRead: a session VB365 no longer knows when its
// events are read, after its own read (the events after the cursor, or the
// pending events read again), is Missing, not an error.
func TestPollOfASessionGoneWhileRead(t *testing.T) {
	for _, tc := range []struct {
		name     string
		failFrom int
	}{{"events after the cursor", 1}, {"pending events", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			c := &eventsGone{listLog: newListLog(3, allSuccess), failFrom: tc.failFrom}
			cur := SessionCursor{SessionID: "s", AfterOrder: 0, RecordedCount: 1, PastRunning: true, Pending: []PendingRef{{Order: 0, Offset: 0}}}
			res, err := pollOnce(context.Background(), c, cur, 10)
			require.NoError(t, err)
			require.Equal(t, &SessionEventsResult{Missing: true}, res)
			require.Equal(t, tc.failFrom, c.lists)
		})
	}
}
