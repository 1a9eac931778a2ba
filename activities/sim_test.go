package activities

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// newSim starts the simulator in process (v8, the default account) with the
// given switches and returns it with a real client logged in to it.
func newSim(t *testing.T, beh vb365sim.Behaviour) (*vb365sim.Simulator, *vb365.Client) {
	return newSimWithPassword(t, beh, "admin")
}

// newSimWithPassword is newSim with a client that logs in with password.
func newSimWithPassword(t *testing.T, beh vb365sim.Behaviour, password string) (*vb365sim.Simulator, *vb365.Client) {
	t.Helper()
	sim := vb365sim.New(vb365sim.Options{Versions: []string{"v8"}, Behaviour: beh})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); sim.Close() })
	c, err := vb365.New(vb365.Config{BaseURL: srv.URL, Username: "admin", Password: password})
	require.NoError(t, err)
	return sim, c
}

// lostCreate runs CreateRestoreSession once with the explore answer lost (or
// refused with status) and returns the progress the attempt heartbeated.
func lostCreate(t *testing.T, sim *vb365sim.Simulator, c VB365API, fault vb365sim.Fault) CreateProgress {
	t.Helper()
	fault.Method, fault.Path = "POST", "/v8/Organizations/*/explore"
	sim.AddFault(fault)
	env, a := newEnv(t, c)
	a.createSettle = 0 // the retry looks, not this attempt
	var details converter.EncodedValues
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) { details = d })
	_, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	require.Equal(t, ErrTypeTransient, appErr(t, err).Type())
	require.NotNil(t, details, "progress is heartbeated before the POST")
	var prog CreateProgress
	require.NoError(t, details.Get(&prog))
	return prog
}

func retryCreate(t *testing.T, c VB365API, prog CreateProgress) CreateRestoreSessionResult {
	t.Helper()
	env, a := newEnv(t, c)
	env.SetHeartbeatDetails(prog)
	v, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	require.NoError(t, err)
	var res CreateRestoreSessionResult
	require.NoError(t, v.Get(&res))
	return res
}

// TestRetryAdoptsDespiteVB365ClockBehind: VB365's clock runs 30 s behind the
// worker's, so the session a lost POST created carries a creationTime before
// the POST's send time; the retry still finds and adopts it (the slack before
// the send time) instead of opening a second session.
func TestRetryAdoptsDespiteVB365ClockBehind(t *testing.T) {
	sim, c := newSim(t, vb365sim.Behaviour{ClockSkew: new(vb365sim.Duration(-30 * time.Second))})
	prog := lostCreate(t, sim, c, vb365sim.Fault{DropAfterCommit: true})
	require.Len(t, sim.Sessions(), 1, "the lost POST created a session")
	created := sim.Sessions()[0]
	require.True(t, created.CreationTime.Before(prog.SendTime), "VB365's clock is behind: %s before %s", created.CreationTime, prog.SendTime)

	res := retryCreate(t, c, prog)
	require.True(t, res.Adopted)
	require.Equal(t, created.ID, res.Session.ID)
	require.Len(t, sim.Sessions(), 1, "no second session")
}

// TestRetryDoesNotAdoptAnotherTypesSession: the POST failed before VB365
// created anything, and meanwhile another restore of the same organization
// (same account, another type) opened its session; the retry must not adopt
// that one: it opens its own session of the requested type.
func TestRetryDoesNotAdoptAnotherTypesSession(t *testing.T) {
	sim, c := newSim(t, vb365sim.Behaviour{})
	prog := lostCreate(t, sim, c, vb365sim.Fault{Status: 503})
	require.Empty(t, sim.Sessions())
	other, err := c.StartRestoreSession(context.Background(), orgID,
		vb365.ExploreRequest{DateTime: createInput().DateTime, Type: vb365.SessionTypeExchange})
	require.NoError(t, err)

	res := retryCreate(t, c, prog)
	require.False(t, res.Adopted)
	require.NotEqual(t, other.ID, res.Session.ID)
	require.Equal(t, string(vb365.SessionTypeTeams), res.Session.Type)
	require.Len(t, sim.Sessions(), 2)
}

// stoppedBeforeEventsEnd is a VB365 that reports the session Stopped while its
// last event still says Running (the stop written before the events are
// ended), as a server whose session and event writes are not one transaction may.
type stoppedBeforeEventsEnd struct {
	VB365API
	events []vb365.RestoreSessionEvent
}

func (s stoppedBeforeEventsEnd) GetRestoreSession(_ context.Context, id string) (*vb365.RestoreSession, error) {
	return &vb365.RestoreSession{ID: id, State: vb365.SessionStateStopped}, nil
}

func (s stoppedBeforeEventsEnd) ListRestoreSessionEvents(_ context.Context, _ string, opts vb365.ListOptions) (*vb365.Page[vb365.RestoreSessionEvent], error) {
	off := min(opts.Offset, len(s.events))
	return &vb365.Page[vb365.RestoreSessionEvent]{Offset: off, Limit: opts.Limit, Results: s.events[off:]}, nil
}

// TestStoppedSessionTakesEventsAsTheyStand: once the session is Stopped, a
// poll takes every event as it stands, a Running one and those after it
// included: nothing will settle them any more, and holding them back would
// leave them out of the final fetch.
func TestStoppedSessionTakesEventsAsTheyStand(t *testing.T) {
	c := stoppedBeforeEventsEnd{events: []vb365.RestoreSessionEvent{
		{Order: 0, Status: "None"}, {Order: 1, Status: "Running"}, {Order: 2, Status: "None"}}}
	res, err := pollOnce(context.Background(), c, SessionCursor{SessionID: "s", AfterOrder: -1}, 10)
	require.NoError(t, err)
	require.Len(t, res.Events, 3)
	require.Equal(t, "Running", res.Events[1].Status)
	require.False(t, res.More)
}
