package vb365sim_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/internal/openapispec"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// Every route of v6, v7 and v8, successes and errors, with the request sent
// and the response received both validated against Veeam's document.
func TestContractAgainstOpenAPI(t *testing.T) {
	for _, ver := range []string{"v6", "v7", "v8"} {
		t.Run(ver, func(t *testing.T) {
			spec := openapispec.Require(t, ver)
			clock := newFakeClock(start)
			sim := newSim(t, vb365sim.Options{Now: clock.Now})
			h := sim.Handler()
			vn := int(ver[1] - '0')

			var token, refresh, sessionID, eventID string
			stopStatus, exploreStatus := 200, 200
			if vn >= 8 {
				stopStatus, exploreStatus = 204, 201
			}
			ext := ""
			if vn == 6 {
				ext = "?extendedView=true"
			}
			form := func(v url.Values) string { return v.Encode() }
			const formCT = "application/x-www-form-urlencoded"
			const unknown = "11111111-2222-4333-8444-555555555555"
			explore := func(dt, typ string) string {
				return fmt.Sprintf(`{"dateTime":%q,"type":%q,"showDeleted":false,"showAllVersions":true}`, dt, typ)
			}

			type step = struct {
				name        string
				method      string
				path        func() string
				ct, body    string
				auth        bool
				badRequest  bool // the request itself breaks the document; send it anyway
				want        int
				check       func(t *testing.T, r reply)
				advanceTime time.Duration
				before      func() // sets the simulator up for the step
			}
			steps := []step{
				{name: "probe without token", method: "GET", path: lit("/" + ver + "/ServiceInstance"), want: 401},
				{name: "wrong password", method: "POST", path: lit("/" + ver + "/token"), ct: formCT,
					body: form(url.Values{"grant_type": {"password"}, "username": {"admin"}, "password": {"nope"}}), want: 400,
					check: func(t *testing.T, r reply) { assert.Equal(t, "invalid_grant", r.json(t)["error"]) }},
				{name: "login", method: "POST", path: lit("/" + ver + "/token"), ct: formCT,
					body: form(url.Values{"grant_type": {"password"}, "username": {"admin"}, "password": {"admin"}}), want: 200,
					check: func(t *testing.T, r reply) {
						m := r.json(t)
						token, refresh = m["access_token"].(string), m["refresh_token"].(string)
						assert.Equal(t, "bearer", m["token_type"])
						assert.EqualValues(t, 3600, m["expires_in"])
						assert.Equal(t, "admin", m["userName"])
					}},
				{name: "refresh (JSON body)", method: "POST", path: lit("/" + ver + "/token"), ct: "application/json",
					body: "", want: 200, check: func(t *testing.T, r reply) { token = r.json(t)["access_token"].(string) }},
				{name: "service instance", method: "GET", path: lit("/" + ver + "/ServiceInstance"), auth: true, want: 200},
				{name: "bad token", method: "GET", path: lit("/" + ver + "/Organizations" + ext), want: 401},
				{name: "organizations extended", method: "GET", path: lit("/" + ver + "/Organizations?extendedView=true"), auth: true, want: 200,
					check: func(t *testing.T, r reply) {
						body := string(r.body)
						assert.Contains(t, body, `"lastBackuptime":"2020-10-30T10:29:05.0000000Z"`)
						if vn >= 8 {
							assert.Contains(t, body, `"results":[`)
						} else {
							assert.True(t, strings.HasPrefix(body, "["), body)
						}
					}},
				{name: "organizations default view", method: "GET", path: lit("/" + ver + "/Organizations"), auth: true,
					badRequest: vn == 6, want: 200, // v6 marks extendedView required, with default true
					check: func(t *testing.T, r reply) {
						if vn == 6 {
							assert.Contains(t, string(r.body), "lastBackuptime")
						} else {
							assert.NotContains(t, string(r.body), "lastBackuptime")
						}
					}},
				{name: "organization", method: "GET", path: lit("/" + ver + "/Organizations/" + vb365sim.SeedOrganizationID + "?extendedView=true"), auth: true, want: 200,
					check: func(t *testing.T, r reply) { assert.Equal(t, "abc.onmicrosoft.com", r.json(t)["name"]) }},
				{name: "organization without extendedView", method: "GET", path: lit("/" + ver + "/Organizations/" + vb365sim.SeedOrganizationID), auth: true,
					badRequest: vn == 6, want: 200},
				{name: "unknown organization", method: "GET", path: lit("/" + ver + "/Organizations/" + unknown + ext), auth: true, want: 404},
				{name: "explore", method: "POST", path: lit("/" + ver + "/Organizations/" + vb365sim.SeedOrganizationID + "/explore"), auth: true,
					body: explore("2020-10-30T10:54:40.279Z", "Vet"), want: exploreStatus,
					check: func(t *testing.T, r reply) {
						m := r.json(t)
						sessionID = m["id"].(string)
						assert.Equal(t, "Teams restore (Entire organization - 10/30/2020 10:29:05 AM)", m["name"])
						assert.Equal(t, "Working", m["state"])
						assert.NotContains(t, m, "endTime")
						if vn < 8 {
							assert.NotContains(t, m, "eTag")
						}
					}},
				{name: "explore bad type", method: "POST", path: lit("/" + ver + "/Organizations/" + vb365sim.SeedOrganizationID + "/explore"), auth: true,
					body: explore("2020-10-30T10:54:40Z", "Bogus"), badRequest: true, want: 400},
				{name: "explore bad datetime", method: "POST", path: lit("/" + ver + "/Organizations/" + vb365sim.SeedOrganizationID + "/explore"), auth: true,
					body: explore("yesterday", "Vex"), badRequest: true, want: 400},
				{name: "explore malformed body", method: "POST", path: lit("/" + ver + "/Organizations/" + vb365sim.SeedOrganizationID + "/explore"), auth: true,
					body: `{"dateTime":`, badRequest: true, want: 400},
				{name: "explore never backed up", method: "POST", path: lit("/" + ver + "/Organizations/" + vb365sim.NeverBackedUpOrganizationID + "/explore"), auth: true,
					body: explore("2020-10-30T10:54:40Z", "Vex"), want: 500,
					check: func(t *testing.T, r reply) {
						m := r.json(t)
						assert.Equal(t, "Restore session cannot be created.", m["message"])
						if vn >= 8 {
							assert.Contains(t, m, "errorCode")
							assert.Contains(t, m, "stackTrace")
						} else {
							assert.NotContains(t, m, "stackTrace")
						}
					}},
				{name: "explore unknown organization", method: "POST", path: lit("/" + ver + "/Organizations/" + unknown + "/explore"), auth: true,
					body: explore("2020-10-30T10:54:40Z", "Vex"), want: 404},
				{name: "explore without token", method: "POST", path: lit("/" + ver + "/Organizations/" + vb365sim.SeedOrganizationID + "/explore"),
					body: explore("2020-10-30T10:54:40Z", "Vex"), want: 401},
				{name: "sessions", method: "GET", path: lit("/" + ver + "/RestoreSessions?offset=0&limit=10&startTimeFrom=2026-03-01T00:00:00Z"), auth: true, want: 200,
					advanceTime: 10 * time.Second,
					check: func(t *testing.T, r reply) {
						assert.Len(t, r.json(t)["results"], 1)
					}},
				{name: "sessions bad filter", method: "GET", path: lit("/" + ver + "/RestoreSessions?startTimeFrom=soon"), auth: true, want: 400},
				{name: "session", method: "GET", path: func() string { return "/" + ver + "/RestoreSessions/" + sessionID }, auth: true, want: 200},
				{name: "unknown session", method: "GET", path: lit("/" + ver + "/RestoreSessions/" + unknown), auth: true, want: 404},
				{name: "events", method: "GET", path: func() string { return "/" + ver + "/RestoreSessions/" + sessionID + "/Events?offset=0&limit=100" }, auth: true, want: 200,
					check: func(t *testing.T, r reply) {
						m := r.json(t)
						res := m["results"].([]any)
						require.Len(t, res, 7)
						assert.NotEmpty(t, m["setId"])
						if vn < 8 {
							assert.EqualValues(t, 7, m["totalCount"])
						} else {
							assert.NotContains(t, m, "totalCount")
						}
						marker := res[0].(map[string]any)
						assert.EqualValues(t, 0, marker["order"])
						assert.Equal(t, "Restore session started", marker["title"])
						first := res[1].(map[string]any)
						assert.EqualValues(t, 1, first["order"])
						assert.Equal(t, "00:00:00.3000000", first["duration"])
						eventID = first["id"].(string)
						if vn < 8 {
							assert.NotContains(t, first, "organizationId")
						}
					}},
				{name: "session organization", method: "GET", path: func() string { return "/" + ver + "/RestoreSessions/" + sessionID + "/organization" }, auth: true, want: 200,
					check: func(t *testing.T, r reply) {
						m := r.json(t)
						assert.Equal(t, vb365sim.SeedOrganizationID, m["id"])
						assert.Equal(t, "abc.onmicrosoft.com", m["name"])
					}},
				{name: "organization of unknown session", method: "GET", path: lit("/" + ver + "/RestoreSessions/" + unknown + "/organization"), auth: true, want: 404,
					check: func(t *testing.T, r reply) {
						if vn >= 8 {
							assert.Equal(t, "ResourceNotFound", r.json(t)["errorCode"])
						} else {
							assert.NotContains(t, r.json(t), "errorCode")
						}
					}},
				{name: "explore without type", method: "POST", path: lit("/" + ver + "/Organizations/" + vb365sim.RecentOrganizationID + "/explore"), auth: true,
					body: `{"showDeleted":true}`, want: exploreStatus,
					check: func(t *testing.T, r reply) { assert.Equal(t, "Vex", r.json(t)["type"]) }},
				{name: "events of unknown session", method: "GET", path: lit("/" + ver + "/RestoreSessions/" + unknown + "/Events"), auth: true, want: 404},
				{name: "event", method: "GET", path: func() string { return "/" + ver + "/RestoreSessions/" + sessionID + "/Events/" + eventID }, auth: true, want: 200},
				{name: "unknown event", method: "GET", path: func() string { return "/" + ver + "/RestoreSessions/" + sessionID + "/Events/" + unknown }, auth: true, want: 404},
				{name: "stop", method: "POST", path: func() string { return "/" + ver + "/RestoreSessions/" + sessionID + "/Stop" }, auth: true, want: stopStatus},
				{name: "stop again", method: "POST", path: func() string { return "/" + ver + "/RestoreSessions/" + sessionID + "/Stop" }, auth: true, want: stopStatus},
				{name: "stopped session", method: "GET", path: func() string { return "/" + ver + "/RestoreSessions/" + sessionID }, auth: true, want: 200,
					check: func(t *testing.T, r reply) {
						m := r.json(t)
						assert.Equal(t, "Stopped", m["state"])
						assert.NotEmpty(t, m["endTime"])
						assert.Equal(t, "Failed", m["result"]) // the built-in script has a failed restore
					}},
				{name: "stop unknown", method: "POST", path: lit("/" + ver + "/RestoreSessions/" + unknown + "/Stop"), auth: true, want: 404},
			}
			if vn >= 8 {
				steps = append(steps, step{name: "statistics", method: "GET", path: func() string { return "/" + ver + "/RestoreSessions/" + sessionID + "/Statistics" }, auth: true, want: 200,
					check: func(t *testing.T, r reply) {
						m := r.json(t)
						assert.EqualValues(t, 4, m["totalItemsCount"])
						assert.EqualValues(t, 3, m["restoredItemsCount"])
						assert.EqualValues(t, 1, m["failedItemsCount"])
						assert.Len(t, m["errors"], 1)
					}})
				var changeToken string
				steps = append(steps,
					step{name: "changes from latest", method: "GET", path: lit("/v8/Events?from=latest&limit=5"), auth: true, want: 200,
						check: func(t *testing.T, r reply) {
							m := r.json(t)
							assert.Empty(t, m["results"], "latest starts at the end of the feed")
							changeToken = m["nextChangeToken"].(string)
						}},
					step{name: "changes after an event", method: "GET", path: func() string { return "/v8/Events?from=" + url.QueryEscape(changeToken) + "&timeoutSeconds=1" },
						auth: true, want: 200, before: func() { require.NoError(t, sim.AppendEvent(sessionID, vb365sim.EventInput{Message: "late"})) },
						check: func(t *testing.T, r reply) {
							res := r.json(t)["results"].([]any)
							require.Len(t, res, 1)
							c := res[0].(map[string]any)
							assert.Equal(t, "RestoreSessionUpdate", c["eventType"])
							assert.Equal(t, sessionID, c["id"])
							assert.NotZero(t, c["eTag"])
						}},
					step{name: "changes from an unknown token", method: "GET", path: lit("/v8/Events?from=nope"), auth: true, want: 400,
						check: func(t *testing.T, r reply) { assert.Equal(t, "OutdatedChangeToken", r.json(t)["errorCode"]) }},
				)
			}
			steps = append(steps,
				step{name: "proxy offline", method: "POST", path: lit("/" + ver + "/Organizations/" + vb365sim.SeedOrganizationID + "/explore"),
					before: func() {
						require.NoError(t, sim.SetOrganizationBehaviour(vb365sim.SeedOrganizationID, vb365sim.Behaviour{ProxyOffline: new(true)}))
					}, auth: true, body: explore("2020-10-30T10:54:40Z", "Vex"), want: 500,
					check: func(t *testing.T, r reply) {
						m := r.json(t)
						if vn >= 7 {
							assert.Equal(t, "ProxyOffline", m["errorCode"])
						} else {
							assert.NotContains(t, m, "errorCode")
						}
					}},
				step{name: "organization with its proxy offline", method: "GET", path: lit("/" + ver + "/Organizations/" + vb365sim.SeedOrganizationID + "?extendedView=true"), auth: true, want: 200,
					check: func(t *testing.T, r reply) {
						assert.NotContains(t, r.json(t), "lastBackuptime")
						require.NoError(t, sim.SetOrganizationBehaviour(vb365sim.SeedOrganizationID, vb365sim.Behaviour{ProxyOffline: new(false)}))
					}},
				step{name: "fault with an error code", method: "GET", path: lit("/" + ver + "/ServiceInstance"),
					before: func() {
						sim.AddFault(vb365sim.Fault{Path: "/" + ver + "/ServiceInstance", Status: 504, ErrorCode: "Timeout", StackTrace: "at X"})
					}, auth: true, want: 504,
					check: func(t *testing.T, r reply) {
						m := r.json(t)
						if vn >= 8 {
							assert.Equal(t, "Timeout", m["errorCode"])
							assert.Equal(t, "at X", m["stackTrace"])
						} else {
							assert.NotContains(t, m, "errorCode")
						}
					}},
			)
			if vn >= 7 {
				steps = append(steps, step{name: "logout", method: "POST", path: lit("/" + ver + "/token/logout"), auth: true, want: map[bool]int{true: 204, false: 200}[vn >= 8]})
			}
			for _, st := range steps {
				clock.Advance(st.advanceTime)
				if st.before != nil {
					st.before()
				}
				body := st.body
				if st.name == "refresh (JSON body)" {
					body = fmt.Sprintf(`{"grant_type":"refresh_token","refresh_token":%q}`, refresh)
				}
				tok := ""
				if st.auth {
					tok = token
				}
				if st.name == "bad token" {
					tok = "not-a-token"
				}
				req := newRequest(st.method, st.path(), tok, st.ct, body)
				if !st.badRequest {
					require.NoError(t, spec.ValidateRequest(req, []byte(body)), st.name)
				}
				r := serve(h, newRequest(st.method, st.path(), tok, st.ct, body))
				require.Equal(t, st.want, r.status, "%s: %s", st.name, r.body)
				assert.NoError(t, spec.ValidateResponse(req, r.status, r.header, r.body), st.name)
				if st.check != nil {
					t.Run(st.name, func(t *testing.T) { st.check(t, r) })
				}
			}
		})
	}
}

func lit(s string) func() string { return func() string { return s } }

// A path or version that does not exist answers 404 with VB365's error body.
func TestUnknownPathsAndVersions(t *testing.T) {
	sim := newSim(t, vb365sim.Options{Versions: []string{"v6", "v8"}})
	h := sim.Handler()
	tok := login(t, h, "v8")
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/v8/NoSuchThing", 404},
		{"GET", "/v9/ServiceInstance", 404},
		{"GET", "/v7/ServiceInstance", 404}, // not served
		{"GET", "/v5/ServiceInstance", 404},
		{"GET", "/v6/ServiceInstance", 401},
		{"GET", "/", 404},
		{"DELETE", "/v8/Organizations", 405},
		{"POST", "/v8/Organizations/" + vb365sim.SeedOrganizationID + "/action", 404}, // v5 only
	} {
		r := do(t, h, tc.method, tc.path, tok, "")
		if tc.path == "/v6/ServiceInstance" {
			r = do(t, h, tc.method, tc.path, "", "")
		}
		assert.Equal(t, tc.want, r.status, "%s %s", tc.method, tc.path)
		assert.NotEmpty(t, r.json(t)["message"], "%s %s", tc.method, tc.path)
	}
}

// Paths ignore case, like the real server.
func TestPathsAreCaseInsensitive(t *testing.T) {
	sim := newSim(t, vb365sim.Options{})
	h := sim.Handler()
	tok := login(t, h, "V8")
	r := do(t, h, "POST", "/V8/organizations/"+strings.ToUpper(vb365sim.SeedOrganizationID)+"/EXPLORE", tok, `{"dateTime":"2020-10-30T10:54:40Z","type":"vex"}`)
	require.Equal(t, 201, r.status, string(r.body))
	id := r.json(t)["id"].(string)
	for _, p := range []string{"/v8/restoresessions/" + id, "/V8/RESTORESESSIONS/" + strings.ToUpper(id), "/v8/RestoreSessions/" + id + "/events"} {
		assert.Equal(t, 200, do(t, h, "GET", p, tok, "").status, p)
	}
	assert.Equal(t, 204, do(t, h, "POST", "/v8/restoresessions/"+id+"/stop", tok, "").status)
	assert.Equal(t, 200, do(t, h, "GET", "/_SIM/Sessions", "", "").status)
}
