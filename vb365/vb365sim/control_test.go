package vb365sim_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

func TestControlSessionsAndStats(t *testing.T) {
	clock := newFakeClock(start)
	sim := newSim(t, vb365sim.Options{Now: clock.Now})
	h := sim.Handler()
	tok := login(t, h, "v8")
	explore := "/v8/Organizations/" + vb365sim.SeedOrganizationID + "/explore"
	for i := 0; i < 2; i++ {
		require.Equal(t, 201, do(t, h, "POST", explore, tok, `{"dateTime":"2020-10-30T10:54:40Z","type":"Vet"}`).status)
	}
	clock.Advance(2500 * time.Millisecond)

	var list []map[string]any
	r := do(t, h, "GET", "/_sim/sessions", "", "")
	require.Equal(t, 200, r.status)
	require.NoError(t, json.Unmarshal(r.body, &list))
	require.Len(t, list, 2)
	id := list[0]["id"].(string)
	assert.EqualValues(t, 4, list[0]["eventCount"]) // started, then 3 of the script
	assert.Equal(t, "admin", list[0]["createdBy"])
	assert.Equal(t, "Working", list[0]["state"])
	assert.Equal(t, vb365sim.SeedOrganizationID, list[0]["organizationId"])

	assert.Equal(t, 204, do(t, h, "POST", "/_sim/sessions/"+id+"/events", "", `{"type":"Restore","status":"Failed","message":"boom","itemName":"a.txt"}`).status)
	assert.Equal(t, 400, do(t, h, "POST", "/_sim/sessions/"+id+"/events", "", `{"status":"Nope"}`).status)
	assert.Equal(t, 404, do(t, h, "POST", "/_sim/sessions/11111111-2222-4333-8444-555555555555/events", "", `{}`).status)
	assert.Equal(t, 204, do(t, h, "POST", "/_sim/sessions/"+id+"/stop", "", "").status)
	assert.Equal(t, 404, do(t, h, "POST", "/_sim/sessions/11111111-2222-4333-8444-555555555555/stop", "", "").status)
	assert.Equal(t, 404, do(t, h, "GET", "/_sim/nothing", "", "").status)
	got := do(t, h, "GET", "/v8/RestoreSessions/"+id, tok, "").json(t)
	assert.Equal(t, "Stopped", got["state"])
	assert.Equal(t, "Failed", got["result"])

	var st vb365sim.Stats
	require.NoError(t, json.Unmarshal(do(t, h, "GET", "/_sim/stats", "", "").body, &st))
	assert.Equal(t, 2, st.Requests["POST /v8/Organizations/{organizationId}/explore"])
	assert.Equal(t, 1, st.Requests["POST /v8/token"])
	assert.Equal(t, 1, st.Requests["GET /v8/RestoreSessions/{restoreSessionId}"])
	assert.Equal(t, 1, st.TokenLogins)
	assert.Equal(t, 2, st.SessionsCreated)
	assert.Equal(t, 1, st.SessionsOpen)
	assert.Equal(t, st, sim.Stats())

	assert.Equal(t, 204, do(t, h, "DELETE", "/_sim/stats", "", "").status)
	st = sim.Stats()
	assert.Empty(t, st.Requests)
	assert.Zero(t, st.TokenLogins)
	assert.Zero(t, st.SessionsCreated)
	assert.Equal(t, 1, st.SessionsOpen, "open sessions are state, not counters")
	sim.ResetStats()
}

// Many clients at once: run with -race.
func TestConcurrentSessions(t *testing.T) {
	sim := newSim(t, vb365sim.Options{})
	h := sim.Handler()
	tok := login(t, h, "v8")
	const n = 500
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := serve(h, newRequest("POST", "/v8/Organizations/"+vb365sim.SeedOrganizationID+"/explore", tok, "", `{"type":"Vex"}`))
			if r.status != 201 {
				errs <- fmt.Errorf("explore %d: %d %s", i, r.status, r.body)
				return
			}
			var s struct{ ID string }
			_ = json.Unmarshal(r.body, &s)
			for _, p := range []string{"/v8/RestoreSessions/" + s.ID + "/Events", "/v8/RestoreSessions?limit=5"} {
				if r := serve(h, newRequest("GET", p, tok, "", "")); r.status != 200 {
					errs <- fmt.Errorf("%s: %d", p, r.status)
				}
			}
			if i%2 == 0 {
				if r := serve(h, newRequest("POST", "/v8/RestoreSessions/"+s.ID+"/Stop", tok, "", "")); r.status != 204 {
					errs <- fmt.Errorf("stop: %d", r.status)
				}
			}
			_ = sim.Stats()
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := sim.Stats()
	assert.Equal(t, n, st.SessionsCreated)
	assert.Equal(t, n/2, st.SessionsOpen)
	assert.Len(t, sim.Sessions(), n)
}
