package vb365sim_test

import (
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// Veeam's v5 "Create Restore Session" example, replayed verbatim against v5.
func TestSeedExampleV5(t *testing.T) {
	sim := newSim(t, vb365sim.Options{Now: newFakeClock(start).Now})
	h := sim.Handler()
	tok := login(t, h, "v5")

	req := httptest.NewRequest("POST", "https://abc.tech.local:4443/v5/Organizations/3c424478-0811-4920-8aab-01f0bf2a2822/action", strings.NewReader(seedExploreBody))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	r := serve(h, req)

	require.Equal(t, 201, r.status, string(r.body))
	assert.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
	assert.Equal(t, fmt.Sprint(len(r.body)), r.header.Get("Content-Length"))
	m := r.json(t)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	assert.Equal(t, []string{"_links", "creationTime", "endTime", "id", "initiatedBy", "name", "organization", "result", "state", "type"}, keys)
	id := m["id"].(string)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, id)
	assert.Equal(t, "Teams restore (Entire organization - 10/30/2020 10:29:05 AM)", m["name"])
	assert.Equal(t, "abc.onmicrosoft.com", m["organization"])
	assert.Equal(t, "Vet", m["type"])
	assert.Equal(t, "Working", m["state"])
	assert.Equal(t, "Success", m["result"])
	assert.Equal(t, "2026-03-02T09:00:00.0000000Z", m["creationTime"])
	assert.Equal(t, m["creationTime"], m["endTime"], "the seed shows endTime = creationTime while Working")
	assert.Contains(t, m["initiatedBy"], `\admin`)
	base := "https://abc.tech.local:4443/v5/RestoreSessions/" + id
	assert.Equal(t, map[string]any{
		"self":                 map[string]any{"href": base},
		"organization":         map[string]any{"href": base + "/organization"},
		"restoreSessionEvents": map[string]any{"href": base + "/events"},
	}, m["_links"])
	assert.True(t, strings.Index(string(r.body), `"self"`) < strings.Index(string(r.body), `"restoreSessionEvents"`), "links in the seed's order")

	// The example's links lead somewhere.
	for _, p := range []string{"/v5/RestoreSessions/" + id, "/v5/RestoreSessions/" + id + "/events"} {
		assert.Equal(t, 200, do(t, h, "GET", p, tok, "").status, p)
	}
	// v5 stops with an action.
	assert.Equal(t, 200, do(t, h, "POST", "/v5/RestoreSessions/"+id+"/action", tok, `{"stop":null}`).status)
	assert.Equal(t, 200, do(t, h, "POST", "/v5/RestoreSessions/"+id+"/action", tok, `{"stop":null}`).status, "idempotent")
	got := do(t, h, "GET", "/v5/RestoreSessions/"+id, tok, "").json(t)
	assert.Equal(t, "Stopped", got["state"])
	assert.Equal(t, 400, do(t, h, "POST", "/v5/RestoreSessions/"+id+"/action", tok, `{"start":null}`).status)
}

// Which restore point a point in time opens: Veeam's v5 example states the
// two ends.
func TestExploreRestorePoints(t *testing.T) {
	sim := newSim(t, vb365sim.Options{Now: newFakeClock(start).Now})
	h := sim.Handler()
	tok := login(t, h, "v5")
	for _, tc := range []struct {
		name, datetime, typ, want string
	}{
		{"after the last backup: latest point", "2030-01-01T00:00:00Z", "vex", "Exchange restore (Entire organization - 10/30/2020 10:29:05 AM)"},
		{"exactly the last backup", "2020-10-30T10:29:05Z", "vesp", "SharePoint restore (Entire organization - 10/30/2020 10:29:05 AM)"},
		{"in between: latest backup before", "2020-10-15T12:00:00Z", "veod", "OneDrive restore (Entire organization - 10/14/2020 10:00:00 PM)"},
		{"before the first backup: no data", "2020-09-01T08:00:00Z", "vet", "Teams restore (Entire organization - no backup data as of 9/1/2020 8:00:00 AM)"},
		{"format yyyy-MM-dd HH:mm:ss.fff", "2020-10-30 10:54:40.279", "Vet", "Teams restore (Entire organization - 10/30/2020 10:29:05 AM)"},
		{"format yyyy.MM.dd HH:mm:ss", "2020.10.30 10:54:40", "VET", "Teams restore (Entire organization - 10/30/2020 10:29:05 AM)"},
		{"format RFC 3339 without fraction, offset", "2020-10-30T12:54:40+02:00", "vet", "Teams restore (Entire organization - 10/30/2020 10:29:05 AM)"},
		{"format without zone", "2020-10-30T10:54:40.1234567", "vet", "Teams restore (Entire organization - 10/30/2020 10:29:05 AM)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"explore":{"datetime":%q,"type":%q,"showAllVersions":false,"showDeleted":false}}`, tc.datetime, tc.typ)
			r := do(t, h, "POST", "/v5/Organizations/"+vb365sim.SeedOrganizationID+"/action", tok, body)
			require.Equal(t, 201, r.status, string(r.body))
			assert.Equal(t, tc.want, r.json(t)["name"])
		})
	}
	for _, tc := range []struct {
		name, org, body string
		want            int
	}{
		{"bad datetime", vb365sim.SeedOrganizationID, `{"explore":{"datetime":"30/10/2020","type":"vet"}}`, 400},
		{"8 fraction digits", vb365sim.SeedOrganizationID, `{"explore":{"datetime":"2020-10-30T10:54:40.12345678Z","type":"vet"}}`, 400},
		{"bad type", vb365sim.SeedOrganizationID, `{"explore":{"datetime":"2020-10-30T10:54:40Z","type":"vxx"}}`, 400},
		{"no type", vb365sim.SeedOrganizationID, `{"explore":{"datetime":"2020-10-30T10:54:40Z"}}`, 400},
		{"no explore", vb365sim.SeedOrganizationID, `{"datetime":"2020-10-30T10:54:40Z","type":"vet"}`, 400},
		{"not JSON", vb365sim.SeedOrganizationID, `explore`, 400},
		{"never backed up", vb365sim.NeverBackedUpOrganizationID, seedExploreBody, 500},
		{"unknown organization", "11111111-2222-4333-8444-555555555555", seedExploreBody, 404},
		{"malformed organization id", "abc", seedExploreBody, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, h, "POST", "/v5/Organizations/"+tc.org+"/action", tok, tc.body)
			assert.Equal(t, tc.want, r.status, string(r.body))
			assert.NotEmpty(t, r.json(t)["message"])
		})
	}
}

// The recent organization's window ends shortly before the simulator's start.
func TestRecentOrganizationWindow(t *testing.T) {
	sim := newSim(t, vb365sim.Options{Now: newFakeClock(start).Now})
	h := sim.Handler()
	tok := login(t, h, "v8")
	m := do(t, h, "GET", "/v8/Organizations/"+vb365sim.RecentOrganizationID+"?extendedView=true", tok, "").json(t)
	assert.Equal(t, true, m["isBackedup"])
	assert.Equal(t, "2026-03-02T08:45:00.0000000Z", m["lastBackuptime"])
	never := do(t, h, "GET", "/v8/Organizations/"+vb365sim.NeverBackedUpOrganizationID+"?extendedView=true", tok, "").json(t)
	assert.Equal(t, false, never["isBackedup"])
	assert.Nil(t, never["lastBackuptime"])
}
