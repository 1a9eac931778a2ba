package activities

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// profiles is a CredentialProfiles of fixed profiles.
type profiles map[string]vb365.RestoreCredentials

func (p profiles) Lookup(name string) (vb365.RestoreCredentials, bool) {
	rc, ok := p[name]
	return rc, ok
}

var simProfiles = profiles{
	"m365-admin": {UserName: vb365sim.RestoreUserName, Password: vb365.NewSecret(vb365sim.RestorePassword)},
	"wrong":      {UserName: vb365sim.RestoreUserName, Password: vb365.NewSecret("Wrong-Pa55-Secret")},
}

// restoreRig is a simulator of one version with a fast restore, a client,
// activities over it and an open session of typ.
type restoreRig struct {
	sim     *vb365sim.Simulator
	env     *testsuite.TestActivityEnvironment
	a       *Activities
	session string
	typ     vb365.SessionType
}

func newRestoreRig(t *testing.T, version string, typ vb365.SessionType) *restoreRig {
	t.Helper()
	sim := vb365sim.New(vb365sim.Options{Versions: []string{version}})
	require.NoError(t, sim.SetRestoreBehaviour(vb365sim.RestoreBehaviour{ItemDuration: new(vb365sim.Duration(time.Millisecond))}))
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	c, err := vb365.New(vb365.Config{BaseURL: srv.URL, Username: "admin", Password: "admin", Timeout: 5 * time.Second})
	require.NoError(t, err)
	s, err := c.StartRestoreSession(context.Background(), vb365sim.SeedOrganizationID, vb365.ExploreRequest{Type: typ})
	require.NoError(t, err)
	// An earlier restore in the session: the action counts only its own.
	require.NoError(t, sim.AppendEvent(s.ID, vb365sim.EventInput{Type: "Restore", Status: "Failed", ItemName: "Board minutes.docx", Message: "access denied"}))
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	a := New(Config{Client: c, RestoreCredentials: simProfiles})
	env.RegisterActivity(a)
	return &restoreRig{sim: sim, env: env, a: a, session: s.ID, typ: typ}
}

func (r *restoreRig) input(act RestoreAction) RestoreActionInput {
	return RestoreActionInput{SessionID: r.session, SessionType: string(r.typ), Action: act, PollInterval: 10 * time.Millisecond}
}

func (r *restoreRig) run(t *testing.T, act RestoreAction) (*RestoreActionResult, error) {
	t.Helper()
	v, err := r.env.ExecuteActivity(r.a.RestoreAction, r.input(act))
	if err != nil {
		return nil, err
	}
	var res RestoreActionResult
	require.NoError(t, v.Get(&res))
	return &res, nil
}

// Each kind restores once and reports its counts, on v6/v7 (answer when
// done) and v8 (followed to the end).
func TestRestoreActionKinds(t *testing.T) {
	yes := new(true)
	for _, v := range []string{"v7", "v8"} {
		for _, tc := range []struct {
			typ      vb365.SessionType
			act      RestoreAction
			restored int64
		}{
			{vb365.SessionTypeExchange, RestoreAction{Kind: "mailbox", Target: vb365sim.MailboxAdele, CredentialProfile: "m365-admin"}, 120},
			{vb365.SessionTypeExchange, RestoreAction{Kind: "mailbox", Target: vb365sim.MailboxFormer, CredentialProfile: "m365-admin",
				To: &RestoreLocation{Mailbox: vb365sim.MailboxRecovery, Folder: "Isaiah"}}, 45},
			{vb365.SessionTypeExchange, RestoreAction{Kind: "mailboxes", Targets: []string{vb365sim.MailboxAlex, vb365sim.MailboxMegan}, CredentialProfile: "m365-admin"}, 149},
			{vb365.SessionTypeOneDrive, RestoreAction{Kind: "onedrive", Target: vb365sim.MailboxAlex, DocumentAction: "Keep", CredentialProfile: "m365-admin"}, 42},
			{vb365.SessionTypeSharePoint, RestoreAction{Kind: "site", Target: vb365sim.SiteFinance, RestoreSubsites: yes, CredentialProfile: "m365-admin"}, 18},
			{vb365.SessionTypeTeams, RestoreAction{Kind: "channel", Target: vb365sim.TeamFinance, Channel: "General", RestoreMissingItems: yes, CredentialProfile: "m365-admin"}, 10},
		} {
			t.Run(v+"/"+tc.act.Kind, func(t *testing.T) {
				rig := newRestoreRig(t, v, tc.typ)
				res, err := rig.run(t, tc.act)
				require.NoError(t, err)
				assert.Equal(t, "Success", res.State)
				assert.Equal(t, tc.restored, res.Counts.Restored)
				assert.Equal(t, tc.restored, res.Counts.Total)
				assert.NotEmpty(t, res.Resolved)
				assert.Equal(t, rig.session, res.RestoreID)
				assert.False(t, res.Adopted)
				assert.False(t, res.CountsUnknown)
				require.Len(t, rig.sim.Restores(), 1, "restored once")
			})
		}
	}
}

// A mailbox gone from Microsoft 365 fails with VB365's reason.
func TestRestoreActionItemFailure(t *testing.T) {
	for _, v := range []string{"v6", "v8"} {
		rig := newRestoreRig(t, v, vb365.SessionTypeExchange)
		res, err := rig.run(t, RestoreAction{Kind: "mailbox", Target: vb365sim.MailboxFormer, CredentialProfile: "m365-admin"})
		require.NoError(t, err, v)
		assert.Equal(t, "Failed", res.State, v)
		assert.Equal(t, int64(45), res.Counts.Failed, v)
		require.NotEmpty(t, res.FailedItems, v)
		assert.Contains(t, res.FailedItems[0].Reason, "was not found in Microsoft 365", v)
	}
}

// Bad input and bad credentials fail at once with a named error, naming
// what is wrong and never a secret; nothing is restored.
func TestRestoreActionRefused(t *testing.T) {
	rig := newRestoreRig(t, "v8", vb365.SessionTypeExchange)
	for _, tc := range []struct {
		act          RestoreAction
		typ, message string
	}{
		{RestoreAction{Kind: "mailbox", Target: vb365sim.MailboxAdele, CredentialProfile: "nobody"}, ErrTypeInvalidRequest, `"nobody"`},
		{RestoreAction{Kind: "site", Target: vb365sim.SiteFinance}, ErrTypeInvalidRequest, "needs a session of type vesp (SharePoint)"},
		{RestoreAction{Kind: "tape", Target: "x"}, ErrTypeInvalidRequest, `action.kind "tape"`},
		{RestoreAction{Kind: "mailbox", Target: vb365sim.MailboxAdele, To: &RestoreLocation{SiteURL: "https://x"}}, ErrTypeInvalidRequest, "action.to"},
		{RestoreAction{Kind: "mailbox", Target: "nobody@abc.onmicrosoft.com", CredentialProfile: "m365-admin"}, ErrTypeRestoreTargetNotFound, "nobody@abc.onmicrosoft.com"},
		{RestoreAction{Kind: "mailbox", Target: vb365sim.MailboxAdele, CredentialProfile: "wrong"}, ErrTypeVB365, "credentials were refused"},
	} {
		_, err := rig.run(t, tc.act)
		ae := appErr(t, err)
		assert.Equal(t, tc.typ, ae.Type(), "%v", err)
		assert.True(t, ae.NonRetryable(), "%v", err)
		assert.Contains(t, err.Error(), tc.message)
		assert.NotContains(t, err.Error(), "Wrong-Pa55-Secret")
	}
	assert.Empty(t, rig.sim.Restores())
}

// A restore whose answer is lost is found in the session's events and
// followed: restored once, not twice.
func TestRestoreActionLostResponse(t *testing.T) {
	for _, v := range []string{"v7", "v8"} {
		t.Run(v, func(t *testing.T) {
			rig := newRestoreRig(t, v, vb365.SessionTypeExchange)
			rig.sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/" + v + "/RestoreSessions/*/organization/mailboxes/*/restore", DropAfterCommit: true})
			res, err := rig.run(t, RestoreAction{Kind: "mailbox", Target: vb365sim.MailboxAdele, CredentialProfile: "m365-admin"})
			require.NoError(t, err)
			assert.True(t, res.Adopted)
			assert.Equal(t, "Success", res.State)
			require.Len(t, rig.sim.Restores(), 1, "restored once")
			if v == "v8" {
				assert.Equal(t, int64(120), res.Counts.Restored, "v8's statistics give the counts")
				assert.False(t, res.CountsUnknown)
			} else {
				assert.True(t, res.CountsUnknown, "v7 gives the counts only in the lost answer")
				assert.Equal(t, RestoreCounts{}, res.Counts)
			}
		})
	}
}

// An attempt after one that may have sent the request never sends it
// again: it follows the restore it finds, or fails as unknown when there
// is none; after a clean "not sent", it sends.
func TestRestoreActionRetryNeverSendsTwice(t *testing.T) {
	act := RestoreAction{Kind: "mailbox", Target: vb365sim.MailboxAdele, CredentialProfile: "m365-admin"}

	rig := newRestoreRig(t, "v8", vb365.SessionTypeExchange)
	rig.env.SetHeartbeatDetails(restoreProgress{Phase: phaseSending})
	_, err := rig.run(t, act)
	ae := appErr(t, err)
	assert.Equal(t, ErrTypeRestoreActionOutcomeUnknown, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Contains(t, err.Error(), "Check the session's events")
	assert.Empty(t, rig.sim.Restores(), "not sent again")

	rig = newRestoreRig(t, "v8", vb365.SessionTypeExchange)
	_, err = rig.run(t, act) // the first attempt's restore...
	require.NoError(t, err)
	rig.env.SetHeartbeatDetails(restoreProgress{Phase: phaseFollowing})
	res, err := rig.run(t, act) // ...is what a retry follows
	require.NoError(t, err)
	assert.True(t, res.Adopted)
	assert.Len(t, rig.sim.Restores(), 1)

	rig = newRestoreRig(t, "v8", vb365.SessionTypeExchange)
	rig.env.SetHeartbeatDetails(restoreProgress{Phase: phaseNotSent})
	res, err = rig.run(t, act)
	require.NoError(t, err)
	assert.False(t, res.Adopted)
	assert.Len(t, rig.sim.Restores(), 1)
}

// No secret of a credential profile in a result.
func TestRestoreActionResultHoldsNoSecret(t *testing.T) {
	rig := newRestoreRig(t, "v8", vb365.SessionTypeExchange)
	res, err := rig.run(t, RestoreAction{Kind: "mailbox", Target: vb365sim.MailboxAdele, CredentialProfile: "m365-admin"})
	require.NoError(t, err)
	b, err := json.Marshal(res)
	require.NoError(t, err)
	assert.NotContains(t, string(b), vb365sim.RestorePassword)
}

// While a v7 restore request waits for the restore to end, the activity
// keeps heartbeating, recording that the request may have been sent.
func TestRestoreActionHeartbeatsWhileV7Waits(t *testing.T) {
	rig := newRestoreRig(t, "v7", vb365.SessionTypeExchange)
	require.NoError(t, rig.sim.SetRestoreBehaviour(vb365sim.RestoreBehaviour{ItemDuration: new(vb365sim.Duration(5 * time.Millisecond))}))
	var mu sync.Mutex
	sending := 0
	rig.a.heartbeat = func(ctx context.Context, details ...any) {
		if p, ok := details[0].(restoreProgress); ok && p.Phase == phaseSending {
			mu.Lock()
			sending++
			mu.Unlock()
		}
		activity.RecordHeartbeat(ctx, details...)
	}
	res, err := rig.run(t, RestoreAction{Kind: "mailbox", Target: vb365sim.MailboxAdele, CredentialProfile: "m365-admin"})
	require.NoError(t, err)
	assert.Equal(t, int64(120), res.Counts.Restored)
	mu.Lock()
	defer mu.Unlock()
	assert.Greater(t, sending, 10, "heartbeats during the 600ms the restore takes, 10ms apart")
}

// v5 has no restore calls: the action is refused, naming the version.
func TestRestoreActionNeedsV6(t *testing.T) {
	rig := newRestoreRig(t, "v5", vb365.SessionTypeExchange)
	_, err := rig.run(t, RestoreAction{Kind: "mailbox", Target: vb365sim.MailboxAdele, CredentialProfile: "m365-admin"})
	ae := appErr(t, err)
	assert.Equal(t, ErrTypeInvalidRequest, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Contains(t, err.Error(), "restore actions need v6 or later")
}

// Other restores in the same session while an action runs (an operator's
// restore of another mailbox, a single item restored in Veeam Explorer) are
// not the action's: its counts, state and failed items are its own.
func TestRestoreActionCountsBesideOtherRestores(t *testing.T) {
	for _, v := range []string{"v7", "v8"} {
		t.Run(v, func(t *testing.T) {
			rig := newRestoreRig(t, v, vb365.SessionTypeExchange)
			require.NoError(t, rig.sim.SetRestoreBehaviour(vb365sim.RestoreBehaviour{ItemDuration: new(vb365sim.Duration(2 * time.Millisecond))}))
			c := rig.a.cfg.Client.(*vb365.Client)
			megan, err := c.FindMailbox(context.Background(), rig.session, vb365sim.MailboxMegan, false)
			require.NoError(t, err)
			// Room for both results: the hook must never block on a
			// receiver that reads only after the action returns.
			other := make(chan error, 2)
			var once sync.Once
			rig.a.heartbeat = func(ctx context.Context, details ...any) {
				if p, ok := details[0].(restoreProgress); ok && p.Phase == phaseSending {
					once.Do(func() {
						// Megan Bowen's mailbox goes back and one file
						// fails in Veeam Explorer, beside the action.
						go func() {
							_, err := c.RestoreMailbox(context.Background(), rig.session, megan.ID, vb365.MailboxRestoreOptions{
								Credentials: &vb365.RestoreCredentials{UserName: vb365sim.RestoreUserName, Password: vb365.NewSecret(vb365sim.RestorePassword)}})
							other <- err
						}()
						other <- rig.sim.AppendEvent(rig.session, vb365sim.EventInput{Type: "Restore", Status: "Failed", ItemName: "Q3 budget.xlsx", Message: "access denied"})
					})
				}
				activity.RecordHeartbeat(ctx, details...)
			}
			res, err := rig.run(t, RestoreAction{Kind: "mailbox", Target: vb365sim.MailboxAdele, CredentialProfile: "m365-admin"})
			require.NoError(t, err)
			require.NoError(t, <-other)
			require.NoError(t, <-other)
			assert.Equal(t, "Success", res.State)
			assert.Equal(t, RestoreCounts{Total: 120, Restored: 120}, res.Counts)
			assert.Empty(t, res.FailedItems)
			require.Len(t, rig.sim.Restores(), 2)
		})
	}
}

// v8's session statistics: the action's counts are its objects' details
// that the baseline did not hold (an earlier restore of the same mailbox is
// not counted); details without counts (a site's) fall back to what the
// session gained, with only the action's objects as failed items.
func TestRestoreActionFromSessionStatistics(t *testing.T) {
	adele := func(restored, failed int64, err string) vb365.RestoredItem {
		return vb365.RestoredItem{Name: "Adele Vance", MailboxEmail: vb365sim.MailboxAdele, Error: err,
			Counts: &vb365.ItemCounts{Total: restored + failed, Restored: restored, Failed: failed}}
	}
	megan := vb365.RestoredItem{Name: vb365sim.MailboxMegan, Error: "gone", Counts: &vb365.ItemCounts{Total: 64, Failed: 64}}
	before := &vb365.RestoreStatistics{Total: 121, Restored: 120, Failed: 1, Items: []vb365.RestoredItem{adele(120, 0, "")}}
	now := &vb365.RestoreStatistics{Total: 121 + 120 + 64, Restored: 120 + 118, Failed: 1 + 2 + 64, Errors: []string{"gone", "2 failed"},
		Items: []vb365.RestoredItem{adele(120, 0, ""), megan, adele(118, 2, "2 failed")}}
	res := &RestoreActionResult{Target: vb365sim.MailboxAdele}
	res.fromSessionStatistics(now, before, []string{vb365sim.MailboxAdele})
	assert.Equal(t, RestoreCounts{Total: 120, Restored: 118, Failed: 2}, res.Counts)
	assert.Equal(t, "Warning", res.State)
	assert.Equal(t, []RestoreFailedItem{{Name: "Adele Vance", Reason: "2 failed"}}, res.FailedItems)

	site := vb365.RestoredItem{Name: vb365sim.SiteFinance, Status: "Success"}
	res = &RestoreActionResult{Target: vb365sim.SiteFinance}
	res.fromSessionStatistics(&vb365.RestoreStatistics{Total: 19, Restored: 18, Failed: 1, Errors: []string{"gone"}, Items: []vb365.RestoredItem{megan, site}},
		nil, []string{vb365sim.SiteFinance})
	assert.Equal(t, RestoreCounts{Total: 19, Restored: 18, Failed: 1}, res.Counts, "the session's gain")
	assert.Empty(t, res.FailedItems, "another object's failure is not the action's")

	// No details of the action's objects (yet): the errors the session
	// gained are all there is to report.
	res = &RestoreActionResult{Target: vb365sim.SiteFinance}
	res.fromSessionStatistics(&vb365.RestoreStatistics{Total: 18, Failed: 18, Errors: []string{"denied"}}, nil, []string{vb365sim.SiteFinance})
	assert.Equal(t, []RestoreFailedItem{{Name: vb365sim.SiteFinance, Reason: "denied"}}, res.FailedItems)
	assert.Equal(t, "Failed", res.State)
}

// An attempt after one that ended while resolving its target (a heartbeat
// timeout while browsing the session, or queued behind the VB365 budget)
// never reached the restore request: it sends it, once; and if a restore
// of its objects is there after all (the earlier attempt's "sending"
// heartbeat lost in the SDK's batching), it follows that one instead.
func TestRestoreActionRetryAfterResolving(t *testing.T) {
	act := RestoreAction{Kind: "mailbox", Target: vb365sim.MailboxAdele, CredentialProfile: "m365-admin"}
	for _, v := range []string{"v7", "v8"} {
		t.Run(v, func(t *testing.T) {
			rig := newRestoreRig(t, v, vb365.SessionTypeExchange)
			rig.env.SetHeartbeatDetails(restoreProgress{Phase: phaseResolving})
			res, err := rig.run(t, act)
			require.NoError(t, err)
			assert.False(t, res.Adopted)
			assert.Equal(t, "Success", res.State)
			assert.Equal(t, int64(120), res.Counts.Restored)
			assert.Len(t, rig.sim.Restores(), 1, "restored once")

			rig = newRestoreRig(t, v, vb365.SessionTypeExchange)
			_, err = rig.run(t, act) // sent, its "sending" never recorded
			require.NoError(t, err)
			rig.env.SetHeartbeatDetails(restoreProgress{Phase: phaseResolving})
			res, err = rig.run(t, act)
			require.NoError(t, err)
			assert.True(t, res.Adopted)
			assert.Len(t, rig.sim.Restores(), 1, "not sent again")
		})
	}
}

// While it resolves its target (each browse request slow here), the
// activity heartbeats, recording that it is resolving.
func TestRestoreActionHeartbeatsWhileResolving(t *testing.T) {
	rig := newRestoreRig(t, "v8", vb365.SessionTypeExchange)
	rig.sim.AddFault(vb365sim.Fault{Method: "GET", Path: "/v8/RestoreSessions/*/organization/mailboxes", DelayMs: 300, Count: 5})
	var mu sync.Mutex
	resolving := 0
	rig.a.heartbeat = func(ctx context.Context, details ...any) {
		if p, ok := details[0].(restoreProgress); ok && p.Phase == phaseResolving {
			mu.Lock()
			resolving++
			mu.Unlock()
		}
		activity.RecordHeartbeat(ctx, details...)
	}
	res, err := rig.run(t, RestoreAction{Kind: "mailbox", Target: vb365sim.MailboxAdele, CredentialProfile: "m365-admin"})
	require.NoError(t, err)
	assert.Equal(t, "Success", res.State)
	mu.Lock()
	defer mu.Unlock()
	assert.Greater(t, resolving, 10, "heartbeats during a resolve of 300ms or more, 10ms apart")
}
