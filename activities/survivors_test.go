package activities

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// listLog is a session whose events are listed by order, numbered from 0
// without gaps, that records every page read (offset and limit): the tests
// here hold the reads of the event list to the ones the cursor calls for.
type listLog struct {
	VB365API
	state  string
	events []vb365.RestoreSessionEvent
	mu     sync.Mutex
	reads  []vb365.ListOptions
}

func newListLog(n int, status func(order int) string) *listLog {
	l := &listLog{state: vb365.SessionStateWorking}
	for i := range n {
		l.events = append(l.events, vb365.RestoreSessionEvent{Order: int32(i), Status: status(i)})
	}
	return l
}

func (l *listLog) GetRestoreSession(_ context.Context, id string) (*vb365.RestoreSession, error) {
	return &vb365.RestoreSession{ID: id, State: l.state}, nil
}

func (l *listLog) ListRestoreSessionEvents(_ context.Context, _ string, opts vb365.ListOptions) (*vb365.Page[vb365.RestoreSessionEvent], error) {
	l.mu.Lock()
	l.reads = append(l.reads, opts)
	l.mu.Unlock()
	off := min(opts.Offset, len(l.events))
	end := len(l.events)
	if opts.Limit > 0 {
		end = min(end, off+opts.Limit)
	}
	return &vb365.Page[vb365.RestoreSessionEvent]{Offset: off, Limit: opts.Limit, Results: l.events[off:end], HasNext: end < len(l.events)}, nil
}

func allSuccess(int) string { return "Success" }

// TestPendingNowReadsTheSpanOfThePendingOffsets: the pending events are read
// again in one page from the lowest of their offsets to the highest (both
// included), whatever order they are named in, an offset 0 included; when
// one offset is unknown (-1), or the span is a scan page or more, the whole
// list is read instead.
func TestPendingNowReadsTheSpanOfThePendingOffsets(t *testing.T) {
	full := func(n int) []vb365.ListOptions {
		var r []vb365.ListOptions
		for off := 0; ; off += scanPageSize - 1 {
			r = append(r, vb365.ListOptions{Offset: off, Limit: scanPageSize})
			if off+scanPageSize >= n {
				return r
			}
		}
	}
	for _, tc := range []struct {
		name    string
		pending []PendingRef
		want    []vb365.ListOptions
	}{
		{"descending", []PendingRef{{Order: 5, Offset: 5}, {Order: 3, Offset: 3}}, []vb365.ListOptions{{Offset: 3, Limit: 3}}},
		{"ascending from 0", []PendingRef{{Order: 0, Offset: 0}, {Order: 3, Offset: 3}}, []vb365.ListOptions{{Offset: 0, Limit: 4}}},
		{"only offset 0", []PendingRef{{Order: 0, Offset: 0}}, []vb365.ListOptions{{Offset: 0, Limit: 1}}},
		{"wide span far out", []PendingRef{{Order: 1200, Offset: 1200}, {Order: 500, Offset: 500}}, []vb365.ListOptions{{Offset: 500, Limit: 701}}},
		{"one unknown offset", []PendingRef{{Order: 3, Offset: 3}, {Order: 5, Offset: -1}}, full(1300)},
		{"span of a scan page", []PendingRef{{Order: 0, Offset: 0}, {Order: scanPageSize, Offset: scanPageSize}}, full(1300)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newListLog(1300, allSuccess)
			cur := SessionCursor{SessionID: "s", PastRunning: true, Pending: tc.pending}
			ended, running, err := pendingNow(context.Background(), c, cur, false)
			require.NoError(t, err)
			require.Empty(t, running)
			require.Len(t, ended, len(tc.pending))
			for i, p := range tc.pending {
				require.Equal(t, p.Order, ended[i].Order)
			}
			require.Equal(t, tc.want, c.reads)
		})
	}
}
