package vb365sim_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

func TestTokenExpiryAndRefresh(t *testing.T) {
	clock := newFakeClock(start)
	sim := newSim(t, vb365sim.Options{Now: clock.Now, TokenTTL: 10 * time.Minute, Username: "ops", Password: "s3cret"})
	h := sim.Handler()
	form := url.Values{"grant_type": {"password"}, "username": {"ops"}, "password": {"s3cret"}}.Encode()
	r := serve(h, newRequest("POST", "/v8/token", "", "application/x-www-form-urlencoded", form))
	require.Equal(t, 200, r.status)
	m := r.json(t)
	assert.EqualValues(t, 600, m["expires_in"])
	assert.Equal(t, "2026-03-02T09:00:00.0000000Z", m[".issued"])
	assert.Equal(t, "2026-03-02T09:10:00.0000000Z", m[".expires"])
	tok, refresh := m["access_token"].(string), m["refresh_token"].(string)

	for _, tc := range []struct {
		advance time.Duration
		want    int
	}{{0, 200}, {9*time.Minute + 59*time.Second, 200}, {time.Second, 401}} {
		clock.Advance(tc.advance)
		assert.Equal(t, tc.want, do(t, h, "GET", "/v8/ServiceInstance", tok, "").status, "after %v", tc.advance)
	}
	r = serve(h, newRequest("POST", "/v8/token", "", "application/x-www-form-urlencoded",
		url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}.Encode()))
	require.Equal(t, 200, r.status, string(r.body))
	assert.Equal(t, "ops", r.json(t)["userName"])
	assert.Equal(t, 200, do(t, h, "GET", "/v8/ServiceInstance", r.json(t)["access_token"].(string), "").status)

	bad := serve(h, newRequest("POST", "/v8/token", "", "application/x-www-form-urlencoded",
		url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}}.Encode()))
	assert.Equal(t, 400, bad.status)
	assert.Equal(t, "invalid_grant", bad.json(t)["error"])
	st := sim.Stats()
	assert.Equal(t, 1, st.TokenLogins)
	assert.Equal(t, 1, st.TokenRefreshes)
}

func events(t *testing.T, r reply) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, e := range r.json(t)["results"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

func statuses(evs []map[string]any) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e["status"].(string))
	}
	return out
}

// The built-in script plays over (fake) time after the "Restore session
// started" event of order 0, then the session waits.
func TestScriptedEventsOverTime(t *testing.T) {
	clock := newFakeClock(start)
	sim := newSim(t, vb365sim.Options{Now: clock.Now})
	h := sim.Handler()
	tok := login(t, h, "v8")
	r := do(t, h, "POST", "/v8/Organizations/"+vb365sim.SeedOrganizationID+"/explore", tok, `{"dateTime":"2020-10-30T10:54:40Z","type":"Vex"}`)
	require.Equal(t, 201, r.status)
	id := r.json(t)["id"].(string)
	list := func(q string) reply { return do(t, h, "GET", "/v8/RestoreSessions/"+id+"/Events"+q, tok, "") }

	for _, tc := range []struct {
		at   time.Duration
		want []string
	}{
		{0, []string{"Success"}},
		{200 * time.Millisecond, []string{"Success", "Running"}},
		{1200 * time.Millisecond, []string{"Success", "Success", "Running"}},
		{3500 * time.Millisecond, []string{"Success", "Success", "Success", "Success", "Running"}},
		{10 * time.Second, []string{"Success", "Success", "Success", "Success", "Warning", "Failed", "Success"}},
		{25 * time.Minute, []string{"Success", "Success", "Success", "Success", "Warning", "Failed", "Success"}},
	} {
		clock.Set(start.Add(tc.at))
		evs := events(t, list(""))
		assert.Equal(t, tc.want, statuses(evs), "at %v", tc.at)
		for i, e := range evs {
			assert.EqualValues(t, i, e["order"])
			assert.Contains(t, e, "itemSizeBytes")
			if e["status"] == "Running" {
				assert.NotContains(t, e, "endTime")
			}
		}
	}
	marker := events(t, list(""))[0]
	assert.Equal(t, "None", marker["type"])
	assert.Equal(t, "Restore session started", marker["title"])
	assert.Equal(t, "Restore session started", marker["message"])
	assert.EqualValues(t, 0, marker["itemSizeBytes"])
	assert.Equal(t, "2026-03-02T09:00:00.0000000Z", marker["startTime"])
	first := events(t, list(""))[1]
	assert.Equal(t, "Opened Exchange backup of abc.onmicrosoft.com", first["message"])
	assert.Equal(t, "2026-03-02T09:00:00.2000000Z", first["startTime"])
	assert.Equal(t, "2026-03-02T09:00:00.5000000Z", first["endTime"])

	// Paging.
	p := list("?offset=0&limit=4").json(t)
	assert.Len(t, p["results"], 4)
	assert.Contains(t, p["_links"], "next")
	p = list("?offset=4&limit=4").json(t)
	assert.Len(t, p["results"], 3)
	assert.NotContains(t, p["_links"], "next")
	assert.Equal(t, 400, list("?limit=x").status)

	// Appended events come after, with the next order; the same ids each time.
	require.NoError(t, sim.AppendEvent(id, vb365sim.EventInput{Type: "restore", Status: "warning", Message: "late", ItemName: "x"}))
	assert.Equal(t, 204, do(t, h, "POST", "/_sim/sessions/"+id+"/events", "", `{"type":"Save","status":"Success","message":"saved","itemName":"y"}`).status)
	evs := events(t, list(""))
	require.Len(t, evs, 9)
	assert.Equal(t, "Warning", evs[7]["status"])
	assert.Equal(t, "Restore", evs[7]["type"])
	assert.EqualValues(t, 8, evs[8]["order"])
	assert.Equal(t, evs[0]["id"], events(t, list(""))[0]["id"])
	assert.Error(t, sim.AppendEvent(id, vb365sim.EventInput{Status: "Bogus"}))
	assert.ErrorIs(t, sim.AppendEvent("11111111-2222-4333-8444-555555555555", vb365sim.EventInput{}), vb365sim.ErrSessionNotFound)
}

// A session stopped mid-script: no later events; a running one is Cancelled;
// a "Restore session stopped" event closes the list.
func TestStopCutsTheScript(t *testing.T) {
	clock := newFakeClock(start)
	sim := newSim(t, vb365sim.Options{Now: clock.Now})
	h := sim.Handler()
	tok := login(t, h, "v7")
	r := do(t, h, "POST", "/v7/Organizations/"+vb365sim.SeedOrganizationID+"/explore", tok, `{"dateTime":"2020-10-30T10:54:40Z","type":"Vet"}`)
	require.Equal(t, 200, r.status)
	id := r.json(t)["id"].(string)
	clock.Advance(2100 * time.Millisecond)
	require.NoError(t, sim.StopSession(id))
	require.NoError(t, sim.StopSession(id), "idempotent")
	assert.ErrorIs(t, sim.StopSession("11111111-2222-4333-8444-555555555555"), vb365sim.ErrSessionNotFound)
	clock.Advance(30 * time.Minute)
	evs := events(t, do(t, h, "GET", "/v7/RestoreSessions/"+id+"/Events", tok, ""))
	assert.Equal(t, []string{"Success", "Success", "Success", "Cancelled", "Success"}, statuses(evs))
	assert.Equal(t, "2026-03-02T09:00:02.1000000Z", evs[3]["endTime"])
	assert.Equal(t, "Restore session stopped", evs[4]["title"])
	assert.Equal(t, "None", evs[4]["type"])
	assert.Equal(t, "2026-03-02T09:00:02.1000000Z", evs[4]["startTime"])
	s := do(t, h, "GET", "/v7/RestoreSessions/"+id, tok, "").json(t)
	assert.Equal(t, "Stopped", s["state"])
	assert.Equal(t, "2026-03-02T09:00:02.1000000Z", s["endTime"])
	assert.Equal(t, "Success", s["result"])
	v := sim.Sessions()
	require.Len(t, v, 1)
	assert.Equal(t, "Stopped", v[0].State)
	assert.Equal(t, 5, v[0].EventCount)
	assert.Equal(t, "v7", v[0].APIVersion)
}

// v8 lists newest first unless orderAsc/orderBy say otherwise; v7 oldest
// first.
func TestSessionListFiltersAndOrder(t *testing.T) {
	clock := newFakeClock(start)
	sim := newSim(t, vb365sim.Options{Now: clock.Now})
	h := sim.Handler()
	tok := login(t, h, "v8")
	var ids []string
	for i := 0; i < 5; i++ {
		r := do(t, h, "POST", "/v8/Organizations/"+vb365sim.RecentOrganizationID+"/explore", tok, `{"type":"Veod"}`)
		require.Equal(t, 201, r.status, string(r.body))
		ids = append(ids, r.json(t)["id"].(string))
		clock.Advance(time.Minute)
	}
	rev := func(ids []string) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[len(ids)-1-i] = id
		}
		return out
	}
	require.NoError(t, sim.StopSession(ids[3]))
	clock.Advance(time.Minute)
	require.NoError(t, sim.StopSession(ids[1]))
	idsOf := func(q string) []string {
		ver := "/v8"
		if strings.HasPrefix(q, "v7") {
			ver, q = "/v7", q[2:]
		}
		r := do(t, h, "GET", ver+"/RestoreSessions"+q, tok, "")
		require.Equal(t, 200, r.status, string(r.body))
		var out []string
		for _, s := range r.json(t)["results"].([]any) {
			out = append(out, s.(map[string]any)["id"].(string))
		}
		return out
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"", rev(ids)},
		{"?offset=1&limit=2", rev(ids)[1:3]},
		{"?startTimeFrom=2026-03-02T09:02:00Z", rev(ids[2:])},
		{"?startTimeTo=2026-03-02%2009:01:00", rev(ids[:2])},
		{"?orderAsc=false&limit=2", []string{ids[4], ids[3]}},
		{"?orderAsc=true", ids},
		{"?orderBy=endtime&orderAsc=true", []string{ids[3], ids[1], ids[0], ids[2], ids[4]}},
		{"?orderBy=EndTime", []string{ids[4], ids[2], ids[0], ids[1], ids[3]}},
		{"v7", ids},
		{"v7?orderAsc=false", ids}, // not a v7 parameter
	} {
		assert.Equal(t, tc.want, idsOf(tc.q), tc.q)
	}
	assert.Equal(t, 400, do(t, h, "GET", "/v8/RestoreSessions?orderBy=Name", tok, "").status)
	assert.Equal(t, 400, do(t, h, "GET", "/v8/RestoreSessions?orderAsc=maybe", tok, "").status)
}
