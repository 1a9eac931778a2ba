package activities

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// TestCreateFailureCarriesProgress: an attempt whose POST may have created a
// session fails with the pre-POST progress as its error's details, so the
// workflow can release that session if the failure is final; a POST VB365
// refused is not counted, and a first POST refused carries nothing.
func TestCreateFailureCarriesProgress(t *testing.T) {
	f := newFake()
	f.FailStarts(503, 400)
	env, a := newEnv(t, f)
	_, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	ae := appErr(t, err)
	require.Equal(t, ErrTypeTransient, ae.Type())
	require.True(t, ae.HasDetails(), "a 503 POST may have created a session")
	var prog CreateProgress
	require.NoError(t, ae.Details(&prog))
	require.Equal(t, 1, prog.Posts)
	require.False(t, prog.SendTime.IsZero())

	// The retry finds nothing, POSTs again and is refused: the refused POST
	// created nothing, the first may have.
	retry, a2 := newEnv(t, f)
	retry.SetHeartbeatDetails(prog)
	_, err = retry.ExecuteActivity(a2.CreateRestoreSession, createInput())
	ae = appErr(t, err)
	require.Equal(t, ErrTypeRestoreSessionRejected, ae.Type())
	require.True(t, ae.NonRetryable())
	var final CreateProgress
	require.NoError(t, ae.Details(&final))
	require.Equal(t, 1, final.Posts)
	require.Equal(t, prog.SendTime, final.SendTime)

	f.FailStarts(400)
	env3, a3 := newEnv(t, f)
	_, err = env3.ExecuteActivity(a3.CreateRestoreSession, createInput())
	require.False(t, appErr(t, err).HasDetails(), "nothing to release after a refused first POST")
}

// TestReleaseLostSession stops the session a lost POST created, and only
// that one.
func TestReleaseLostSession(t *testing.T) {
	f := newFake()
	other := f.AddSession(orgID, vb365.SessionTypeTeams, time.Now().Add(-10*time.Second)) // someone else's
	f.LoseStartResponses(1)
	env, a := newEnv(t, f)
	a.createSettle = 0
	_, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	var prog CreateProgress
	require.NoError(t, appErr(t, err).Details(&prog))
	require.Equal(t, 1, prog.Posts)
	require.Len(t, f.Sessions(), 2)
	lost := f.Sessions()[1]

	rel, a2 := newEnv(t, f)
	v, err := rel.ExecuteActivity(a2.ReleaseLostSession, ReleaseLostSessionInput{Create: createInput(), Progress: prog})
	require.NoError(t, err)
	var res ReleaseLostSessionResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, lost.ID, res.SessionID)
	states := map[string]string{}
	for _, s := range f.Sessions() {
		states[s.ID] = s.State
	}
	require.Equal(t, vb365.SessionStateStopped, states[lost.ID])
	require.Equal(t, vb365.SessionStateWorking, states[other.ID], "a pre-existing session is not touched")

	// Nothing left to release.
	v, err = rel.ExecuteActivity(a2.ReleaseLostSession, ReleaseLostSessionInput{Create: createInput(), Progress: prog})
	require.NoError(t, err)
	res = ReleaseLostSessionResult{}
	require.NoError(t, v.Get(&res))
	require.Empty(t, res.SessionID)
	require.Equal(t, vb365.SessionStateWorking, states[other.ID])
}
