package activities

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/activities/fakevb365"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// TestWindowOfLegacyProgress: progress recorded before SnapshotFrom existed
// covers sessions from a minute before its SendTime; without LastPostBy the
// window has no end. With both, the window is SnapshotFrom to LastPostBy
// widened by clockSlack.
func TestWindowOfLegacyProgress(t *testing.T) {
	send := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	from, to := CreateProgress{SendTime: send}.window()
	require.Equal(t, send.Add(-time.Minute), from)
	require.True(t, to.IsZero())
	from, to = CreateProgress{SendTime: send, SnapshotFrom: send.Add(-clockSlack), LastPostBy: send.Add(time.Minute)}.window()
	require.Equal(t, send.Add(-clockSlack), from)
	require.Equal(t, send.Add(time.Minute+clockSlack), to)
}

// TestAccountNameAtTheStart: a domain separator or an address's "@" as the
// first character still splits the name: `\admin` is admin, and "@x" is an
// empty account (which matches any other empty one).
func TestAccountNameAtTheStart(t *testing.T) {
	require.Equal(t, "admin", accountName(`\admin`))
	require.True(t, sameAccount(`\admin`, "admin"))
	require.Equal(t, "", accountName("@contoso.com"))
	require.True(t, sameAccount(`VB365\@contoso.com`, "@fabrikam.com"))
}

// TestOpensRestorePointBeforeTheFirstBackup: "no backup data as of" the
// time asked for is that restore point only while that time precedes the
// first backup (or there is none); a restore point between the backups is
// never one before the first backup.
func TestOpensRestorePointBeforeTheFirstBackup(t *testing.T) {
	first := time.Date(2020, 10, 2, 22, 0, 0, 0, time.UTC)
	last := time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)
	at := func(d time.Time) CreateRestoreSessionInput { return CreateRestoreSessionInput{DateTime: d} }
	noData := "Teams restore (Entire organization - no backup data as of 10/10/2020 8:00:00 AM)"
	between := at(time.Date(2020, 10, 10, 8, 0, 0, 0, time.UTC))

	require.True(t, opensRestorePoint(noData, between, &vb365.Organization{}, nil), "never backed up")
	require.False(t, opensRestorePoint(noData, between, &vb365.Organization{FirstBackupTime: &first, LastBackupTime: &last}, nil),
		"backed up before the time asked for")

	early := "Teams restore (Entire organization - 9/1/2020 8:00:00 AM)"
	require.False(t, opensRestorePoint(early, at(time.Date(2020, 9, 1, 8, 0, 0, 0, time.UTC)), &vb365.Organization{FirstBackupTime: &first, LastBackupTime: &last}, nil),
		"a restore point before the first backup")
	require.True(t, opensRestorePoint(early, at(time.Date(2020, 9, 1, 8, 0, 0, 0, time.UTC)), &vb365.Organization{LastBackupTime: &last}, nil),
		"no first backup known")
}

// TestCloserOfTwoCreatedAtOnce: of two sessions created at the same
// instant neither is the better match (the one listed first stays first).
func TestCloserOfTwoCreatedAtOnce(t *testing.T) {
	send := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{send.Add(-time.Minute), send, send.Add(time.Minute)} {
		require.False(t, closer(at, at, send), "%s", at.Sub(send))
	}
}

// TestAdoptTheClosestOfTheSlackBeforeThePost: of two unclaimed candidates
// created in the slack before the POST (VB365's clock behind), listed oldest
// first, the retry adopts the one closer to the POST.
func TestAdoptTheClosestOfTheSlackBeforeThePost(t *testing.T) {
	f := newFake()
	env, a := newEnv(t, f)
	send := time.Now().UTC()
	prog := CreateProgress{SendTime: send, SnapshotFrom: send.Add(-clockSlack), Posts: 1, LastPostBy: send.Add(5 * time.Minute)}
	far := f.AddSession(orgID, vb365.SessionTypeTeams, send.Add(-5*time.Minute))
	near := f.AddSession(orgID, vb365.SessionTypeTeams, send.Add(-time.Minute))
	env.SetHeartbeatDetails(prog)
	v, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	require.NoError(t, err)
	var res CreateRestoreSessionResult
	require.NoError(t, v.Get(&res))
	require.True(t, res.Adopted)
	require.Equal(t, near.ID, res.Session.ID, "not %s", far.ID)
	require.Equal(t, 0, f.Posts())
}

// TestReleaseOfASessionVB365NoLongerKnows: a release whose stop VB365
// answers 404 (the session found by an earlier attempt is gone) reports it
// missing, not an error.
func TestReleaseOfASessionVB365NoLongerKnows(t *testing.T) {
	env, a := newEnv(t, newFake())
	env.SetHeartbeatDetails("gone-session")
	v, err := env.ExecuteActivity(a.ReleaseLostSession, ReleaseLostSessionInput{Create: createInput(), Progress: CreateProgress{SendTime: time.Now(), Posts: 1}})
	require.NoError(t, err)
	var res ReleaseLostSessionResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, ReleaseLostSessionResult{SessionID: "gone-session", Missing: true}, res)
}

// goneOnRead is a VB365 that forgets a session once it is stopped.
type goneOnRead struct{ *fakevb365.Client }

func (goneOnRead) GetRestoreSession(_ context.Context, id string) (*vb365.RestoreSession, error) {
	return nil, &vb365.Error{Op: "get restore session", Method: "GET", Path: "/v8/RestoreSessions/" + id, StatusCode: 404, Message: "Not Found"}
}

// TestStopOfASessionGoneAfterTheStop: a session VB365 stopped and then no
// longer knows when it is read again counts as stopped, Missing.
func TestStopOfASessionGoneAfterTheStop(t *testing.T) {
	f := newFake()
	s := f.AddSession(orgID, vb365.SessionTypeTeams, time.Now())
	env, a := newEnv(t, goneOnRead{f})
	v, err := env.ExecuteActivity(a.StopRestoreSession, StopRestoreSessionInput{SessionID: s.ID})
	require.NoError(t, err)
	var res StopRestoreSessionResult
	require.NoError(t, v.Get(&res))
	require.True(t, res.Missing)
	require.Nil(t, res.Session)
}

// unreachableServer is a worker's client whose heartbeats never reach the
// server.
type unreachableServer struct{ client.Client }

func (unreachableServer) RecordActivityHeartbeatWithOptions(context.Context, client.RecordActivityHeartbeatOptions) error {
	return errors.New("temporal unreachable")
}

// listAfterAHeartbeat answers the snapshot's list once the attempt has
// heartbeated, as a list that waited for the VB365 budget.
type listAfterAHeartbeat struct {
	*fakevb365.Client
	beat <-chan struct{}
}

func (l listAfterAHeartbeat) ListRestoreSessions(ctx context.Context, o vb365.ListRestoreSessionsOptions) (*vb365.Page[vb365.RestoreSession], error) {
	select {
	case <-l.beat:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return l.Client.ListRestoreSessions(ctx, o)
}

// TestCreateSendsNoPostItCouldNotRecord: an attempt that must send its
// progress straight to the server before its POST (it has heartbeated, so
// the SDK may hold the pre-POST heartbeat back) and cannot, fails retryably
// without POSTing, and its error carries no progress: no POST was sent, so
// there is nothing for the workflow to release.
func TestCreateSendsNoPostItCouldNotRecord(t *testing.T) {
	f := newFake()
	beat := make(chan struct{})
	env, a := newEnv(t, listAfterAHeartbeat{Client: f, beat: beat})
	a.postHeartbeatEvery = time.Millisecond
	a.activityClient = func(context.Context) client.Client { return unreachableServer{} }
	heartbeat, once := a.heartbeat, sync.Once{}
	a.heartbeat = func(ctx context.Context, details ...any) {
		once.Do(func() { close(beat) })
		heartbeat(ctx, details...)
	}
	_, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	ae := appErr(t, err)
	require.Equal(t, ErrTypeTransient, ae.Type())
	require.False(t, ae.NonRetryable())
	require.Contains(t, err.Error(), "record the progress of this attempt before its POST: temporal unreachable")
	require.False(t, ae.HasDetails(), "no POST to release")
	require.Equal(t, 0, f.Posts())
}
