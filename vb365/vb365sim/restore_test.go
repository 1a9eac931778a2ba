package vb365sim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/internal/openapispec"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

const goodCreds = `"userName":"` + vb365sim.RestoreUserName + `","userPassword":"` + vb365sim.RestorePassword + `"`

// restoreSim is a simulator on a fake clock whose waits are recorded, not
// waited, with a logged-in token of one version.
type restoreSim struct {
	t     *testing.T
	sim   *vb365sim.Simulator
	h     http.Handler
	clock *fakeClock
	sleep *sleepRecorder
	ver   string
	tok   string
	spec  *openapispec.Spec // nil: responses not validated
}

func newRestoreSim(t *testing.T, ver string, spec *openapispec.Spec) *restoreSim {
	clock, sleep := newFakeClock(start), &sleepRecorder{}
	sim := newSim(t, vb365sim.Options{Now: clock.Now, Sleep: sleep.Sleep})
	r := &restoreSim{t: t, sim: sim, h: sim.Handler(), clock: clock, sleep: sleep, ver: ver, spec: spec}
	r.tok = login(t, r.h, ver)
	return r
}

// do sends one request; with a spec, the request (unless bad) and the
// answer are validated against it.
func (r *restoreSim) do(method, path, body string, badRequest bool) reply {
	r.t.Helper()
	target := "/" + r.ver + path
	req := newRequest(method, target, r.tok, "", body)
	if r.spec != nil && !badRequest {
		require.NoError(r.t, r.spec.ValidateRequest(req, []byte(body)))
	}
	resp := serve(r.h, newRequest(method, target, r.tok, "", body))
	if r.spec != nil {
		assert.NoError(r.t, r.spec.ValidateResponse(req, resp.status, resp.header, resp.body), "%s %s", method, path)
	}
	return resp
}

func (r *restoreSim) session(typ string) string {
	r.t.Helper()
	resp := r.do("POST", "/Organizations/"+vb365sim.SeedOrganizationID+"/explore", `{"dateTime":"2020-10-30T10:54:40Z","type":"`+typ+`"}`, false)
	require.Contains(r.t, []int{200, 201}, resp.status, string(resp.body))
	return resp.json(r.t)["id"].(string)
}

// first returns the id of the first result of a list whose field equals value.
func (r *restoreSim) first(path, field, value string) string {
	r.t.Helper()
	resp := r.do("GET", path, "", false)
	require.Equal(r.t, 200, resp.status, string(resp.body))
	for _, it := range resp.json(r.t)["results"].([]any) {
		m := it.(map[string]any)
		if strings.EqualFold(m[field].(string), value) {
			return m["id"].(string)
		}
	}
	r.t.Fatalf("%s: no %s %q", path, field, value)
	return ""
}

// The answers a client of this project never provokes, held to Veeam's
// documents: single items, filters, and every refusal.
func TestRestoreEndpointsContract(t *testing.T) {
	for _, ver := range []string{"v6", "v7", "v8"} {
		t.Run(ver, func(t *testing.T) {
			r := newRestoreSim(t, ver, openapispec.Require(t, ver))
			vex, vet, vesp, veod := r.session("Vex"), r.session("Vet"), r.session("Vesp"), r.session("Veod")
			mb := r.first("/RestoreSessions/"+vex+"/organization/mailboxes?limit=100", "email", vb365sim.MailboxAlex)
			base := "/RestoreSessions/" + vex + "/organization/mailboxes/" + mb

			got := r.do("GET", base, "", false)
			require.Equal(t, 200, got.status)
			assert.Equal(t, "Alex Wilber", got.json(t)["name"])
			assert.Equal(t, 404, r.do("GET", "/RestoreSessions/"+vex+"/organization/mailboxes/11111111-2222-4333-8444-555555555555", "", false).status)
			assert.Equal(t, 400, r.do("GET", "/RestoreSessions/"+vet+"/organization/mailboxes", "", false).status, "a Teams session holds no mailboxes")
			assert.Equal(t, 400, r.do("POST", base+"/restore", `{}`, false).status, "no credentials")
			assert.Equal(t, 400, r.do("POST", base+"/restore", `{"userName":`, true).status, "malformed body")
			assert.Equal(t, 400, r.do("POST", base+"/restoreTo", `{`+goodCreds+`}`, false).status, "no target mailbox")
			assert.Equal(t, 400, r.do("POST", base+"/restoreTo", `{"mailbox":"x@abc.onmicrosoft.com","officeRegion":"Mars",`+goodCreds+`}`, true).status, "bad enum")
			badUser := r.do("POST", base+"/restore", `{"userName":"`+vb365sim.RestoreUserName+`","userPassword":"nope"}`, false)
			assert.Equal(t, 400, badUser.status)
			assert.Contains(t, badUser.json(t)["message"], "AADSTS50126")
			bad := r.do("POST", base+"/restore", `{"applicationId":"`+vb365sim.RestoreApplicationID+`","applicationCertificate":"MII","applicationCertificatePassword":"nope"}`, false)
			assert.Equal(t, 400, bad.status)
			assert.Contains(t, bad.json(t)["message"], "credentials were refused")
			if ver == "v8" {
				assert.Equal(t, "ResourceAccessDenied", bad.json(t)["errorCode"])
			}
			assert.Equal(t, 404, r.do("POST", "/RestoreSessions/"+vex+"/organization/mailboxes/restore",
				`{"mailboxes":[{"id":"11111111-2222-4333-8444-555555555555"}],`+goodCreds+`}`, false).status)
			assert.Empty(t, r.sim.Restores(), "no refused request restored anything")

			od := r.first("/RestoreSessions/"+veod+"/Organization/OneDrives", "url", "https://abc-my.sharepoint.com/personal/megan_bowen_abc_onmicrosoft_com")
			assert.Equal(t, 200, r.do("GET", "/RestoreSessions/"+veod+"/Organization/OneDrives/"+od, "", false).status)
			assert.Equal(t, 404, r.do("GET", "/RestoreSessions/"+veod+"/Organization/OneDrives/nope", "", false).status)
			assert.Equal(t, 400, r.do("POST", "/RestoreSessions/"+veod+"/Organization/OneDrives/"+od+"/restore", `{"documentAction":"Replace",`+goodCreds+`}`, true).status)

			fin := r.first("/RestoreSessions/"+vesp+"/Organization/Sites", "url", vb365sim.SiteFinance)
			subs := r.do("GET", "/RestoreSessions/"+vesp+"/Organization/Sites?parentId="+fin, "", false)
			require.Equal(t, 200, subs.status)
			require.Len(t, subs.json(t)["results"], 1)
			assert.Equal(t, 200, r.do("GET", "/RestoreSessions/"+vesp+"/Organization/Sites/"+fin, "", false).status)
			assert.Equal(t, 400, r.do("POST", "/RestoreSessions/"+vesp+"/Organization/Sites/"+fin+"/restoreTo", `{`+goodCreds+`}`, false).status, "no siteURL")

			teams := r.do("GET", "/RestoreSessions/"+vet+"/organization/teams?displayName="+url.QueryEscape("sales*KET?NG"), "", false)
			require.Equal(t, 200, teams.status)
			res := teams.json(t)["results"].([]any)
			require.Len(t, res, 1, "displayName filters by contains, with wildcards")
			team := res[0].(map[string]any)["id"].(string)
			assert.Equal(t, 200, r.do("GET", "/RestoreSessions/"+vet+"/organization/teams/"+team, "", false).status)
			ch := r.first("/RestoreSessions/"+vet+"/organization/teams/"+team+"/channels?displayName=monthly", "displayName", "Monthly Reports")
			chPath := "/RestoreSessions/" + vet + "/organization/teams/" + team + "/channels/" + url.PathEscape(ch)
			assert.Equal(t, 200, r.do("GET", chPath, "", false).status)
			assert.Equal(t, 404, r.do("GET", "/RestoreSessions/"+vet+"/organization/teams/"+team+"/channels/19:nope@thread.tacv2", "", false).status)
			assert.Equal(t, 400, r.do("POST", "/RestoreSessions/"+vet+"/organization/teams/"+team+"/restore", `{"restoreChangedItems":true,`+goodCreds+`}`, true).status,
				"the four choices are required")
			assert.Equal(t, 400, r.do("POST", chPath+"/restore", `{"restoreChangedItems":true,`+goodCreds+`}`, true).status)

			// A stopped session restores nothing.
			stop := 200
			if ver == "v8" {
				stop = 204
			}
			require.Equal(t, stop, r.do("POST", "/RestoreSessions/"+vex+"/Stop", "", false).status)
			stopped := r.do("POST", base+"/restore", `{`+goodCreds+`}`, false)
			assert.Equal(t, 409, stopped.status)
			assert.Empty(t, r.sim.Restores())
		})
	}
}

// v6 and v7 answer a restore when it is done: the simulator waits as long
// as the restore takes and answers with its statistics, its events ended.
func TestRestoreBlocksOnV6V7(t *testing.T) {
	for _, ver := range []string{"v6", "v7"} {
		t.Run(ver, func(t *testing.T) {
			r := newRestoreSim(t, ver, nil)
			vex := r.session("Vex")
			mb := r.first("/RestoreSessions/"+vex+"/organization/mailboxes", "email", vb365sim.MailboxAdele)
			r.sleep.take()
			resp := r.do("POST", "/RestoreSessions/"+vex+"/organization/mailboxes/"+mb+"/restore", `{`+goodCreds+`}`, false)
			require.Equal(t, 200, resp.status, string(resp.body))
			assert.Equal(t, []time.Duration{120 * vb365sim.DefaultRestoreItemDuration}, r.sleep.take(), "waited for the restore")
			m := resp.json(t)
			assert.EqualValues(t, 90, m["createdItemsCount"])
			assert.EqualValues(t, 30, m["mergedItemsCount"])
			assert.EqualValues(t, 0, m["failedItemsCount"])

			events := r.do("GET", "/RestoreSessions/"+vex+"/Events?limit=100", "", false).json(t)["results"].([]any)
			last := events[len(events)-1].(map[string]any)
			assert.Equal(t, "Restore", last["type"])
			assert.Equal(t, "Success", last["status"], "ended when the answer came")
			assert.Equal(t, vb365sim.MailboxAdele, last["itemName"])
			require.Len(t, r.sim.Restores(), 1)
			assert.Equal(t, "mailbox", r.sim.Restores()[0].Kind)
		})
	}
}

// v8 answers at once; the restore's event runs, Statistics grows, and a
// stop cancels what still runs.
func TestRestoreRunsOnV8(t *testing.T) {
	r := newRestoreSim(t, "v8", nil)
	require.NoError(t, r.sim.SetRestoreBehaviour(vb365sim.RestoreBehaviour{ItemDuration: new(vb365sim.Duration(time.Second))}))
	vex := r.session("Vex")
	r.clock.Advance(time.Minute) // the session's scripted events end
	before := r.do("GET", "/RestoreSessions/"+vex+"/Statistics", "", false).json(t)
	mb := r.first("/RestoreSessions/"+vex+"/organization/mailboxes", "email", vb365sim.MailboxAlex)
	resp := r.do("POST", "/RestoreSessions/"+vex+"/organization/mailboxes/"+mb+"/restore", `{`+goodCreds+`}`, false)
	require.Equal(t, 200, resp.status, string(resp.body))
	assert.Equal(t, vex, resp.json(t)["sessionId"])
	assert.Empty(t, r.sleep.take(), "v8 does not wait")

	count := func(name string) float64 {
		st := r.do("GET", "/RestoreSessions/"+vex+"/Statistics", "", false).json(t)
		return st[name].(float64) - before[name].(float64)
	}
	assert.EqualValues(t, 85, count("totalItemsCount"))
	assert.EqualValues(t, 0, count("restoredItemsCount"))
	r.clock.Advance(40 * time.Second)
	assert.EqualValues(t, 40, count("restoredItemsCount"), "restored in proportion to the time gone")
	events := r.do("GET", "/RestoreSessions/"+vex+"/Events?limit=100", "", false).json(t)["results"].([]any)
	assert.Equal(t, "Running", events[len(events)-1].(map[string]any)["status"])
	r.clock.Advance(time.Minute)
	assert.EqualValues(t, 85, count("restoredItemsCount"))

	// A second restore, cut short by a stop.
	resp = r.do("POST", "/RestoreSessions/"+vex+"/organization/mailboxes/"+mb+"/restore", `{`+goodCreds+`}`, false)
	require.Equal(t, 200, resp.status)
	r.clock.Advance(10 * time.Second)
	require.NoError(t, r.sim.StopSession(vex))
	events = r.do("GET", "/RestoreSessions/"+vex+"/Events?limit=100", "", false).json(t)["results"].([]any)
	assert.Equal(t, "Cancelled", events[len(events)-2].(map[string]any)["status"])
	assert.EqualValues(t, 85, count("failedItemsCount"))
}

func TestSetRestoreBehaviourRefusesNegative(t *testing.T) {
	sim := newSim(t, vb365sim.Options{})
	assert.Error(t, sim.SetRestoreBehaviour(vb365sim.RestoreBehaviour{ItemDuration: new(vb365sim.Duration(-time.Second))}))
}

// The restore switches and the restores accepted, over the control endpoints.
func TestRestoreControlEndpoints(t *testing.T) {
	r := newRestoreSim(t, "v8", nil)
	h := r.h
	got := do(t, h, "GET", "/_sim/restore-behaviour", "", "")
	require.Equal(t, 200, got.status)
	assert.Equal(t, map[string]any{"itemDuration": "20ms", "throttled": false}, got.json(t))
	put := do(t, h, "PUT", "/_sim/restore-behaviour", "", `{"itemDuration":"1s","throttled":true}`)
	require.Equal(t, 200, put.status, string(put.body))
	assert.Equal(t, map[string]any{"itemDuration": "1s", "throttled": true}, put.json(t))
	assert.Equal(t, 400, do(t, h, "PUT", "/_sim/restore-behaviour", "", `{"itemDuration":"-1s"}`).status)
	assert.Equal(t, 400, do(t, h, "PUT", "/_sim/restore-behaviour", "", `{"slow":true}`).status)

	vex := r.session("Vex")
	mb := r.first("/RestoreSessions/"+vex+"/organization/mailboxes", "email", vb365sim.MailboxMegan)
	require.Equal(t, 200, r.do("POST", "/RestoreSessions/"+vex+"/organization/mailboxes/"+mb+"/restore", `{`+goodCreds+`}`, false).status)
	r.clock.Advance(2 * time.Minute) // 64 items, 1s each
	list := do(t, h, "GET", "/_sim/restores", "", "")
	require.Equal(t, 200, list.status)
	var views []vb365sim.RestoreView
	require.NoError(t, json.Unmarshal(list.body, &views))
	require.Len(t, views, 1)
	assert.Equal(t, vex, views[0].SessionID)
	require.Len(t, views[0].Items, 1)
	assert.Equal(t, "Warning", views[0].Items[0].Status, "throttled")
	assert.Equal(t, int64(1), views[0].Items[0].Failed)
}

// A long restore keeps its session open: the idle timeout counts from its end.
func TestRestoreKeepsSessionFromIdleTimeout(t *testing.T) {
	r := newRestoreSim(t, "v8", nil)
	require.NoError(t, r.sim.SetBehaviour(vb365sim.Behaviour{IdleTimeout: new(vb365sim.Duration(time.Minute))}))
	require.NoError(t, r.sim.SetRestoreBehaviour(vb365sim.RestoreBehaviour{ItemDuration: new(vb365sim.Duration(time.Second))}))
	vex := r.session("Vex")
	mb := r.first("/RestoreSessions/"+vex+"/organization/mailboxes", "email", vb365sim.MailboxLynne)
	require.Equal(t, 200, r.do("POST", "/RestoreSessions/"+vex+"/organization/mailboxes/"+mb+"/restore", `{`+goodCreds+`}`, false).status)
	state := func() string {
		for _, s := range r.sim.Sessions() {
			if s.ID == vex {
				return s.State
			}
		}
		return ""
	}
	r.clock.Advance(150 * time.Second) // the restore takes 140s; nobody asks meanwhile
	assert.Equal(t, "Working", state())
	r.clock.Advance(time.Minute)
	assert.Equal(t, "Stopped", state(), "idle a minute after the restore ended")
	require.Len(t, r.sim.Restores(), 1)
	assert.Equal(t, "Success", r.sim.Restores()[0].Items[0].Status)
}

// Restores shows each object's status as its event shows it now.
func TestRestoresShowCurrentStatus(t *testing.T) {
	r := newRestoreSim(t, "v8", nil)
	require.NoError(t, r.sim.SetRestoreBehaviour(vb365sim.RestoreBehaviour{ItemDuration: new(vb365sim.Duration(time.Second))}))
	vex := r.session("Vex")
	mb := r.first("/RestoreSessions/"+vex+"/organization/mailboxes", "email", vb365sim.MailboxRecovery)
	require.Equal(t, 200, r.do("POST", "/RestoreSessions/"+vex+"/organization/mailboxes/"+mb+"/restore", `{`+goodCreds+`}`, false).status)
	assert.Equal(t, "Running", r.sim.Restores()[0].Items[0].Status)
	r.clock.Advance(2 * time.Second)
	require.NoError(t, r.sim.StopSession(vex))
	assert.Equal(t, "Cancelled", r.sim.Restores()[0].Items[0].Status, "stopped 2s into a 5s restore")
}

// v8's Statistics hold every restore of the session, and per object one
// details entry naming it: a mailbox's (single or bulk, ended or cancelled
// by a stop) carries its e-mail address and its own counts, whatever else
// restores beside it. The exchanges validate against S8.
func TestRestoreStatisticsDetailsPerMailbox(t *testing.T) {
	r := newRestoreSim(t, "v8", openapispec.Require(t, "v8"))
	vex := r.session("Vex")
	r.clock.Advance(time.Minute) // the session's scripted events end
	mb := func(email string) string {
		return r.first("/RestoreSessions/"+vex+"/organization/mailboxes?limit=100", "email", email)
	}
	adele, alex, megan := mb(vb365sim.MailboxAdele), mb(vb365sim.MailboxAlex), mb(vb365sim.MailboxMegan)
	require.Equal(t, 200, r.do("POST", "/RestoreSessions/"+vex+"/organization/mailboxes/"+adele+"/restore", `{`+goodCreds+`}`, false).status)
	require.Equal(t, 200, r.do("POST", "/RestoreSessions/"+vex+"/organization/mailboxes/restore",
		`{"mailboxes":[{"id":"`+alex+`"}],`+goodCreds+`}`, false).status)
	r.clock.Advance(time.Minute)
	require.Equal(t, 200, r.do("POST", "/RestoreSessions/"+vex+"/organization/mailboxes/"+megan+"/restore", `{`+goodCreds+`}`, false).status)
	r.clock.Advance(time.Second)
	require.NoError(t, r.sim.StopSession(vex)) // Megan's is cancelled

	st := r.do("GET", "/RestoreSessions/"+vex+"/Statistics", "", false).json(t)
	assert.EqualValues(t, 4+120+85+64, st["totalItemsCount"], "the session's: the scripted events' and the three restores'")
	byEmail := map[string]map[string]any{}
	for _, it := range st["items"].([]any) {
		d := it.(map[string]any)
		byEmail[d["mailboxEmail"].(string)] = d
	}
	require.Len(t, byEmail, 3)
	for email, want := range map[string][4]int64{vb365sim.MailboxAdele: {90, 30, 0, 0}, vb365sim.MailboxAlex: {64, 21, 0, 0}, vb365sim.MailboxMegan: {0, 0, 64, 0}} {
		d := byEmail[email]
		assert.Equal(t, email, d["name"])
		assert.EqualValues(t, want, [4]int64{int64(d["createdMailboxItemsCount"].(float64)), int64(d["mergedMailboxItemsCount"].(float64)),
			int64(d["failedMailboxItemsCount"].(float64)), int64(d["skippedMailboxItemsCount"].(float64))}, email)
	}
	assert.Equal(t, "BulkMailbox", byEmail[vb365sim.MailboxAlex]["itemRestoreDetailsType"])
	assert.Equal(t, "Failed", byEmail[vb365sim.MailboxMegan]["status"])
}
