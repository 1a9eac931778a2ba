package vb365sim_test

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// changesOf reads the change feed from token and returns its changes (as
// "id@eTag") and the next token.
func changesOf(t *testing.T, sim *vb365sim.Simulator, tok, from, query string) (changes []string, next string) {
	t.Helper()
	r := do(t, sim.Handler(), "GET", "/v8/Events?from="+url.QueryEscape(from)+query, tok, "")
	require.Equal(t, 200, r.status, string(r.body))
	m := r.json(t)
	for _, c := range m["results"].([]any) {
		c := c.(map[string]any)
		require.Equal(t, "RestoreSessionUpdate", c["eventType"])
		changes = append(changes, c["id"].(string)+"@"+formatETag(c["eTag"].(float64)))
	}
	return changes, m["nextChangeToken"].(string)
}

func formatETag(f float64) string { return strconv.FormatInt(int64(f), 10) }

func openV8(t *testing.T, sim *vb365sim.Simulator, tok string) string {
	t.Helper()
	r := do(t, sim.Handler(), "POST", "/v8/Organizations/"+vb365sim.SeedOrganizationID+"/explore", tok, `{"dateTime":"2020-10-30T10:54:40Z","type":"vex"}`)
	require.Equal(t, 201, r.status, string(r.body))
	return r.json(t)["id"].(string)
}

func etagOf(t *testing.T, sim *vb365sim.Simulator, tok, id string) string {
	t.Helper()
	r := do(t, sim.Handler(), "GET", "/v8/RestoreSessions/"+id, tok, "")
	require.Equal(t, 200, r.status)
	return formatETag(r.json(t)["eTag"].(float64))
}

// TestChangesLogEverySessionChange: a session's creation, an event added,
// an event that ends and the stop each log a RestoreSessionUpdate with the
// session's new eTag, the one a read of the session shows.
func TestChangesLogEverySessionChange(t *testing.T) {
	sim := newSim(t, vb365sim.Options{})
	tok := login(t, sim.Handler(), "v8")
	none, from := changesOf(t, sim, tok, "latest", "")
	require.Empty(t, none)

	id := openV8(t, sim, tok)
	require.NoError(t, sim.AppendEvent(id, vb365sim.EventInput{Status: "Running", Message: "restoring"}))
	require.NoError(t, sim.SetEventStatus(id, 1, "Success"))
	require.NoError(t, sim.StopSession(id))
	got, next := changesOf(t, sim, tok, from, "")
	e := func(n int) string { return id + "@" + formatETag(float64(n)) }
	assert.Equal(t, []string{e(1), e(2), e(3), e(4)}, got, "created, event added, event ended, stopped")
	assert.Equal(t, formatETag(4), etagOf(t, sim, tok, id))

	again, _ := changesOf(t, sim, tok, next, "")
	assert.Empty(t, again, "reading the session changes nothing")
}

// TestChangesOfScriptedEvents: an event the scenario makes appear as time
// passes is logged when the feed is read after it.
func TestChangesOfScriptedEvents(t *testing.T) {
	clock := newFakeClock(start)
	sc := vb365sim.BuiltinScenario()
	sc.Events = []vb365sim.ScriptedEvent{{Offset: vb365sim.Duration(10 * time.Second), Type: "View", Status: "Success", Message: "viewed"}}
	sim := newSim(t, vb365sim.Options{Now: clock.Now, Scenario: sc})
	tok := login(t, sim.Handler(), "v8")
	id := openV8(t, sim, tok)
	_, from := changesOf(t, sim, tok, "latest", "")
	clock.Advance(10 * time.Second)
	got, _ := changesOf(t, sim, tok, from, "")
	assert.Equal(t, []string{id + "@" + formatETag(2)}, got)
}

// TestChangesLimit: limit bounds a page (default 30, at most 10,000); the
// next token reads on.
func TestChangesLimit(t *testing.T) {
	sim := newSim(t, vb365sim.Options{})
	tok := login(t, sim.Handler(), "v8")
	_, from := changesOf(t, sim, tok, "latest", "")
	id := openV8(t, sim, tok)
	for range 40 {
		require.NoError(t, sim.AppendEvent(id, vb365sim.EventInput{Message: "viewed"}))
	}
	page, next := changesOf(t, sim, tok, from, "")
	assert.Len(t, page, 30, "default limit")
	rest, _ := changesOf(t, sim, tok, next, "&limit=5")
	assert.Len(t, rest, 5)
	r := do(t, sim.Handler(), "GET", "/v8/Events?from="+url.QueryEscape(from)+"&limit=20000", tok, "")
	assert.EqualValues(t, 10000, r.json(t)["limit"])
	assert.Len(t, r.json(t)["results"], 41)
}

// TestChangesLongPollAnswersOnChange: with timeoutSeconds the answer waits
// for a change, and comes with it.
func TestChangesLongPollAnswersOnChange(t *testing.T) {
	sim := newSim(t, vb365sim.Options{})
	h := sim.Handler()
	tok := login(t, h, "v8")
	id := openV8(t, sim, tok)
	_, from := changesOf(t, sim, tok, "latest", "")
	done := make(chan reply, 1)
	go func() {
		done <- serve(h, newRequest("GET", "/v8/Events?from="+url.QueryEscape(from)+"&timeoutSeconds=60", tok, "", ""))
	}()
	require.Eventually(t, func() bool { return sim.Stats().Requests["GET /v8/Events"] == 2 }, 5*time.Second, time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("answered before any change: %s", r.body)
	default:
	}
	require.NoError(t, sim.AppendEvent(id, vb365sim.EventInput{Message: "viewed"}))
	r := <-done
	require.Equal(t, 200, r.status)
	assert.Len(t, r.json(t)["results"], 1)
}

// TestChangeTokens: an unknown token answers 400 OutdatedChangeToken; with
// the feed off every read answers 404; turned back on, the tokens of before
// are refused and latest works.
func TestChangeTokens(t *testing.T) {
	sim := newSim(t, vb365sim.Options{})
	h := sim.Handler()
	tok := login(t, h, "v8")
	_, from := changesOf(t, sim, tok, "latest", "")
	for _, bad := range []string{"nope", "x.1", from + "9"} {
		r := do(t, h, "GET", "/v8/Events?from="+url.QueryEscape(bad), tok, "")
		assert.Equal(t, 400, r.status, bad)
		assert.Equal(t, "OutdatedChangeToken", r.json(t)["errorCode"], bad)
	}
	assert.Equal(t, 400, do(t, h, "GET", "/v8/Events", tok, "").status, "from is required")

	require.NoError(t, sim.SetBehaviour(vb365sim.Behaviour{ChangeFeedOff: new(true)}))
	assert.Equal(t, 404, do(t, h, "GET", "/v8/Events?from=latest", tok, "").status)
	require.NoError(t, sim.SetBehaviour(vb365sim.Behaviour{ChangeFeedOff: new(false)}))
	r := do(t, h, "GET", "/v8/Events?from="+url.QueryEscape(from), tok, "")
	assert.Equal(t, 400, r.status, "a token of before the gap")
	assert.Equal(t, "OutdatedChangeToken", r.json(t)["errorCode"])
	changesOf(t, sim, tok, "latest", "")

	assert.Error(t, sim.SetOrganizationBehaviour(vb365sim.SeedOrganizationID, vb365sim.Behaviour{ChangeFeedOff: new(true)}), "server-wide")
}
