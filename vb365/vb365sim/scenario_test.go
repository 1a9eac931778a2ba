package vb365sim_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

func writeScenario(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "scenario.json")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestLoadScenario(t *testing.T) {
	for _, tc := range []struct {
		name, body, wantErr string
	}{
		{"minimal", `{"organizations":[{"id":"0b8f5f7e-6a53-4a0e-b7de-2f1a4c9d3e21","name":"c.onmicrosoft.com"}]}`, ""},
		{"bad id", `{"organizations":[{"id":"x","name":"c"}]}`, "not a UUID"},
		{"no name", `{"organizations":[{"id":"0b8f5f7e-6a53-4a0e-b7de-2f1a4c9d3e21"}]}`, "name is required"},
		{"duplicate", `{"organizations":[{"id":"0b8f5f7e-6a53-4a0e-b7de-2f1a4c9d3e21","name":"a"},{"id":"0B8F5F7E-6A53-4A0E-B7DE-2F1A4C9D3E21","name":"b"}]}`, "duplicate"},
		{"bad event type", `{"organizations":[],"events":[{"offset":"1s","type":"Dance","status":"Success","message":"m"}]}`, "type"},
		{"bad event status", `{"organizations":[],"events":[{"offset":"1s","type":"View","status":"Meh","message":"m"}]}`, "status"},
		{"bad duration", `{"organizations":[],"sessionStopsAfter":"soon"}`, "duration"},
		{"unknown field", `{"organisations":[]}`, "unknown field"},
		{"bad latency", `{"organizations":[],"latency":[{"delayMs":5}]}`, "latency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := vb365sim.LoadScenario(writeScenario(t, tc.body))
			if tc.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tc.wantErr)
			}
		})
	}
	_, err := vb365sim.LoadScenario(filepath.Join(t.TempDir(), "missing.json"))
	assert.Error(t, err)
}

func TestExampleScenarioLoads(t *testing.T) {
	sc, err := vb365sim.LoadScenario("../../simulator/scenario.example.json")
	require.NoError(t, err)
	assert.Len(t, sc.Organizations, 3)
	vb365sim.New(vb365sim.Options{Scenario: sc}).Close()
}

// A scenario's organizations, relative restore points, own script, self-stop
// and latency.
func TestScenarioDrivesTheSimulator(t *testing.T) {
	const org = "0b8f5f7e-6a53-4a0e-b7de-2f1a4c9d3e21"
	p := writeScenario(t, `{
	  "organizations": [{
	    "id": "`+org+`", "name": "contoso.onmicrosoft.com",
	    "restorePointsAgo": ["48h", "30m"],
	    "sessionStopsAfter": "3s",
	    "events": [
	      {"offset": "1s", "duration": 500, "type": "view", "status": "success", "message": "Opened {org} ({type})", "itemName": "{org}"},
	      {"offset": "2500ms", "duration": "2s", "type": "Restore", "status": "Warning", "message": "Restored with warnings"},
	      {"offset": "4s", "type": "Save", "status": "Success", "message": "never: the session stops at 3s"}
	    ]
	  }],
	  "latency": [{"method": "GET", "path": "/v8/Organizations/*", "delayMs": 100}]
	}`)
	sc, err := vb365sim.LoadScenario(p)
	require.NoError(t, err)
	clock := newFakeClock(start)
	sleeps := &sleepRecorder{}
	sim := newSim(t, vb365sim.Options{Now: clock.Now, Scenario: sc, Sleep: sleeps.Sleep})
	h := sim.Handler()
	tok := login(t, h, "v8")
	require.Empty(t, sleeps.take(), "no latency on /v8/token")

	o := do(t, h, "GET", "/v8/Organizations/"+org+"?extendedView=true", tok, "")
	assert.Equal(t, []time.Duration{100 * time.Millisecond}, sleeps.take(), "latency")
	assert.Equal(t, "2026-02-28T09:00:00.0000000Z", o.json(t)["firstBackuptime"])
	assert.Equal(t, "2026-03-02T08:30:00.0000000Z", o.json(t)["lastBackuptime"])
	assert.Equal(t, 404, do(t, h, "GET", "/v8/Organizations/"+vb365sim.SeedOrganizationID, tok, "").status, "built-in data replaced")

	r := do(t, h, "POST", "/v8/Organizations/"+org+"/explore", tok, `{"dateTime":"2026-03-01T00:00:00Z","type":"Vesp"}`)
	require.Equal(t, 201, r.status, string(r.body))
	assert.Equal(t, "SharePoint restore (Entire organization - 2/28/2026 9:00:00 AM)", r.json(t)["name"])
	id := r.json(t)["id"].(string)
	assert.Equal(t, 1, sim.Stats().SessionsOpen)

	clock.Advance(10 * time.Second)
	s := do(t, h, "GET", "/v8/RestoreSessions/"+id, tok, "").json(t)
	assert.Equal(t, "Stopped", s["state"])
	assert.Equal(t, "2026-03-02T09:00:03.0000000Z", s["endTime"])
	evs := events(t, do(t, h, "GET", "/v8/RestoreSessions/"+id+"/Events", tok, ""))
	assert.Equal(t, []string{"Success", "Success", "Cancelled", "Success"}, statuses(evs))
	assert.Equal(t, "Opened contoso.onmicrosoft.com (SharePoint)", evs[1]["message"])
	assert.Equal(t, 0, sim.Stats().SessionsOpen)
}

func TestDurationJSON(t *testing.T) {
	var d struct{ A, B vb365sim.Duration }
	require.NoError(t, json.Unmarshal([]byte(`{"A":"1.5s","B":250}`), &d))
	assert.Equal(t, 1500*time.Millisecond, d.A.D())
	assert.Equal(t, 250*time.Millisecond, d.B.D())
	b, _ := json.Marshal(d)
	assert.JSONEq(t, `{"A":"1.5s","B":"250ms"}`, string(b))
}
