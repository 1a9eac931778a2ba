package fakevb365_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/activities/fakevb365"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// model is a VB365 the activities can run against, with the operator's
// actions the tests need.
type model struct {
	api            activities.VB365API
	appendEvent    func(t *testing.T, sessionID, status, message string)
	setEventStatus func(t *testing.T, sessionID string, order int32, status string)
	stopInVB365    func(t *testing.T, sessionID string)
	clock          *clock
}

// clock moves only when a case says: the simulator's scripted events (from
// 0.2 s after creation) never come, so both models hold only what the cases do.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: frozen()} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func frozen() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }

func fakeModel(t *testing.T) model {
	f := fakevb365.New()
	clk := newClock()
	f.SetClock(clk.Now)
	last := time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)
	first := time.Date(2020, 10, 2, 22, 0, 0, 0, time.UTC)
	f.AddOrganization(vb365.Organization{ID: vb365sim.SeedOrganizationID, Name: "abc.onmicrosoft.com", IsBackedUp: true,
		FirstBackupTime: &first, LastBackupTime: &last})
	f.AddOrganization(vb365.Organization{ID: vb365sim.NeverBackedUpOrganizationID, Name: "new.onmicrosoft.com"})
	return model{
		api:            f,
		appendEvent:    func(_ *testing.T, id, status, msg string) { f.AppendEvent(id, status, msg) },
		setEventStatus: func(_ *testing.T, id string, order int32, status string) { f.SetEventStatus(id, order, status) },
		stopInVB365:    func(_ *testing.T, id string) { f.StopInVB365(id) },
		clock:          clk,
	}
}

func simModel(t *testing.T) model {
	clk := newClock()
	sim := vb365sim.New(vb365sim.Options{Versions: []string{"v8"}, Now: clk.Now})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); sim.Close() })
	c, err := vb365.New(vb365.Config{BaseURL: srv.URL, Username: "admin", Password: "admin"})
	require.NoError(t, err)
	return model{
		api: c,
		appendEvent: func(t *testing.T, id, status, msg string) {
			require.NoError(t, sim.AppendEvent(id, vb365sim.EventInput{Type: "View", Status: status, Message: msg}))
		},
		setEventStatus: func(t *testing.T, id string, order int32, status string) {
			require.NoError(t, sim.SetEventStatus(id, int(order), status))
		},
		stopInVB365: func(t *testing.T, id string) { require.NoError(t, sim.StopSession(id)) },
		clock:       clk,
	}
}

// observation is what a case saw, compared between the models.
type observation map[string]any

// cases each drive a model and say what they saw; the fake must see what the
// simulator sees.
var cases = map[string]func(t *testing.T, m model) observation{
	"stopping a stopped session succeeds": func(t *testing.T, m model) observation {
		s := open(t, m)
		require.NoError(t, m.api.StopRestoreSession(context.Background(), s.ID))
		err := m.api.StopRestoreSession(context.Background(), s.ID)
		got := get(t, m, s.ID)
		return observation{"second stop error": err != nil, "state": got.State}
	},
	"first event is the start, order 0": func(t *testing.T, m model) observation {
		s := open(t, m)
		evs := events(t, m, s.ID, 0)
		require.NotEmpty(t, evs)
		return observation{"count": len(evs), "order": evs[0].Order, "type": evs[0].Type, "status": evs[0].Status, "message": evs[0].Message}
	},
	"statuses change: a running event ends": func(t *testing.T, m model) observation {
		s := open(t, m)
		m.appendEvent(t, s.ID, "Running", "restoring")
		before := events(t, m, s.ID, 0)[1].Status
		m.setEventStatus(t, s.ID, 1, "Success")
		after := events(t, m, s.ID, 0)[1].Status
		return observation{"before": before, "after": after}
	},
	"a running event is cancelled by the stop, which closes the list": func(t *testing.T, m model) observation {
		s := open(t, m)
		m.appendEvent(t, s.ID, "Running", "restoring")
		m.clock.Advance(time.Millisecond)
		m.stopInVB365(t, s.ID)
		evs := events(t, m, s.ID, 0)
		var statuses, messages []string
		for _, e := range evs {
			statuses, messages = append(statuses, e.Status), append(messages, e.Message)
		}
		return observation{"statuses": statuses, "messages": messages[len(messages)-1], "state": get(t, m, s.ID).State}
	},
	"explore of a never-backed-up organization": func(t *testing.T, m model) observation {
		_, err := m.api.StartRestoreSession(context.Background(), vb365sim.NeverBackedUpOrganizationID,
			vb365.ExploreRequest{DateTime: frozen(), Type: vb365.SessionTypeTeams})
		require.Error(t, err)
		var e *vb365.Error
		require.ErrorAs(t, err, &e)
		return observation{"status": vb365.StatusCode(err), "message": e.Message}
	},
	"the server's clock, known from the first call and after it moves": func(t *testing.T, m model) observation {
		first, ok := m.api.ServerNow(context.Background())
		firstOK := ok && first.Truncate(time.Second).Equal(m.clock.Now())
		m.clock.Advance(time.Hour)
		open(t, m) // an answer after the server's clock moved
		later, ok := m.api.ServerNow(context.Background())
		laterOK := ok && later.Truncate(time.Second).Equal(m.clock.Now())
		require.True(t, firstOK && laterOK, "first %s, later %s, server %s", first, later, m.clock.Now())
		return observation{"first": firstOK, "after an hour": laterOK}
	},
	"page sizes: 30 by default, at most 10,000": func(t *testing.T, m model) observation {
		s := open(t, m)
		for range 40 {
			m.appendEvent(t, s.ID, "Success", "item")
		}
		def, err := m.api.ListRestoreSessionEvents(context.Background(), s.ID, vb365.ListOptions{})
		require.NoError(t, err)
		big, err := m.api.ListRestoreSessionEvents(context.Background(), s.ID, vb365.ListOptions{Limit: 20000})
		require.NoError(t, err)
		return observation{"default": len(def.Results), "default more": def.HasNext, "big": len(big.Results), "big more": big.HasNext}
	},
	"session result while working and at the stop": func(t *testing.T, m model) observation {
		s := open(t, m)
		m.appendEvent(t, s.ID, "Warning", "saved with warnings")
		working := get(t, m, s.ID).Result
		m.appendEvent(t, s.ID, "Failed", "access denied")
		m.stopInVB365(t, s.ID)
		return observation{"working": working, "stopped": get(t, m, s.ID).Result}
	},
	"sessions listed with a time filter": func(t *testing.T, m model) observation {
		s := open(t, m)
		from := frozen().Add(-time.Minute)
		p, err := m.api.ListRestoreSessions(context.Background(), vb365.ListRestoreSessionsOptions{StartTimeFrom: &from,
			OrderBy: vb365.OrderByCreationTime, OrderAsc: true})
		require.NoError(t, err)
		require.Len(t, p.Results, 1)
		return observation{"id matches": p.Results[0].ID == s.ID, "state": p.Results[0].State, "type": p.Results[0].Type,
			"organization": p.Results[0].Organization}
	},
}

func open(t *testing.T, m model) *vb365.RestoreSession {
	t.Helper()
	s, err := m.api.StartRestoreSession(context.Background(), vb365sim.SeedOrganizationID,
		vb365.ExploreRequest{DateTime: time.Date(2020, 10, 30, 10, 54, 40, 0, time.UTC), Type: vb365.SessionTypeTeams})
	require.NoError(t, err)
	return s
}

func get(t *testing.T, m model, id string) *vb365.RestoreSession {
	t.Helper()
	s, err := m.api.GetRestoreSession(context.Background(), id)
	require.NoError(t, err)
	return s
}

func events(t *testing.T, m model, id string, offset int) []vb365.RestoreSessionEvent {
	t.Helper()
	p, err := m.api.ListRestoreSessionEvents(context.Background(), id, vb365.ListOptions{Offset: offset, Limit: 1000})
	require.NoError(t, err)
	return p.Results
}

// TestFakeConformsToSimulator runs every case against the fake and the
// simulator (through the real client) and fails where they differ.
func TestFakeConformsToSimulator(t *testing.T) {
	var mu sync.Mutex
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			want := run(t, simModel(t))
			got := run(t, fakeModel(t))
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, want, got, "the fake differs from the simulator")
		})
	}
}
