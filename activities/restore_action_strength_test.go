package activities

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// TestCheckActionToOfAOneDriveAndASite: a OneDrive goes to a OneDrive (and
// a folder), never to a mailbox or a site; a site goes to another site only,
// named, with nothing else set. A valid location passes, each invalid one
// fails naming action.to.
func TestCheckActionToOfAOneDriveAndASite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		typ   vb365.SessionType
		kind  string
		to    RestoreLocation
		valid bool
	}{
		{"onedrive to a onedrive and folder", vb365.SessionTypeOneDrive, RestoreKindOneDrive, RestoreLocation{OneDrive: "b@x", Folder: "f"}, true},
		{"onedrive to a folder of its own", vb365.SessionTypeOneDrive, RestoreKindOneDrive, RestoreLocation{Folder: "f"}, true},
		{"onedrive to a mailbox", vb365.SessionTypeOneDrive, RestoreKindOneDrive, RestoreLocation{OneDrive: "b@x", Mailbox: "m@x"}, false},
		{"onedrive to a site", vb365.SessionTypeOneDrive, RestoreKindOneDrive, RestoreLocation{OneDrive: "b@x", SiteURL: "https://s"}, false},
		{"site to a site", vb365.SessionTypeSharePoint, RestoreKindSite, RestoreLocation{SiteURL: "https://s"}, true},
		{"site to no site", vb365.SessionTypeSharePoint, RestoreKindSite, RestoreLocation{}, false},
		{"site to a site and a mailbox", vb365.SessionTypeSharePoint, RestoreKindSite, RestoreLocation{SiteURL: "https://s", Mailbox: "m@x"}, false},
		{"site to a site and a onedrive", vb365.SessionTypeSharePoint, RestoreKindSite, RestoreLocation{SiteURL: "https://s", OneDrive: "b@x"}, false},
		{"site to a site and a folder", vb365.SessionTypeSharePoint, RestoreKindSite, RestoreLocation{SiteURL: "https://s", Folder: "f"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			to := tc.to
			err := CheckAction(&RestoreAction{Kind: tc.kind, Target: "a", To: &to}, tc.typ, "action")
			if tc.valid {
				require.NoError(t, err)
				return
			}
			var ae *temporal.ApplicationError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, ErrTypeInvalidRequest, ae.Type())
			require.True(t, ae.NonRetryable())
			require.Contains(t, err.Error(), "action.to:")
		})
	}
}

// TestRestoreActionCopiesAOneDriveToTheOneNamed: a OneDrive copied to
// another one goes to the OneDrive of the address named in to.oneDrive;
// with a folder only, to a folder of its own OneDrive (no second lookup).
func TestRestoreActionCopiesAOneDriveToTheOneNamed(t *testing.T) {
	oneDriveURL := func(email string) string {
		return "https://abc-my.sharepoint.com/personal/" + strings.NewReplacer("@", "_", ".", "_").Replace(email)
	}
	for _, tc := range []struct {
		name string
		to   RestoreLocation
		want string
	}{
		{"another onedrive", RestoreLocation{OneDrive: vb365sim.MailboxMegan, Folder: "From Alex"}, "OneDrive " + oneDriveURL(vb365sim.MailboxMegan) + " (folder From Alex)"},
		{"a folder of its own", RestoreLocation{Folder: "Restored"}, "OneDrive " + oneDriveURL(vb365sim.MailboxAlex) + " (folder Restored)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rig := newRestoreRig(t, "v8", vb365.SessionTypeOneDrive)
			to := tc.to
			res, err := rig.run(t, RestoreAction{Kind: RestoreKindOneDrive, Target: vb365sim.MailboxAlex, To: &to, CredentialProfile: "m365-admin"})
			require.NoError(t, err)
			require.Equal(t, "Success", res.State)
			restores := rig.sim.Restores()
			require.Len(t, restores, 1)
			require.Equal(t, "oneDriveCopyTo", restores[0].Kind)
			require.Len(t, restores[0].Items, 1)
			require.Equal(t, tc.want, restores[0].Items[0].Target)
		})
	}
}

// TestRestoreActionTeamResolved: a team restore resolves the team by its
// display name and names it with its id.
func TestRestoreActionTeamResolved(t *testing.T) {
	rig := newRestoreRig(t, "v8", vb365.SessionTypeTeams)
	res, err := rig.run(t, RestoreAction{Kind: RestoreKindTeam, Target: vb365sim.TeamFinance, RestoreMissingItems: new(true), CredentialProfile: "m365-admin"})
	require.NoError(t, err)
	require.Equal(t, "Success", res.State)
	require.Regexp(t, `^Finance \(team [^ ()]+\)$`, res.Resolved)
	require.Len(t, rig.sim.Restores(), 1)
	require.Equal(t, "team", rig.sim.Restores()[0].Kind)
}

// TestRestoreActionTargetNotInTheSession: a target the session does not
// hold fails at once, RestoreTargetNotFound, naming it (each kind, and the
// OneDrive a copy goes to); nothing is restored.
func TestRestoreActionTargetNotInTheSession(t *testing.T) {
	const nobody = "nobody@abc.onmicrosoft.com"
	for _, tc := range []struct {
		name string
		typ  vb365.SessionType
		act  RestoreAction
		what string
	}{
		{"mailboxes", vb365.SessionTypeExchange, RestoreAction{Kind: RestoreKindMailboxes, Targets: []string{vb365sim.MailboxAlex, nobody}}, "mailbox " + nobody},
		{"onedrive", vb365.SessionTypeOneDrive, RestoreAction{Kind: RestoreKindOneDrive, Target: nobody}, "the OneDrive of " + nobody},
		{"onedrive copied to", vb365.SessionTypeOneDrive, RestoreAction{Kind: RestoreKindOneDrive, Target: vb365sim.MailboxAlex, To: &RestoreLocation{OneDrive: nobody}},
			"the target OneDrive of " + nobody},
		{"site", vb365.SessionTypeSharePoint, RestoreAction{Kind: RestoreKindSite, Target: "https://abc.sharepoint.com/sites/Nowhere"}, "site https://abc.sharepoint.com/sites/Nowhere"},
		{"team", vb365.SessionTypeTeams, RestoreAction{Kind: RestoreKindTeam, Target: "No such team", RestoreMembers: new(true)}, "team No such team"},
		{"channel", vb365.SessionTypeTeams, RestoreAction{Kind: RestoreKindChannel, Target: vb365sim.TeamFinance, Channel: "Nowhere", RestoreMissingItems: new(true)},
			"channel Nowhere of team " + vb365sim.TeamFinance},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rig := newRestoreRig(t, "v8", tc.typ)
			_, err := rig.run(t, tc.act)
			var ae *temporal.ApplicationError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, ErrTypeRestoreTargetNotFound, ae.Type())
			require.True(t, ae.NonRetryable())
			require.Contains(t, err.Error(), tc.what+" is not in restore session "+rig.session)
			require.Empty(t, rig.sim.Restores())
		})
	}
}

// eventReads counts the reads of a session's event list.
type eventReads struct {
	*vb365.Client
	mu    sync.Mutex
	reads int
}

func (e *eventReads) ListRestoreSessionEvents(ctx context.Context, id string, opts vb365.ListOptions) (*vb365.Page[vb365.RestoreSessionEvent], error) {
	e.mu.Lock()
	e.reads++
	e.mu.Unlock()
	return e.Client.ListRestoreSessionEvents(ctx, id, opts)
}

// TestRestoreActionFirstAttemptSendsAtOnce: a first attempt, with nothing
// recorded before it, sends its request without looking for a restore an
// earlier attempt may have started (that look reads the events adoptLooks
// times, PollInterval apart): on v7, whose answer comes when the restore is
// done, it reads no event at all.
func TestRestoreActionFirstAttemptSendsAtOnce(t *testing.T) {
	rig := newRestoreRig(t, "v7", vb365.SessionTypeExchange)
	c := &eventReads{Client: rig.a.cfg.Client.(*vb365.Client)}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	a := New(Config{Client: c, RestoreCredentials: simProfiles})
	env.RegisterActivity(a)
	v, err := env.ExecuteActivity(a.RestoreAction, rig.input(RestoreAction{Kind: RestoreKindMailbox, Target: vb365sim.MailboxAdele, CredentialProfile: "m365-admin"}))
	require.NoError(t, err)
	var res RestoreActionResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, "Success", res.State)
	require.Equal(t, 0, c.reads)
}

// TestAdoptFirstLooksAtOnce: the first look for the restore a lost request
// may have started comes without a pause (a pause, even a cancelled one,
// would fail it here: the context is already done).
func TestAdoptFirstLooksAtOnce(t *testing.T) {
	l := newListLog(1, allSuccess)
	l.events[0].Type, l.events[0].ItemName = "Restore", "m"
	a := New(Config{})
	a.heartbeat = func(context.Context, ...any) {}
	in := RestoreActionInput{SessionID: "s", PollInterval: time.Hour, Action: RestoreAction{Kind: RestoreKindMailbox}}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(func(ctx context.Context) (*RestoreActionResult, error) {
		done, cancel := context.WithCancel(ctx)
		cancel()
		return a.adopt(done, restoreLog{l: l}, in, []string{"m"}, &RestoreActionResult{}, nil, vb365.V7, "lost")
	}, activity.RegisterOptions{Name: "adopt"})
	v, err := env.ExecuteActivity("adopt")
	require.NoError(t, err)
	var res RestoreActionResult
	require.NoError(t, v.Get(&res))
	require.True(t, res.Adopted)
	require.Equal(t, "Success", res.State)
}

// TestFromStatisticsWithTheBaselinesWarnings: warnings the baseline already
// held are not the restore's: a restore that adds none is a Success.
func TestFromStatisticsWithTheBaselinesWarnings(t *testing.T) {
	st := &vb365.RestoreStatistics{Total: 5, Restored: 5, Warnings: []string{"throttled"}}
	baseline := &vb365.RestoreStatistics{Total: 2, Restored: 2, Warnings: []string{"throttled"}}
	var res RestoreActionResult
	res.fromStatistics(st, baseline)
	require.Equal(t, RestoreCounts{Total: 3, Restored: 3}, res.Counts)
	require.Equal(t, "Success", res.State)
}

// TestFromSessionStatisticsAnObjectWithAnError: an object of the action
// whose details carry an error, although its counts show nothing failed,
// makes the restore a Warning.
func TestFromSessionStatisticsAnObjectWithAnError(t *testing.T) {
	adele := vb365.RestoredItem{Name: "Adele Vance", MailboxEmail: vb365sim.MailboxAdele, Error: "folder Archive skipped",
		Counts: &vb365.ItemCounts{Total: 120, Restored: 120}}
	res := &RestoreActionResult{Target: vb365sim.MailboxAdele}
	res.fromSessionStatistics(&vb365.RestoreStatistics{Total: 120, Restored: 120, Items: []vb365.RestoredItem{adele}}, nil, []string{vb365sim.MailboxAdele})
	require.Equal(t, RestoreCounts{Total: 120, Restored: 120}, res.Counts)
	require.Equal(t, "Warning", res.State)
	require.Equal(t, []RestoreFailedItem{{Name: "Adele Vance", Reason: "folder Archive skipped"}}, res.FailedItems)
}

// TestFromEventsAWarningAlone: a restore whose objects succeeded or warned,
// none failed, is a Warning.
func TestFromEventsAWarningAlone(t *testing.T) {
	var res RestoreActionResult
	res.fromEvents([]vb365.RestoreSessionEvent{{Status: "Success"}, {Status: "Warning"}})
	require.Equal(t, "Warning", res.State)
	require.True(t, res.CountsUnknown)
	require.Empty(t, res.FailedItems)
}

// writtenLate is a session whose restore event is listed from the second
// read of its events on, as VB365 writes a restore's events a moment after
// it accepted the request.
type writtenLate struct {
	RestoreAPI
	mu    sync.Mutex
	reads int
}

func (w *writtenLate) ListRestoreSessionEvents(_ context.Context, _ string, opts vb365.ListOptions) (*vb365.Page[vb365.RestoreSessionEvent], error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.reads++
	if w.reads == 1 {
		return &vb365.Page[vb365.RestoreSessionEvent]{Offset: opts.Offset, Limit: opts.Limit}, nil
	}
	return &vb365.Page[vb365.RestoreSessionEvent]{Offset: opts.Offset, Limit: opts.Limit,
		Results: []vb365.RestoreSessionEvent{{Order: 0, Type: "Restore", ItemName: "m", Status: "Success"}}}, nil
}

// TestLookForRestoreLooksAgain: a restore whose events are not there at the
// first look is found at a later one.
func TestLookForRestoreLooksAgain(t *testing.T) {
	w := &writtenLate{}
	in := RestoreActionInput{SessionID: "s", PollInterval: time.Nanosecond}
	found, err := New(Config{}).lookForRestore(context.Background(), w, in, []string{"m"})
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, 2, w.reads)
}
