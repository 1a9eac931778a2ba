package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/activities/fakevb365"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// slowServer answers its POST with a client timeout, and creates the session
// a moment later, as a slow VB365 does after the client gave up.
type slowServer struct {
	*fakevb365.Client
	status int // the failed POST's HTTP status; 0: no answer
	late   time.Duration
}

func (s slowServer) StartRestoreSession(_ context.Context, orgID string, req vb365.ExploreRequest) (*vb365.RestoreSession, error) {
	time.AfterFunc(s.late, func() { s.AddSession(orgID, req.Type, time.Now()) })
	return nil, &vb365.Error{Op: "start restore session", Method: "POST", Path: "/v8/Organizations/" + orgID + "/explore",
		StatusCode: s.status, Err: errors.New("no response within 2s: context deadline exceeded")}
}

func TestCreateAwaitsTheSessionOfAnUnansweredPost(t *testing.T) {
	for _, status := range []int{0, 504} {
		f := newFake()
		env, a := newEnv(t, slowServer{Client: f, status: status, late: 200 * time.Millisecond})
		a.createSettlePoll = 20 * time.Millisecond
		v, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
		require.NoError(t, err, "status %d", status)
		var res CreateRestoreSessionResult
		require.NoError(t, v.Get(&res))
		require.True(t, res.Adopted)
		require.Len(t, f.Sessions(), 1, "one session, not a second POST's")
		require.Equal(t, f.Sessions()[0].ID, res.Session.ID)
	}
}

// countingLists counts the session lists the activity reads.
type countingLists struct {
	*fakevb365.Client
	lists *int
}

func (c countingLists) ListRestoreSessions(ctx context.Context, opts vb365.ListRestoreSessionsOptions) (*vb365.Page[vb365.RestoreSession], error) {
	*c.lists++
	return c.Client.ListRestoreSessions(ctx, opts)
}

func TestCreateDoesNotAwaitAfterARefusal(t *testing.T) {
	f := newFake()
	f.FailStarts(503)
	lists := 0
	env, a := newEnv(t, countingLists{Client: f, lists: &lists})
	a.createSettlePoll = 20 * time.Millisecond
	_, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	require.Equal(t, ErrTypeTransient, appErr(t, err).Type())
	// A 503 created nothing: only the snapshot taken before the POST, no
	// polling for a session that will not appear.
	require.Equal(t, 1, lists, "session lists read")
}
