package activities

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/vb365-restore/vb365-restore/activities/fakevb365"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// beforePost runs a hook just before each explore POST reaches the fake:
// what someone else does between our snapshot and our POST.
type beforePost struct {
	*fakevb365.Client
	hook func()
}

func (b beforePost) StartRestoreSession(ctx context.Context, orgID string, req vb365.ExploreRequest) (*vb365.RestoreSession, error) {
	b.hook()
	return b.Client.StartRestoreSession(ctx, orgID, req)
}

// loseThenRetry runs a first attempt whose POST creates a session and loses
// the response, then a retry with the first attempt's heartbeat details,
// over c (a wrapper of f). It returns the session the first POST created
// and the retry's result.
func loseThenRetry(t *testing.T, f *fakevb365.Client, c VB365API, cfg Config) (vb365.RestoreSession, *CreateRestoreSessionResult, error) {
	t.Helper()
	f.LoseStartResponses(1)
	env, _ := newEnv(t, c)
	cfg.Client = c
	a := New(cfg)
	a.createSettle = 0 // the retry's path, not the attempt's own wait
	env.RegisterActivity(a)
	var details converter.EncodedValues
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) { details = d })
	before := len(f.Sessions())
	_, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	require.Equal(t, ErrTypeTransient, appErr(t, err).Type())
	var created vb365.RestoreSession
	for _, s := range f.Sessions()[before:] {
		if s.InitiatedBy == "FAKE\\"+f.Account && s.Type == string(createInput().Type) {
			created = s // the last one: ours is created after the hook's
		}
	}
	require.NotNil(t, details, "progress heartbeated before the POST")
	var prog CreateProgress
	require.NoError(t, details.Get(&prog))

	var s testsuite.WorkflowTestSuite
	retry := s.NewTestActivityEnvironment()
	retry.RegisterActivity(a) // same claims: the same workflow's retry
	retry.SetHeartbeatDetails(prog)
	v, err := retry.ExecuteActivity(a.CreateRestoreSession, createInput())
	if err != nil {
		return created, nil, err
	}
	var res CreateRestoreSessionResult
	require.NoError(t, v.Get(&res))
	return created, &res, nil
}

// VB365's clock 3 minutes behind or ahead of the worker's: the session of a
// lost response is still found and adopted (the window's slack covers the
// skew), and no second POST is sent.
func TestAdoptUnderClockSkew(t *testing.T) {
	for _, skew := range []time.Duration{-3 * time.Minute, 3 * time.Minute} {
		t.Run(skew.String(), func(t *testing.T) {
			f := newFake()
			f.SetClock(func() time.Time { return time.Now().Add(skew) })
			created, res, err := loseThenRetry(t, f, f, Config{})
			require.NoError(t, err)
			require.True(t, res.Adopted)
			require.Equal(t, created.ID, res.Session.ID)
			require.Equal(t, 1, f.Posts(), "no second POST")
		})
	}
}

// Between our snapshot and our lost POST, others open sessions of the same
// organization: of another type, by another account, at another restore
// point. None of them is adopted, although each one was created closer to
// our POST than ours; ours is.
func TestAdoptMatchesEveryFact(t *testing.T) {
	otherPoint := time.Date(2020, 10, 20, 22, 0, 0, 0, time.UTC) // inside the backup window, not the latest
	cases := []struct {
		name    string
		foreign func(f *fakevb365.Client) vb365.RestoreSession
	}{
		{"another type", func(f *fakevb365.Client) vb365.RestoreSession {
			return f.AddSession(orgID, vb365.SessionTypeExchange, time.Now())
		}},
		{"another account", func(f *fakevb365.Client) vb365.RestoreSession {
			return f.AddSessionAs("console", orgID, vb365.SessionTypeTeams, time.Now(), time.Time{})
		}},
		{"another restore point", func(f *fakevb365.Client) vb365.RestoreSession {
			return f.AddSessionAs(f.Account, orgID, vb365.SessionTypeTeams, time.Now(), otherPoint)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake()
			var foreign vb365.RestoreSession
			hooked := beforePost{Client: f, hook: func() {
				if foreign.ID == "" {
					foreign = c.foreign(f)
				}
			}}
			created, res, err := loseThenRetry(t, f, hooked, Config{Username: f.Account})
			require.NoError(t, err)
			require.NotEqual(t, foreign.ID, res.Session.ID, "someone else's session adopted")
			require.Equal(t, created.ID, res.Session.ID)
			require.True(t, res.Adopted)
		})
	}
}

// A session another workflow holds is never adopted, even when it is the
// only candidate: the retry POSTs again instead.
func TestAdoptSkipsSessionsOtherWorkflowsHold(t *testing.T) {
	f := newFake()
	claims := newMemoryClaims()
	hooked := beforePost{Client: f, hook: func() {}}
	var ours string
	f2 := &claimOnCreate{beforePost: hooked, claims: claims, owner: "another-workflow", id: &ours}
	created, res, err := loseThenRetry(t, f, f2, Config{Claims: claims})
	require.NoError(t, err)
	require.Equal(t, created.ID, ours)
	require.NotEqual(t, created.ID, res.Session.ID, "held by another workflow")
	require.False(t, res.Adopted)
	require.Equal(t, 2, f.Posts())
}

// claimOnCreate has another workflow claim the session the first POST
// creates, as a concurrent restore's adoption would.
type claimOnCreate struct {
	beforePost
	claims *memoryClaims
	owner  string
	id     *string
}

func (c *claimOnCreate) StartRestoreSession(ctx context.Context, orgID string, req vb365.ExploreRequest) (*vb365.RestoreSession, error) {
	before := len(c.Sessions())
	s, err := c.beforePost.StartRestoreSession(ctx, orgID, req)
	if *c.id == "" && len(c.Sessions()) > before {
		*c.id = c.Sessions()[before].ID
		_, _ = c.claims.Claim(ctx, *c.id, c.owner)
	}
	return s, err
}

// The release looks only inside the window of the POSTs actually sent: a
// session of the same account, organization, type and restore point opened
// an hour after the failed creation's last POST is not stopped.
func TestReleaseStaysInsideThePostsWindow(t *testing.T) {
	f := newFake()
	now := time.Now().UTC()
	send := now.Add(-2 * time.Hour)
	later := f.AddSession(orgID, vb365.SessionTypeTeams, now.Add(-time.Minute))
	prog := CreateProgress{SendTime: send, SnapshotFrom: send.Add(-clockSlack), Posts: 1, LastPostBy: send.Add(3 * time.Minute)}
	env, a := newEnv(t, f)
	v, err := env.ExecuteActivity(a.ReleaseLostSession, ReleaseLostSessionInput{Create: createInput(), Progress: prog})
	require.NoError(t, err)
	var res ReleaseLostSessionResult
	require.NoError(t, v.Get(&res))
	require.Empty(t, res.SessionID)
	require.Equal(t, vb365.SessionStateWorking, f.Sessions()[0].State, "a later session %s is not the failed creation's", later.ID)

	// Without a snapshot nothing is looked for at all.
	v, err = env.ExecuteActivity(a.ReleaseLostSession, ReleaseLostSessionInput{Create: createInput(), Progress: CreateProgress{Posts: 1}})
	require.NoError(t, err)
	res = ReleaseLostSessionResult{}
	require.NoError(t, v.Get(&res))
	require.Empty(t, res.SessionID)
	require.Equal(t, vb365.SessionStateWorking, f.Sessions()[0].State)
}

// failFirstList answers the first session list with 503: the pre-create
// lookup of a first attempt fails before anything is recorded.
type failFirstList struct {
	*fakevb365.Client
	failed atomic.Bool
}

func (l *failFirstList) ListRestoreSessions(ctx context.Context, opts vb365.ListRestoreSessionsOptions) (*vb365.Page[vb365.RestoreSession], error) {
	if l.failed.CompareAndSwap(false, true) {
		return nil, &vb365.Error{Op: "list restore sessions", Method: "GET", Path: "/v8/RestoreSessions", StatusCode: 503}
	}
	return l.Client.ListRestoreSessions(ctx, opts)
}

// A first attempt whose snapshot lookup fails records nothing and posts
// nothing; a session someone opens meanwhile is in the next attempt's
// snapshot, so it is neither adopted nor released.
func TestNoSnapshotNoAdoption(t *testing.T) {
	f := newFake()
	l := &failFirstList{Client: f}
	env, a := newEnv(t, l)
	var beats int
	env.SetOnActivityHeartbeatListener(func(*activity.Info, converter.EncodedValues) { beats++ })
	_, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	ae := appErr(t, err)
	require.Equal(t, ErrTypeTransient, ae.Type())
	require.False(t, ae.HasDetails(), "nothing to release")
	require.Zero(t, beats, "nothing recorded")
	require.Zero(t, f.Posts())

	other := f.AddSession(orgID, vb365.SessionTypeTeams, time.Now())
	retry, a2 := newEnv(t, l)
	v, err := retry.ExecuteActivity(a2.CreateRestoreSession, createInput())
	require.NoError(t, err)
	var res CreateRestoreSessionResult
	require.NoError(t, v.Get(&res))
	require.False(t, res.Adopted)
	require.NotEqual(t, other.ID, res.Session.ID)
	require.Equal(t, vb365.SessionStateWorking, f.Sessions()[0].State)
}

// slowPost answers its POST after a delay, as a VB365 that takes longer
// than the heartbeat timeout to open a session.
type slowPost struct {
	*fakevb365.Client
	delay time.Duration
}

func (s slowPost) StartRestoreSession(ctx context.Context, orgID string, req vb365.ExploreRequest) (*vb365.RestoreSession, error) {
	time.Sleep(s.delay)
	return s.Client.StartRestoreSession(ctx, orgID, req)
}

// The attempt keeps heartbeating while its POST is in flight, so Temporal
// does not time it out and start a second attempt (and a second POST).
func TestCreateHeartbeatsWhileThePostIsInFlight(t *testing.T) {
	f := newFake()
	env, a := newEnv(t, slowPost{Client: f, delay: 300 * time.Millisecond})
	a.postHeartbeatEvery = 20 * time.Millisecond
	var beats atomic.Int32
	a.heartbeat = func(ctx context.Context, details ...any) { beats.Add(1); activity.RecordHeartbeat(ctx, details...) }
	_, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	require.NoError(t, err)
	require.GreaterOrEqual(t, beats.Load(), int32(5), "heartbeats during a 300ms POST every 20ms")
}

func TestOpensRestorePoint(t *testing.T) {
	last := time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)
	first := time.Date(2020, 10, 2, 22, 0, 0, 0, time.UTC)
	org := &vb365.Organization{FirstBackupTime: &first, LastBackupTime: &last}
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	in := func(at time.Time) CreateRestoreSessionInput { return CreateRestoreSessionInput{DateTime: at} }
	after := in(time.Date(2020, 10, 30, 10, 54, 40, 279, time.UTC))
	require.True(t, opensRestorePoint("Teams restore (Entire organization - 10/30/2020 10:29:05 AM)", after, org, nil))
	require.True(t, opensRestorePoint("Teams restore (Entire organization - 10/30/2020 11:29:05 AM)", after, org, berlin), "the server's zone")
	require.False(t, opensRestorePoint("Teams restore (Entire organization - 10/29/2020 10:00:00 PM)", after, org, berlin), "not the latest")
	between := in(time.Date(2020, 10, 20, 23, 0, 0, 0, time.UTC))
	require.True(t, opensRestorePoint("Teams restore (Entire organization - 10/20/2020 10:00:00 PM)", between, org, nil))
	require.False(t, opensRestorePoint("Teams restore (Entire organization - 10/21/2020 10:00:00 PM)", between, org, nil), "after the time asked for")
	before := in(time.Date(2020, 9, 1, 8, 0, 0, 0, time.UTC))
	require.True(t, opensRestorePoint("Teams restore (Entire organization - no backup data as of 9/1/2020 8:00:00 AM)", before, org, nil))
	require.False(t, opensRestorePoint("Teams restore (Entire organization - no backup data as of 9/2/2020 8:00:00 AM)", before, org, nil))
	require.True(t, opensRestorePoint("Teams-Wiederherstellung", after, org, nil), "no restore point to contradict")
}

func TestSameAccount(t *testing.T) {
	require.True(t, sameAccount(`VB365\admin`, "admin"))
	require.True(t, sameAccount(`CONTOSO\Admin`, `contoso\admin`))
	require.True(t, sameAccount(`CONTOSO\admin`, "admin@contoso.com"))
	require.False(t, sameAccount(`VB365SIM\console`, "admin"))
	require.True(t, sameAccount("", "admin"), "VB365 said nothing")
}

// staleOwner reads no claims, as a read that raced with another workflow's
// claim: only Claim's answer then keeps the session from being shared.
type staleOwner struct{ *memoryClaims }

func (staleOwner) Owner(context.Context, string) (string, error) { return "", nil }

// Also when the read of the claims raced with another workflow's claim.
func TestAdoptSkipsSessionsOtherWorkflowsHoldAfterAStaleRead(t *testing.T) {
	f := newFake()
	claims := newMemoryClaims()
	var ours string
	f2 := &claimOnCreate{beforePost: beforePost{Client: f, hook: func() {}}, claims: claims, owner: "another-workflow", id: &ours}
	created, res, err := loseThenRetry(t, f, f2, Config{Claims: staleOwner{claims}})
	require.NoError(t, err)
	require.NotEqual(t, created.ID, res.Session.ID, "held by another workflow")
	require.False(t, res.Adopted)
}

// A retry finds the session an earlier attempt of its workflow claimed (and
// then could not report), even when an unclaimed candidate fits better:
// taking that one too would leave one of them open with no owner.
func TestAdoptPrefersTheSessionItAlreadyHolds(t *testing.T) {
	f := newFake()
	env, a := newEnv(t, f)
	send := time.Now().UTC()
	prog := CreateProgress{SendTime: send, SnapshotFrom: send.Add(-clockSlack), Posts: 2, LastPostBy: send.Add(5 * time.Minute)}
	closest := f.AddSession(orgID, vb365.SessionTypeTeams, send.Add(time.Second))
	held := f.AddSession(orgID, vb365.SessionTypeTeams, send.Add(time.Minute))
	_, err := a.claims.Claim(context.Background(), held.ID, "default-test-workflow-id") // the test environment's workflow
	require.NoError(t, err)
	env.SetHeartbeatDetails(prog)
	v, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	require.NoError(t, err)
	var res CreateRestoreSessionResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, held.ID, res.Session.ID, "not %s", closest.ID)
	owner, err := a.claims.Owner(context.Background(), closest.ID)
	require.NoError(t, err)
	require.Empty(t, owner, "the other one is left to its own workflow")
}

// The snapshot before the POST holds every session there was, once, on a
// list VB365 writes newest first in pages of 3 while others create sessions
// between page reads; the retry then adopts ours.
func TestAdoptOnANewestFirstListThatShifts(t *testing.T) {
	f := newFake()
	var before []string
	for i := range 7 {
		before = append(before, f.AddSession(orgID, vb365.SessionTypeTeams, time.Now().Add(time.Duration(i-10)*time.Second)).ID)
	}
	n := &newestFirst{fakeEnv: &fakeEnv{f}, pageSize: 3, insertEach: func(int) {
		f.AddSession(orgID, vb365.SessionTypeExchange, time.Now())
	}}
	f.LoseStartResponses(1)
	env, a := newEnv(t, n)
	a.listPageSize, a.createSettle = 3, 0
	var details converter.EncodedValues
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) { details = d })
	_, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	require.Error(t, err)
	var prog CreateProgress
	require.NoError(t, details.Get(&prog))
	require.ElementsMatch(t, before, prog.PreExisting, "every session there was, once")
	require.Greater(t, n.reads, 3, "several pages")

	retry, a2 := newEnv(t, n)
	a2.listPageSize = 3
	retry.SetHeartbeatDetails(prog)
	v, err := retry.ExecuteActivity(a2.CreateRestoreSession, createInput())
	require.NoError(t, err)
	var res CreateRestoreSessionResult
	require.NoError(t, v.Get(&res))
	require.True(t, res.Adopted)
	require.NotContains(t, before, res.Session.ID)
	require.Equal(t, 1, f.Posts())
}

// takenOnReturn opens a session of another restore just before our POST
// (its response is lost, so that restore will adopt), and has that restore
// adopt the session our POST creates while our answer is on its way.
type takenOnReturn struct {
	*fakevb365.Client
	claims *memoryClaims
	theirs *vb365.RestoreSession
}

func (c *takenOnReturn) StartRestoreSession(ctx context.Context, orgID string, req vb365.ExploreRequest) (*vb365.RestoreSession, error) {
	if c.theirs == nil {
		s := c.AddSession(orgID, req.Type, time.Now())
		c.theirs = &s
	}
	s, err := c.Client.StartRestoreSession(ctx, orgID, req)
	if err == nil {
		_, _ = c.claims.Claim(ctx, s.ID, "their-workflow")
	}
	return s, err
}

// When another restore adopted the session our POST created before our
// answer arrived, ours takes the one that restore's lost POST left: each
// holds one, none is left open with no owner.
func TestCreateTakesTheSessionLeftWhenItsOwnWasAdopted(t *testing.T) {
	f := newFake()
	claims := newMemoryClaims()
	c := &takenOnReturn{Client: f, claims: claims}
	env, _ := newEnv(t, c)
	a := New(Config{Client: c, Claims: claims})
	env.RegisterActivity(a)
	v, err := env.ExecuteActivity(a.CreateRestoreSession, createInput())
	require.NoError(t, err)
	var res CreateRestoreSessionResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, c.theirs.ID, res.Session.ID)
	require.True(t, res.Adopted)
	owner, err := claims.Owner(context.Background(), res.Session.ID)
	require.NoError(t, err)
	require.Equal(t, "default-test-workflow-id", owner)
	require.Len(t, f.Sessions(), 2)
}
