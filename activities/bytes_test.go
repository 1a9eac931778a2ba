package activities

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBatchesAreBoundedByBytes: events with long texts come back in
// batches whose JSON stays under MaxBytes (More set), from the wait and the
// fetch alike, and reading on from the cursor misses none.
func TestBatchesAreBoundedByBytes(t *testing.T) {
	fe, id := openSession(t)
	long := strings.Repeat("x", 10_000)
	for range 20 {
		fe.AppendEvent(id, "Success", long)
	}
	const maxBytes = 50_000
	size := func(res *SessionEventsResult) int { b, _ := json.Marshal(res.Events); return len(b) }

	in := waitInput(id, 0, -1)
	in.MaxBytes = maxBytes
	res, err := runWait(t, fe, in)
	require.NoError(t, err)
	require.NotEmpty(t, res.Events)
	require.Less(t, len(res.Events), 20)
	require.LessOrEqual(t, size(res), maxBytes)
	require.True(t, res.More)

	env, a := newEnv(t, fe)
	got := len(res.Events)
	for got < 21 { // the session's start event and the twenty
		last := int32(got - 1)
		v, err := env.ExecuteActivity(a.FetchSessionEvents, FetchSessionEventsInput{
			SessionCursor: SessionCursor{SessionID: id, RecordedCount: got, AfterOrder: last}, MaxBytes: maxBytes})
		require.NoError(t, err)
		var f SessionEventsResult
		require.NoError(t, v.Get(&f))
		require.NotEmpty(t, f.Events)
		require.LessOrEqual(t, size(&f), maxBytes)
		require.Equal(t, last+1, f.Events[0].Order, "no event skipped")
		got += len(f.Events)
		require.Equal(t, got < 21, f.More)
	}
	require.Equal(t, 21, got)
}
