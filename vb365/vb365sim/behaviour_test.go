package vb365sim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

const formCT = "application/x-www-form-urlencoded"

// tokenAs logs in with a password and returns the access and refresh tokens.
func tokenAs(t *testing.T, sim *vb365sim.Simulator, ver, user, pw string) (string, string) {
	t.Helper()
	r := serve(sim.Handler(), newRequest("POST", "/"+ver+"/token", "", formCT,
		url.Values{"grant_type": {"password"}, "username": {user}, "password": {pw}}.Encode()))
	require.Equal(t, 200, r.status, string(r.body))
	m := r.json(t)
	return m["access_token"].(string), m["refresh_token"].(string)
}

func exploreSeed(t *testing.T, sim *vb365sim.Simulator, tok string) string {
	t.Helper()
	r := do(t, sim.Handler(), "POST", "/v8/Organizations/"+vb365sim.SeedOrganizationID+"/explore", tok, `{"dateTime":"2020-10-30T10:54:40Z","type":"Vex"}`)
	require.Equal(t, 201, r.status, string(r.body))
	return r.json(t)["id"].(string)
}

func sessionState(t *testing.T, sim *vb365sim.Simulator, tok, id string) map[string]any {
	t.Helper()
	r := do(t, sim.Handler(), "GET", "/v8/RestoreSessions/"+id, tok, "")
	require.Equal(t, 200, r.status, string(r.body))
	return r.json(t)
}

// Each account lists only the sessions it created; the control endpoint
// lists all, with their creator.
func TestSessionListsAreScopedToTheAccount(t *testing.T) {
	sim := newSim(t, vb365sim.Options{Users: map[string]string{"operator": "op"}})
	h := sim.Handler()
	admin, _ := tokenAs(t, sim, "v8", "admin", "admin")
	op, _ := tokenAs(t, sim, "v8", "operator", "op")
	mine := exploreSeed(t, sim, admin)
	theirs := exploreSeed(t, sim, op)

	ids := func(tok string) []string {
		var out []string
		for _, s := range do(t, h, "GET", "/v8/RestoreSessions", tok, "").json(t)["results"].([]any) {
			out = append(out, s.(map[string]any)["id"].(string))
		}
		return out
	}
	assert.Equal(t, []string{mine}, ids(admin))
	assert.Equal(t, []string{theirs}, ids(op))
	assert.Equal(t, "Working", sessionState(t, sim, admin, theirs)["state"], "a session is readable by id from any account")

	var all []map[string]any
	require.NoError(t, json.Unmarshal(do(t, h, "GET", "/_sim/sessions", "", "").body, &all))
	require.Len(t, all, 2)
	assert.Equal(t, "admin", all[0]["createdBy"])
	assert.Equal(t, "operator", all[1]["createdBy"])
	assert.Equal(t, "operator", sim.Sessions()[1].CreatedBy)

	r := serve(h, newRequest("POST", "/v8/token", "", formCT, url.Values{"grant_type": {"password"}, "username": {"operator"}, "password": {"admin"}}.Encode()))
	assert.Equal(t, 400, r.status, "each account has its own password")
}

// A refresh token works once; logout revokes the login's tokens.
func TestRefreshTokensRotateAndLogoutRevokes(t *testing.T) {
	sim := newSim(t, vb365sim.Options{})
	h := sim.Handler()
	refresh := func(rt string) reply {
		return serve(h, newRequest("POST", "/v8/token", "", formCT, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}.Encode()))
	}
	_, rt1 := tokenAs(t, sim, "v8", "admin", "admin")
	r := refresh(rt1)
	require.Equal(t, 200, r.status)
	access2, rt2 := r.json(t)["access_token"].(string), r.json(t)["refresh_token"].(string)
	assert.NotEqual(t, rt1, rt2)
	assert.Equal(t, 400, refresh(rt1).status, "the old refresh token stops working")
	assert.Equal(t, 200, do(t, h, "GET", "/v8/ServiceInstance", access2, "").status)

	other, otherRT := tokenAs(t, sim, "v8", "admin", "admin")
	assert.Equal(t, 204, do(t, h, "POST", "/v8/token/logout", access2, "").status)
	assert.Equal(t, 401, do(t, h, "GET", "/v8/ServiceInstance", access2, "").status)
	assert.Equal(t, 400, refresh(rt2).status, "logout revokes the refresh token")
	assert.Equal(t, 200, do(t, h, "GET", "/v8/ServiceInstance", other, "").status, "another login is untouched")
	assert.Equal(t, 200, refresh(otherRT).status)
}

// clockSkew shifts every time the server writes; timeZone writes
// organization times without a zone and event times with an offset.
func TestClockSkewAndTimeZone(t *testing.T) {
	clock := newFakeClock(start)
	sim := newSim(t, vb365sim.Options{Now: clock.Now})
	require.NoError(t, sim.SetBehaviour(vb365sim.Behaviour{ClockSkew: new(vb365sim.Duration(-3 * time.Minute)), TimeZone: new("Europe/Berlin")}))
	h := sim.Handler()
	tok, _ := tokenAs(t, sim, "v8", "admin", "admin")
	id := exploreSeed(t, sim, tok)
	assert.Equal(t, "2026-03-02T08:57:00.0000000Z", sessionState(t, sim, tok, id)["creationTime"])

	o := do(t, h, "GET", "/v8/Organizations/"+vb365sim.SeedOrganizationID+"?extendedView=true", tok, "").json(t)
	assert.Equal(t, "2020-10-30T11:29:05", o["lastBackuptime"], "10:29:05Z in Berlin, without a zone")
	ev := events(t, do(t, h, "GET", "/v8/RestoreSessions/"+id+"/Events", tok, ""))[0]
	assert.Equal(t, "2026-03-02T09:57:00.0000000+01:00", ev["startTime"])

	st := sim.Settings()
	assert.Equal(t, vb365sim.Duration(-3*time.Minute), *st.ClockSkew)
	assert.Equal(t, "Europe/Berlin", *st.TimeZone)
	assert.Error(t, sim.SetBehaviour(vb365sim.Behaviour{TimeZone: new("Mars/Olympus")}))
	assert.Error(t, sim.SetOrganizationBehaviour(vb365sim.SeedOrganizationID, vb365sim.Behaviour{ClockSkew: new(vb365sim.Duration(time.Minute))}))

	require.NoError(t, sim.SetBehaviour(vb365sim.Behaviour{ClockSkew: new(vb365sim.Duration(0)), TimeZone: new("")}))
	o = do(t, h, "GET", "/v8/Organizations/"+vb365sim.SeedOrganizationID+"?extendedView=true", tok, "").json(t)
	assert.Equal(t, "2020-10-30T10:29:05.0000000Z", o["lastBackuptime"])
}

// stopIgnored: the first N stops answer 2xx and do nothing. stopDelay: the
// session stays Working that long after a 2xx stop.
func TestStopIgnoredAndDelayed(t *testing.T) {
	clock := newFakeClock(start)
	sim := newSim(t, vb365sim.Options{Now: clock.Now, Behaviour: vb365sim.Behaviour{StopIgnored: new(2)}})
	h := sim.Handler()
	tok, _ := tokenAs(t, sim, "v8", "admin", "admin")
	id := exploreSeed(t, sim, tok)
	for i := range 2 {
		assert.Equal(t, 204, do(t, h, "POST", "/v8/RestoreSessions/"+id+"/Stop", tok, "").status)
		assert.Equal(t, "Working", sessionState(t, sim, tok, id)["state"], "stop %d ignored", i+1)
	}
	assert.Equal(t, 204, do(t, h, "POST", "/v8/RestoreSessions/"+id+"/Stop", tok, "").status)
	assert.Equal(t, "Stopped", sessionState(t, sim, tok, id)["state"])

	require.NoError(t, sim.SetBehaviour(vb365sim.Behaviour{StopDelay: new(vb365sim.Duration(20 * time.Second))}))
	id = exploreSeed(t, sim, tok)
	assert.Equal(t, 204, do(t, h, "POST", "/v8/RestoreSessions/"+id+"/Stop", tok, "").status)
	clock.Advance(19 * time.Second)
	assert.Equal(t, 204, do(t, h, "POST", "/v8/RestoreSessions/"+id+"/Stop", tok, "").status, "a second stop keeps the first one's time")
	assert.Equal(t, "Working", sessionState(t, sim, tok, id)["state"])
	clock.Advance(time.Second)
	s := sessionState(t, sim, tok, id)
	assert.Equal(t, "Stopped", s["state"])
	assert.Equal(t, "2026-03-02T09:00:20.0000000Z", s["endTime"])

	// Per organization: the organization's own count wins.
	require.NoError(t, sim.SetBehaviour(vb365sim.Behaviour{StopDelay: new(vb365sim.Duration(0)), StopIgnored: new(5)}))
	require.NoError(t, sim.SetOrganizationBehaviour(vb365sim.SeedOrganizationID, vb365sim.Behaviour{StopIgnored: new(1)}))
	id = exploreSeed(t, sim, tok)
	do(t, h, "POST", "/v8/RestoreSessions/"+id+"/Stop", tok, "")
	assert.Equal(t, "Working", sessionState(t, sim, tok, id)["state"])
	do(t, h, "POST", "/v8/RestoreSessions/"+id+"/Stop", tok, "")
	assert.Equal(t, "Stopped", sessionState(t, sim, tok, id)["state"])
	assert.Equal(t, 5, *sim.Settings().StopIgnored, "the server-wide count was not used")
	assert.Equal(t, 0, *sim.Settings().Organizations[vb365sim.SeedOrganizationID].StopIgnored)
}

// The server stops a session nobody has named for idleTimeout (30 minutes
// by default); any request naming it keeps it open.
func TestIdleTimeout(t *testing.T) {
	clock := newFakeClock(start)
	sim := newSim(t, vb365sim.Options{Now: clock.Now, TokenTTL: 100 * time.Hour})
	tok, _ := tokenAs(t, sim, "v8", "admin", "admin")
	assert.Equal(t, vb365sim.Duration(vb365sim.DefaultIdleTimeout), *sim.Settings().IdleTimeout)
	kept, left := exploreSeed(t, sim, tok), exploreSeed(t, sim, tok)
	for range 3 {
		clock.Advance(20 * time.Minute)
		do(t, sim.Handler(), "GET", "/v8/RestoreSessions/"+kept+"/Events?limit=1", tok, "")
	}
	assert.Equal(t, "Working", sessionState(t, sim, tok, kept)["state"])
	s := sessionState(t, sim, tok, left)
	assert.Equal(t, "Stopped", s["state"])
	assert.Equal(t, "2026-03-02T09:30:00.0000000Z", s["endTime"])

	require.NoError(t, sim.SetBehaviour(vb365sim.Behaviour{IdleTimeout: new(vb365sim.Duration(0))}))
	id := exploreSeed(t, sim, tok)
	clock.Advance(48 * time.Hour)
	assert.Equal(t, "Working", sessionState(t, sim, tok, id)["state"], "0 turns it off")
}

// maxOpenSessions refuses explore as field reports show it.
func TestMaxOpenSessions(t *testing.T) {
	sim := newSim(t, vb365sim.Options{})
	h := sim.Handler()
	tok, _ := tokenAs(t, sim, "v8", "admin", "admin")
	require.NoError(t, sim.SetBehaviour(vb365sim.Behaviour{MaxOpenSessions: new(2)}))
	first := exploreSeed(t, sim, tok)
	exploreSeed(t, sim, tok)
	r := do(t, h, "POST", "/v8/Organizations/"+vb365sim.SeedOrganizationID+"/explore", tok, `{"type":"Vex"}`)
	assert.Equal(t, 500, r.status)
	assert.Equal(t, "Restore session cannot be created.", r.json(t)["message"])
	require.NoError(t, sim.StopSession(first))
	exploreSeed(t, sim, tok)

	// An organization's own limit counts only its sessions.
	require.NoError(t, sim.SetBehaviour(vb365sim.Behaviour{MaxOpenSessions: new(0)}))
	require.NoError(t, sim.SetOrganizationBehaviour(vb365sim.RecentOrganizationID, vb365sim.Behaviour{MaxOpenSessions: new(1)}))
	recent := "/v8/Organizations/" + vb365sim.RecentOrganizationID + "/explore"
	assert.Equal(t, 201, do(t, h, "POST", recent, tok, `{"type":"Vex"}`).status)
	assert.Equal(t, 500, do(t, h, "POST", recent, tok, `{"type":"Vex"}`).status)
	exploreSeed(t, sim, tok)
}

// A proxy offline per organization: no backup window, explore fails with
// errorCode ProxyOffline; other organizations are unaffected.
func TestProxyOffline(t *testing.T) {
	sim := newSim(t, vb365sim.Options{})
	h := sim.Handler()
	tok, _ := tokenAs(t, sim, "v8", "admin", "admin")
	r := do(t, h, "PUT", "/_sim/behaviour", "", `{"organizations":{"`+vb365sim.SeedOrganizationID+`":{"proxyOffline":true}}}`)
	require.Equal(t, 200, r.status, string(r.body))
	o := do(t, h, "GET", "/v8/Organizations/"+vb365sim.SeedOrganizationID+"?extendedView=true", tok, "").json(t)
	assert.NotContains(t, o, "isBackedup")
	assert.NotContains(t, o, "lastBackuptime")
	e := do(t, h, "POST", "/v8/Organizations/"+vb365sim.SeedOrganizationID+"/explore", tok, `{"type":"Vex"}`)
	assert.Equal(t, 500, e.status)
	assert.Equal(t, "ProxyOffline", e.json(t)["errorCode"])
	o = do(t, h, "GET", "/v8/Organizations/"+vb365sim.RecentOrganizationID+"?extendedView=true", tok, "").json(t)
	assert.Equal(t, true, o["isBackedup"])

	assert.Equal(t, 404, do(t, h, "PUT", "/_sim/behaviour", "", `{"organizations":{"11111111-2222-4333-8444-555555555555":{"proxyOffline":true}}}`).status)
	assert.Equal(t, 400, do(t, h, "PUT", "/_sim/behaviour", "", `{"organizations":{"`+vb365sim.SeedOrganizationID+`":{"timeZone":"UTC"}}}`).status)
}

// PUT /_sim/behaviour changes any subset and GET shows all.
func TestBehaviourControlEndpoints(t *testing.T) {
	sim := newSim(t, vb365sim.Options{})
	h := sim.Handler()
	r := do(t, h, "PUT", "/_sim/behaviour", "", `{"clockSkew":"-3m","timeZone":"Europe/Berlin","stopDelay":"20s","stopIgnored":2,"idleTimeout":"30m","maxOpenSessions":10}`)
	require.Equal(t, 200, r.status, string(r.body))
	r = do(t, h, "PUT", "/_sim/behaviour", "", `{"stopIgnored":1}`)
	require.Equal(t, 200, r.status, string(r.body))
	m := do(t, h, "GET", "/_sim/behaviour", "", "").json(t)
	assert.Equal(t, map[string]any{"clockSkew": "-3m0s", "timeZone": "Europe/Berlin", "stopDelay": "20s", "stopIgnored": 1.0,
		"idleTimeout": "30m0s", "maxOpenSessions": 10.0, "proxyOffline": false, "changeFeedOff": false}, m)
	for _, bad := range []string{`{"stopIgnored":-1}`, `{"timeZone":"Nowhere/Else"}`, `{"stopDelay":"soon"}`, `{"bogus":1}`, `{"idleTimeout":"-1s"}`} {
		assert.Equal(t, 400, do(t, h, "PUT", "/_sim/behaviour", "", bad).status, bad)
	}
	assert.Equal(t, 1, *sim.Settings().StopIgnored, "a refused change changes nothing")
}

// An event can stay Running for hours while later ones complete, until the
// control endpoint ends it.
func TestLongRunningEventEndedByControl(t *testing.T) {
	clock := newFakeClock(start)
	sim := newSim(t, vb365sim.Options{Now: clock.Now, TokenTTL: 100 * time.Hour, Behaviour: vb365sim.Behaviour{IdleTimeout: new(vb365sim.Duration(0))}})
	h := sim.Handler()
	tok, _ := tokenAs(t, sim, "v8", "admin", "admin")
	id := exploreSeed(t, sim, tok)
	require.NoError(t, sim.AppendEvent(id, vb365sim.EventInput{Type: "Restore", Status: "Running", Message: "Restoring 40 GB"}))
	long := 1 // after the start event
	clock.Advance(3 * time.Hour)
	require.NoError(t, sim.AppendEvent(id, vb365sim.EventInput{Type: "Restore", Message: "small one"}))
	evs, err := sim.Events(id)
	require.NoError(t, err)
	assert.Equal(t, "Running", evs[long].Status)
	assert.Equal(t, "Success", evs[len(evs)-1].Status)

	path := fmt.Sprintf("/_sim/sessions/%s/events/%d", id, long)
	assert.Equal(t, 204, do(t, h, "PATCH", path, "", `{"status":"Success"}`).status)
	ev := events(t, do(t, h, "GET", "/v8/RestoreSessions/"+id+"/Events", tok, ""))[long]
	assert.Equal(t, "Success", ev["status"])
	assert.Equal(t, "03:00:00.0000000", ev["duration"])
	assert.Equal(t, 409, do(t, h, "PATCH", path, "", `{"status":"Failed"}`).status, "already ended")
	assert.Equal(t, 400, do(t, h, "PATCH", fmt.Sprintf("/_sim/sessions/%s/events/0", id), "", `{"status":"Running"}`).status)
	assert.Equal(t, 404, do(t, h, "PATCH", fmt.Sprintf("/_sim/sessions/%s/events/999", id), "", `{"status":"Success"}`).status)
	assert.ErrorIs(t, sim.SetEventStatus(id, 999, "Success"), vb365sim.ErrEventNotFound)
}

// Tens of thousands of events: appended in one step, paged without
// rendering the rest.
func TestManyEvents(t *testing.T) {
	sim := newSim(t, vb365sim.Options{Now: newFakeClock(start).Now})
	h := sim.Handler()
	tok, _ := tokenAs(t, sim, "v7", "admin", "admin")
	r := do(t, h, "POST", "/v7/Organizations/"+vb365sim.SeedOrganizationID+"/explore", tok, `{"type":"Vex"}`)
	require.Equal(t, 200, r.status)
	id := r.json(t)["id"].(string)
	assert.Equal(t, 204, do(t, h, "POST", "/_sim/sessions/"+id+"/events", "", `{"type":"Restore","message":"item","count":50000}`).status)
	began := time.Now()
	p := do(t, h, "GET", "/v7/RestoreSessions/"+id+"/Events?offset=49990&limit=30", tok, "").json(t)
	assert.Less(t, time.Since(began), 2*time.Second, "a page renders its own events, not all 50,000")
	assert.Len(t, p["results"], 11)
	assert.EqualValues(t, 50001, p["totalCount"])
	last := p["results"].([]any)[10].(map[string]any)
	assert.EqualValues(t, 50000, last["order"])
	assert.Equal(t, 200, do(t, h, "GET", "/v7/RestoreSessions/"+id+"/Events/"+last["id"].(string), tok, "").status)
	assert.Error(t, sim.AppendEvent(id, vb365sim.EventInput{Count: -1}))
}

// A scripted event with count repeats at its offset.
func TestScriptedEventCount(t *testing.T) {
	clock := newFakeClock(start)
	sc := vb365sim.BuiltinScenario()
	sc.Events = []vb365sim.ScriptedEvent{{Offset: vb365sim.Duration(time.Second), Type: "Save", Status: "Success", Message: "saved", Count: 20000}}
	sim := newSim(t, vb365sim.Options{Now: clock.Now, Scenario: sc})
	tok, _ := tokenAs(t, sim, "v8", "admin", "admin")
	id := exploreSeed(t, sim, tok)
	clock.Advance(2 * time.Second)
	assert.Equal(t, 20001, sim.Sessions()[0].EventCount)
	st := do(t, sim.Handler(), "GET", "/v8/RestoreSessions/"+id+"/Statistics", tok, "").json(t)
	assert.EqualValues(t, 20000, st["restoredItemsCount"])
}

// Delays beyond a minute are served (the test's Sleep sees them).
func TestDelaysBeyondAMinute(t *testing.T) {
	var asked []time.Duration
	sim := newSim(t, vb365sim.Options{Sleep: func(ctx context.Context, d time.Duration) bool { asked = append(asked, d); return true }})
	h := sim.Handler()
	require.Equal(t, 204, do(t, h, "POST", "/_sim/faults", "", `{"path":"/v8/ServiceInstance","delayMs":90000}`).status)
	tok, _ := tokenAs(t, sim, "v8", "admin", "admin")
	assert.Equal(t, 200, do(t, h, "GET", "/v8/ServiceInstance", tok, "").status)
	assert.Equal(t, []time.Duration{90 * time.Second}, asked)
}

// Scenario fields: users and behaviour, server-wide and per organization.
func TestScenarioUsersAndBehaviour(t *testing.T) {
	var sc vb365sim.Scenario
	require.NoError(t, json.NewDecoder(strings.NewReader(`{
	  "users": [{"name": "console", "password": "c"}],
	  "stopDelay": "5s", "maxOpenSessions": 3,
	  "organizations": [{"id": "`+vb365sim.SeedOrganizationID+`", "name": "abc.onmicrosoft.com",
	    "restorePoints": ["2020-10-30T10:29:05Z"], "proxyOffline": true, "stopIgnored": 1}]
	}`)).Decode(&sc))
	require.NoError(t, sc.Validate())
	sim := newSim(t, vb365sim.Options{Scenario: &sc})
	tokenAs(t, sim, "v8", "console", "c")
	tokenAs(t, sim, "v8", "admin", "admin")
	st := sim.Settings()
	assert.Equal(t, vb365sim.Duration(5*time.Second), *st.StopDelay)
	assert.Equal(t, 3, *st.MaxOpenSessions)
	assert.True(t, *st.Organizations[vb365sim.SeedOrganizationID].ProxyOffline)
	assert.Equal(t, 1, *st.Organizations[vb365sim.SeedOrganizationID].StopIgnored)

	bad := sc
	bad.Organizations = []vb365sim.ScenarioOrganization{{ID: vb365sim.SeedOrganizationID, Name: "x", Behaviour: vb365sim.Behaviour{TimeZone: new("UTC")}}}
	assert.Error(t, bad.Validate())
}
