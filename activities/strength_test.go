package activities

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// TestClaimsPruneOnlyWhenFull: stale claims are dropped once the table holds
// 4096 claims, not before (a claim younger than memoryClaimTTL is never dropped).
func TestClaimsPruneOnlyWhenFull(t *testing.T) {
	fill := func(n int) *memoryClaims {
		c := newMemoryClaims()
		old := time.Now().Add(-2 * memoryClaimTTL)
		for i := range n {
			c.owner[fmt.Sprint("old-", i)] = memoryClaim{workflowID: "wf", at: old}
		}
		return c
	}
	ctx := context.Background()
	c := fill(4095)
	_, err := c.Claim(ctx, "new", "wf-new")
	require.NoError(t, err)
	require.Len(t, c.owner, 4096, "not full yet: nothing pruned")

	c = fill(4095)
	c.owner["young"] = memoryClaim{workflowID: "wf-young", at: time.Now()}
	_, err = c.Claim(ctx, "new", "wf-new")
	require.NoError(t, err)
	require.Len(t, c.owner, 2, "full: the stale claims went, the young one stayed")
	require.Contains(t, c.owner, "young")
}

// TestFetchSessionEventsStopsAtMaxEvents: a final fetch returns at most
// MaxEvents and says more remain.
func TestFetchSessionEventsStopsAtMaxEvents(t *testing.T) {
	fe, id := openSession(t)
	for range 5 {
		fe.AppendEvent(id, "Success", "x")
	}
	env, a := newEnv(t, fe)
	v, err := env.ExecuteActivity(a.FetchSessionEvents, FetchSessionEventsInput{
		SessionCursor: SessionCursor{SessionID: id, RecordedCount: 1, AfterOrder: 0}, MaxEvents: 3})
	require.NoError(t, err)
	var res SessionEventsResult
	require.NoError(t, v.Get(&res))
	require.Len(t, res.Events, 3)
	require.Equal(t, int32(3), res.Events[2].Order)
	require.True(t, res.More)
}

// TestWaitPageSize: without a page size a wait reads the default of 100 and,
// having read everything, says no more remain; with one it returns that many.
func TestWaitPageSize(t *testing.T) {
	fe, id := openSession(t)
	for range 4 {
		fe.AppendEvent(id, "Success", "x")
	}
	res, err := runWait(t, fe, waitInput(id, 1, 0))
	require.NoError(t, err)
	require.Len(t, res.Events, 4)
	require.False(t, res.More)

	in := waitInput(id, 1, 0)
	in.PageSize = 2
	res, err = runWait(t, fe, in)
	require.NoError(t, err)
	require.Len(t, res.Events, 2)
	require.True(t, res.More)
	require.Equal(t, vb365.SessionStateWorking, res.Session.State)
}
