package vb365_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/internal/openapispec"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// validatingProxy serves the simulator and, when specs are given, holds
// every request the client sends and every answer the simulator gives to
// Veeam's document of its version, counting the operations it saw.
type validatingProxy struct {
	t     *testing.T
	sim   http.Handler
	specs map[string]*openapispec.Spec

	mu   sync.Mutex
	seen map[string]int // "METHOD path" with ids as {}
}

func (p *validatingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ver := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0]
	spec := p.specs[ver]
	if spec != nil {
		if err := spec.ValidateRequest(r, body); err != nil {
			p.t.Errorf("client request does not match the %s document: %v", ver, err)
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	p.sim.ServeHTTP(rec, r)
	if spec != nil {
		check := r.Clone(context.Background())
		if err := spec.ValidateResponse(check, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			p.t.Errorf("simulator answer does not match the %s document: %v", ver, err)
		}
	}
	p.mu.Lock()
	p.seen[r.Method+" "+opKey(r.URL.Path)]++
	p.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// opKey replaces the ids of a path with {} so paths of one operation count together.
func opKey(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if len(s) >= 30 || strings.HasPrefix(s, "19:") || strings.HasPrefix(s, "19%3A") {
			segs[i] = "{}"
		}
	}
	return strings.Join(segs, "/")
}

var (
	goodUser = &vb365.RestoreCredentials{UserName: vb365sim.RestoreUserName, Password: vb365.NewSecret(vb365sim.RestorePassword)}
	goodApp  = &vb365.RestoreCredentials{ApplicationID: vb365sim.RestoreApplicationID, ApplicationCertificate: vb365.NewSecret("MIIKcertificate"),
		ApplicationCertificatePassword: vb365.NewSecret(vb365sim.RestoreCertificatePassword), ImpersonationAccountName: vb365sim.RestoreUserName}
	badUser = &vb365.RestoreCredentials{UserName: vb365sim.RestoreUserName, Password: vb365.NewSecret("wrong-Pa55word")}
)

// restoreFixture is a simulator of one version behind a validating proxy,
// on a clock the test moves, with waits that return at once.
type restoreFixture struct {
	sim   *vb365sim.Simulator
	proxy *validatingProxy
	clock *simClock
	c     *vb365.Client
	v8    bool
}

func newRestoreFixture(t *testing.T, v string, specs map[string]*openapispec.Spec) *restoreFixture {
	clock := &simClock{t: time.Now().UTC()}
	sim := vb365sim.New(vb365sim.Options{Username: simUser, Password: simPassword, Versions: []string{v}, Now: clock.Now,
		Sleep: func(context.Context, time.Duration) bool { return true }})
	p := &validatingProxy{t: t, sim: sim.Handler(), specs: specs, seen: map[string]int{}}
	srv := httptest.NewServer(p)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	return &restoreFixture{sim: sim, proxy: p, clock: clock, c: simClient(t, srv.URL, nil), v8: v == "v8"}
}

func (f *restoreFixture) session(t *testing.T, typ vb365.SessionType) string {
	t.Helper()
	s, err := f.c.StartRestoreSession(context.Background(), vb365sim.SeedOrganizationID, vb365.ExploreRequest{DateTime: seedPoint, Type: typ})
	require.NoError(t, err)
	return s.ID
}

// settle lets the session's scripted events and v8's restores run to their
// end (v6/v7 answered when done), well within the idle timeout.
func (f *restoreFixture) settle() { f.clock.Advance(10 * time.Minute) }

// checkResult holds a restore's answer to its version: v8 names the
// session to follow, v6/v7 bring the statistics.
func (f *restoreFixture) checkResult(t *testing.T, sessionID string, r *vb365.RestoreResult, restored, failed int64) {
	t.Helper()
	if f.v8 {
		assert.Equal(t, sessionID, r.RestoreSessionID)
		assert.False(t, r.Done())
		return
	}
	require.True(t, r.Done())
	assert.Empty(t, r.RestoreSessionID)
	assert.Equal(t, restored, r.Statistics.Restored, "restored")
	assert.Equal(t, failed, r.Statistics.Failed, "failed")
	assert.Equal(t, restored+failed, r.Statistics.Total, "total")
}

// runRestoreFlow exercises every browse and restore call on one version.
func runRestoreFlow(t *testing.T, v string, specs map[string]*openapispec.Spec) *restoreFixture {
	f := newRestoreFixture(t, v, specs)
	ctx := context.Background()
	c := f.c

	t.Run("mailboxes", func(t *testing.T) {
		sid := f.session(t, vb365.SessionTypeExchange)
		// The session's own scripted events count in its statistics:
		// let them happen first, and count from there.
		base := &vb365.RestoreStatistics{}
		if f.v8 {
			f.settle()
			var err error
			base, err = c.GetRestoreStatistics(ctx, sid)
			require.NoError(t, err)
		}
		p, err := c.ListMailboxes(ctx, sid, vb365.ListOptions{Limit: 3})
		require.NoError(t, err)
		assert.Len(t, p.Results, 3)
		assert.True(t, p.HasNext)
		p2, err := c.ListMailboxes(ctx, sid, vb365.ListOptions{Offset: 3, Limit: 10})
		require.NoError(t, err)
		assert.Len(t, p2.Results, 4)
		assert.False(t, p2.HasNext)

		adele, err := c.FindMailbox(ctx, sid, "Adele.Vance@abc.onmicrosoft.com", false)
		require.NoError(t, err)
		assert.Equal(t, "Adele Vance", adele.Name)
		archive, err := c.FindMailbox(ctx, sid, vb365sim.MailboxAdele, true)
		require.NoError(t, err)
		assert.True(t, archive.IsArchive)
		assert.NotEqual(t, adele.ID, archive.ID)
		_, err = c.FindMailbox(ctx, sid, "nobody@abc.onmicrosoft.com", false)
		assert.True(t, vb365.IsItemNotFound(err), "%v", err)

		r, err := c.RestoreMailbox(ctx, sid, adele.ID, vb365.MailboxRestoreOptions{Credentials: goodUser})
		require.NoError(t, err)
		f.checkResult(t, sid, r, 120, 0)

		_, err = c.RestoreMailbox(ctx, sid, adele.ID, vb365.MailboxRestoreOptions{Credentials: badUser})
		require.Error(t, err)
		assert.Equal(t, 400, vb365.StatusCode(err))
		assert.Contains(t, err.Error(), "credentials were refused")
		assert.NotContains(t, err.Error(), "wrong-Pa55word")
		assert.False(t, vb365.IsTransient(err))
		assert.False(t, vb365.IsRestoreOutcomeUnknown(err))

		former, err := c.FindMailbox(ctx, sid, vb365sim.MailboxFormer, false)
		require.NoError(t, err)
		r, err = c.RestoreMailbox(ctx, sid, former.ID, vb365.MailboxRestoreOptions{Credentials: goodApp})
		require.NoError(t, err, "VB365 accepts it; the mailbox fails")
		f.checkResult(t, sid, r, 0, 45)
		if !f.v8 {
			require.NotEmpty(t, r.Statistics.Errors)
			assert.Contains(t, r.Statistics.Errors[0], "was not found in Microsoft 365")
		}

		r, err = c.RestoreMailboxTo(ctx, sid, former.ID, vb365.MailboxRestoreToOptions{Mailbox: vb365sim.MailboxRecovery,
			Folder: "Isaiah Langer", ChangedItems: new(true), DeletedItems: new(true), OfficeRegion: "worldwide", Credentials: goodUser})
		require.NoError(t, err)
		f.checkResult(t, sid, r, 45, 0)

		alex, err := c.FindMailbox(ctx, sid, vb365sim.MailboxAlex, false)
		require.NoError(t, err)
		megan, err := c.FindMailbox(ctx, sid, vb365sim.MailboxMegan, false)
		require.NoError(t, err)
		r, err = c.RestoreMailboxes(ctx, sid, vb365.BulkMailboxRestoreOptions{Mailboxes: []vb365.Mailbox{*alex, *megan}, SkipUnresolved: new(true), Credentials: goodUser})
		require.NoError(t, err)
		f.checkResult(t, sid, r, 85+64, 0)
		if !f.v8 {
			require.Len(t, r.Statistics.Items, 2)
			assert.Equal(t, vb365sim.MailboxAlex, r.Statistics.Items[0].Name)
			assert.Equal(t, "Success", r.Statistics.Items[1].Status)
		}

		f.settle()
		st, err := c.GetRestoreStatistics(ctx, sid)
		if !f.v8 {
			assert.ErrorIs(t, err, vb365.ErrUnsupportedVersion)
			return
		}
		require.NoError(t, err)
		assert.Equal(t, int64(120+45+45+85+64), st.Total-base.Total)
		assert.Equal(t, int64(120+45+85+64), st.Restored-base.Restored)
		assert.Equal(t, int64(45), st.Failed-base.Failed)
		require.Len(t, st.Errors, len(base.Errors)+1)
		assert.Contains(t, st.Errors, "Mailbox "+vb365sim.MailboxFormer+" was not found in Microsoft 365: it may have been deleted since the backup. Restore it to another mailbox.")
		assert.Len(t, st.Items, 5)

		ev, err := c.ListRestoreSessionEvents(ctx, sid, vb365.ListOptions{Limit: 100})
		require.NoError(t, err)
		statuses := map[string]int{}
		for _, e := range ev.Results {
			if e.Type == "Restore" && e.ItemType == "Mailbox" {
				statuses[e.Status]++
			}
		}
		assert.Equal(t, map[string]int{"Success": 4, "Failed": 1}, statuses)
	})

	t.Run("OneDrives", func(t *testing.T) {
		sid := f.session(t, vb365.SessionTypeOneDrive)
		alex, err := c.FindOneDrive(ctx, sid, vb365sim.MailboxAlex)
		require.NoError(t, err)
		assert.Equal(t, "https://abc-my.sharepoint.com/personal/alex_wilber_abc_onmicrosoft_com", alex.URL)
		megan, err := c.FindOneDrive(ctx, sid, vb365sim.MailboxMegan)
		require.NoError(t, err)
		_, err = c.FindOneDrive(ctx, sid, vb365sim.MailboxRecovery)
		assert.True(t, vb365.IsItemNotFound(err), "%v", err)

		r, err := c.RestoreOneDrive(ctx, sid, alex.ID, vb365.OneDriveRestoreOptions{DocumentAction: vb365.DocumentActionKeep, Credentials: goodUser})
		require.NoError(t, err)
		f.checkResult(t, sid, r, 42, 0)
		r, err = c.CopyOneDriveTo(ctx, sid, alex.ID, vb365.OneDriveCopyToOptions{Target: megan, Folder: "Alex Wilber",
			DocumentVersion: vb365.DocumentVersionLast, DocumentLastVersionAction: vb365.DocumentLastVersionMerge, RestorePermissions: new(false), Credentials: goodUser})
		require.NoError(t, err)
		f.checkResult(t, sid, r, 42, 0)
		_, err = c.RestoreOneDrive(ctx, sid, alex.ID, vb365.OneDriveRestoreOptions{DocumentAction: "Replace", Credentials: goodUser})
		assert.ErrorIs(t, err, vb365.ErrInvalidArgument)
		assert.Contains(t, err.Error(), `documentAction "Replace"`)
	})

	t.Run("sites", func(t *testing.T) {
		sid := f.session(t, vb365.SessionTypeSharePoint)
		finance, err := c.FindSite(ctx, sid, vb365sim.SiteFinance+"/")
		require.NoError(t, err)
		assert.Equal(t, "Finance", finance.Name)
		payroll, err := c.FindSite(ctx, sid, strings.ToUpper(vb365sim.SitePayroll))
		require.NoError(t, err, "a subsite is found under its parent")
		assert.Equal(t, "Payroll", payroll.Name)
		_, err = c.FindSite(ctx, sid, vb365sim.SiteFinance+"/Nothing")
		assert.True(t, vb365.IsItemNotFound(err), "%v", err)
		subs, err := c.ListSites(ctx, sid, vb365.ListSitesOptions{ParentID: finance.ID})
		require.NoError(t, err)
		require.Len(t, subs.Results, 1)

		r, err := c.RestoreSite(ctx, sid, finance.ID, vb365.SiteRestoreOptions{RestoreSubsites: new(true), RestorePermissions: new(true),
			RestoreListViews: new(true), DocumentVersion: vb365.DocumentVersionAll, Credentials: goodApp})
		require.NoError(t, err)
		f.checkResult(t, sid, r, 12+1+4+1, 0)
		r, err = c.RestoreSiteTo(ctx, sid, payroll.ID, vb365.SiteRestoreToOptions{SiteURL: vb365sim.SiteMarketing, Credentials: goodUser})
		require.NoError(t, err)
		f.checkResult(t, sid, r, 4+1, 0)
	})

	t.Run("teams", func(t *testing.T) {
		sid := f.session(t, vb365.SessionTypeTeams)
		team, err := c.FindTeam(ctx, sid, "finance")
		require.NoError(t, err)
		assert.Equal(t, vb365sim.TeamFinance, team.DisplayName)
		ch, err := c.FindChannel(ctx, sid, team.ID, "quarterly close")
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(ch.ID, "19:"), ch.ID)
		if f.v8 {
			assert.Equal(t, team.ID, ch.TeamID)
		}
		_, err = c.FindTeam(ctx, sid, "Nobody's team")
		assert.True(t, vb365.IsItemNotFound(err), "%v", err)
		_, err = c.ListMailboxes(ctx, sid, vb365.ListOptions{})
		assert.Equal(t, 400, vb365.StatusCode(err), "a Teams session holds no mailboxes: %v", err)

		r, err := c.RestoreTeam(ctx, sid, team.ID, vb365.TeamRestoreOptions{RestoreChangedItems: true, RestoreMissingItems: true,
			RestoreMembers: true, RestoreSettings: true, Credentials: goodApp})
		require.NoError(t, err)
		f.checkResult(t, sid, r, 3+10+17+24, 0)
		r, err = c.RestoreChannel(ctx, sid, team.ID, ch.ID, vb365.ChannelRestoreOptions{RestoreChangedItems: true, RestoreMissingItems: true, Credentials: goodUser})
		require.NoError(t, err)
		f.checkResult(t, sid, r, 17, 0)
		_, err = c.RestoreChannel(ctx, sid, team.ID, ch.ID, vb365.ChannelRestoreOptions{RestoreMissingItems: true, RestoreMembers: new(true), Credentials: goodUser})
		if f.v8 {
			require.NoError(t, err)
		} else {
			assert.ErrorIs(t, err, vb365.ErrUnsupportedVersion)
		}
	})
	return f
}

// The client's restore and browse calls against the simulator, v6 to v8.
func TestRestoreCallsAgainstSimulator(t *testing.T) {
	for _, v := range []string{"v6", "v7", "v8"} {
		t.Run(v, func(t *testing.T) { runRestoreFlow(t, v, nil) })
	}
}

// Every exchange of the restore calls, the client's requests and the
// simulator's answers (errors included), validated against Veeam's
// document of its version.
func TestRestoreContract(t *testing.T) {
	for _, v := range openapispec.Versions {
		t.Run(v, func(t *testing.T) {
			spec := openapispec.Require(t, v)
			f := runRestoreFlow(t, v, map[string]*openapispec.Spec{v: spec})
			for _, op := range []string{
				"GET /" + v + "/RestoreSessions/{}/organization/mailboxes",
				"POST /" + v + "/RestoreSessions/{}/organization/mailboxes/{}/restore",
				"POST /" + v + "/RestoreSessions/{}/organization/mailboxes/{}/restoreTo",
				"POST /" + v + "/RestoreSessions/{}/organization/mailboxes/restore",
				"GET /" + v + "/RestoreSessions/{}/Organization/OneDrives",
				"POST /" + v + "/RestoreSessions/{}/Organization/OneDrives/{}/restore",
				"POST /" + v + "/RestoreSessions/{}/Organization/OneDrives/{}/copyTo",
				"GET /" + v + "/RestoreSessions/{}/Organization/Sites",
				"POST /" + v + "/RestoreSessions/{}/Organization/Sites/{}/restore",
				"POST /" + v + "/RestoreSessions/{}/Organization/Sites/{}/restoreTo",
				"GET /" + v + "/RestoreSessions/{}/organization/teams",
				"GET /" + v + "/RestoreSessions/{}/organization/teams/{}/channels",
				"POST /" + v + "/RestoreSessions/{}/organization/teams/{}/restore",
				"POST /" + v + "/RestoreSessions/{}/organization/teams/{}/channels/{}/restore",
			} {
				assert.Positive(t, f.proxy.seen[op], "operation %q never exercised; seen %v", op, f.proxy.seen)
			}
			if v == "v8" {
				assert.Positive(t, f.proxy.seen["GET /v8/RestoreSessions/{}/Statistics"])
			}
		})
	}
}

// A restore whose answer is lost is reported as such, and VB365 (the
// simulator) restored once.
func TestRestoreLostResponse(t *testing.T) {
	for _, v := range []string{"v7", "v8"} {
		t.Run(v, func(t *testing.T) {
			f := newRestoreFixture(t, v, nil)
			ctx := context.Background()
			sid := f.session(t, vb365.SessionTypeExchange)
			m, err := f.c.FindMailbox(ctx, sid, vb365sim.MailboxAdele, false)
			require.NoError(t, err)
			f.sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/" + v + "/RestoreSessions/*/organization/mailboxes/*/restore", DropAfterCommit: true})
			_, err = f.c.RestoreMailbox(ctx, sid, m.ID, vb365.MailboxRestoreOptions{Credentials: goodUser})
			require.Error(t, err)
			assert.True(t, vb365.IsRestoreOutcomeUnknown(err), "%v", err)
			require.Len(t, f.sim.Restores(), 1, "the restore ran although its answer was lost")

			// A 504 from a gateway leaves the outcome unknown too; a 503
			// with VB365's error body says it did not start.
			f.sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/" + v + "/RestoreSessions/*/organization/mailboxes/*/restore", Status: 504})
			_, err = f.c.RestoreMailbox(ctx, sid, m.ID, vb365.MailboxRestoreOptions{Credentials: goodUser})
			assert.True(t, vb365.IsRestoreOutcomeUnknown(err), "%v", err)
			f.sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/" + v + "/RestoreSessions/*/organization/mailboxes/*/restore", Status: 503})
			_, err = f.c.RestoreMailbox(ctx, sid, m.ID, vb365.MailboxRestoreOptions{Credentials: goodUser})
			assert.False(t, vb365.IsRestoreOutcomeUnknown(err), "%v", err)
			assert.True(t, vb365.IsTransient(err))
			assert.Len(t, f.sim.Restores(), 1)
		})
	}
}

// A throttled Microsoft 365 makes items warn and fail; the counts say so.
func TestRestoreThrottled(t *testing.T) {
	for _, v := range []string{"v6", "v8"} {
		t.Run(v, func(t *testing.T) {
			f := newRestoreFixture(t, v, nil)
			require.NoError(t, f.sim.SetRestoreBehaviour(vb365sim.RestoreBehaviour{Throttled: new(true)}))
			ctx := context.Background()
			sid := f.session(t, vb365.SessionTypeExchange)
			f.settle() // the session's scripted events first
			m, err := f.c.FindMailbox(ctx, sid, vb365sim.MailboxLynne, false)
			require.NoError(t, err)
			base := &vb365.RestoreStatistics{}
			if f.v8 {
				base, err = f.c.GetRestoreStatistics(ctx, sid)
				require.NoError(t, err)
			}
			r, err := f.c.RestoreMailbox(ctx, sid, m.ID, vb365.MailboxRestoreOptions{Credentials: goodUser})
			require.NoError(t, err)
			st := r.Statistics
			if f.v8 {
				f.settle()
				st, err = f.c.GetRestoreStatistics(ctx, sid)
				require.NoError(t, err)
				st.Total -= base.Total
				st.Restored -= base.Restored
				st.Failed -= base.Failed
				st.Warnings = st.Warnings[len(base.Warnings):]
				st.Errors = st.Errors[len(base.Errors):]
			}
			require.NotNil(t, st)
			assert.Equal(t, int64(140), st.Total)
			assert.Equal(t, int64(2), st.Failed)
			assert.Equal(t, int64(138), st.Restored)
			require.Len(t, st.Warnings, 1)
			assert.Contains(t, st.Warnings[0], "HTTP 429")
			require.Len(t, st.Errors, 1)
		})
	}
}

// v5 has no restore calls: the client says so and sends nothing.
func TestRestoreCallsNeedV6(t *testing.T) {
	sim, srv := startSim(t, func(o *vb365sim.Options) { o.Versions = []string{"v5"} })
	c := simClient(t, srv.URL, nil)
	ctx := context.Background()
	_, err := c.ListMailboxes(ctx, "8caccbcb-3e6c-4e55-83b2-d7d196e11cbe", vb365.ListOptions{})
	assert.ErrorIs(t, err, vb365.ErrUnsupportedVersion)
	assert.Contains(t, err.Error(), "restore actions need v6 or later")
	_, err = c.RestoreMailbox(ctx, "8caccbcb-3e6c-4e55-83b2-d7d196e11cbe", "5b1b4bb6-2cf0-4d6e-9b0e-0c1c1b2b3a01", vb365.MailboxRestoreOptions{Credentials: goodUser})
	assert.ErrorIs(t, err, vb365.ErrUnsupportedVersion)
	assert.False(t, vb365.IsTransient(err))
	for k := range sim.Stats().Requests {
		assert.NotContains(t, k, "RestoreSessions", "nothing was sent")
	}
}

// A credential's secrets never show when it is printed or marshalled.
func TestRestoreCredentialsRedacted(t *testing.T) {
	for _, s := range []string{fmt.Sprintf("%v", *goodApp), fmt.Sprintf("%+v", goodApp), fmt.Sprintf("%#v", *goodApp), fmt.Sprint(goodApp.Password)} {
		assert.NotContains(t, s, vb365sim.RestoreCertificatePassword)
		assert.NotContains(t, s, "MIIKcertificate")
	}
	b, err := json.Marshal(goodUser)
	require.NoError(t, err)
	assert.NotContains(t, string(b), vb365sim.RestorePassword)
	assert.Equal(t, vb365sim.RestorePassword, goodUser.Password.Reveal())
}
