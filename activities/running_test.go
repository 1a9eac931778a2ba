package activities

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// TestWaitReturnsEventsPastARunningOne: with PastRunning the events after a
// running one come back finished in Events, the running one in Running
// with its place; once it ends, a wait naming it pending returns it in
// Ended with its final status.
func TestWaitReturnsEventsPastARunningOne(t *testing.T) {
	fe, id := openSession(t)
	fe.AppendEvent(id, "Success", "a")
	fe.AppendEvent(id, "Running", "a long restore")
	fe.AppendEvent(id, "Success", "b")

	in := waitInput(id, 0, -1)
	in.PastRunning = true
	res, err := runWait(t, fe, in)
	require.NoError(t, err)
	require.Equal(t, []int32{0, 1, 3}, orderList(res.Events), "the start event, a, b")
	require.Len(t, res.Running, 1)
	require.Equal(t, int32(2), res.Running[0].Event.Order)
	require.Equal(t, 2, res.Running[0].Offset)
	require.Empty(t, res.Ended)

	fe.SetEventStatus(id, 2, "Warning")
	in = waitInput(id, 4, 3)
	in.PastRunning = true
	in.Pending = []PendingRef{{Order: 2, Offset: 2}}
	res, err = runWait(t, fe, in)
	require.NoError(t, err)
	require.Empty(t, res.Events)
	require.Len(t, res.Ended, 1)
	require.Equal(t, "Warning", res.Ended[0].Status)
	require.Empty(t, res.Running)

	// Without PastRunning the running event holds the rest back, as before.
	res, err = runWait(t, fe, waitInput(id, 0, -1))
	require.NoError(t, err)
	require.Len(t, res.Events, 4, "it has ended meanwhile")
}

func orderList(events []vb365.RestoreSessionEvent) []int32 {
	out := make([]int32, len(events))
	for i, e := range events {
		out[i] = e.Order
	}
	return out
}
