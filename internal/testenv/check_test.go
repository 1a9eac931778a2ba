package testenv

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// recordedSession opens a session in an in-process simulator for pointInTime,
// lets its script play, stops it, and returns the simulator with the report
// a faithful restore would write (effective: pointInTime, or the latest
// restore point when clamped says so).
func recordedSession(t *testing.T, pointInTime time.Time, clamped bool) (*vb365sim.Simulator, workflows.RestoreReport) {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	sim := vb365sim.New(vb365sim.Options{Versions: []string{"v8"}, Now: clock.Now})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(func() { srv.Close(); sim.Close() })
	c, err := vb365.New(vb365.Config{BaseURL: srv.URL, Username: "admin", Password: "admin"})
	require.NoError(t, err)
	ctx := context.Background()
	s, err := c.StartRestoreSession(ctx, vb365sim.SeedOrganizationID, vb365.ExploreRequest{DateTime: pointInTime, Type: vb365.SessionTypeTeams})
	require.NoError(t, err)
	clock.Advance(10 * time.Second) // the built-in script has played
	require.NoError(t, c.StopRestoreSession(ctx, s.ID))
	stopped, err := c.GetRestoreSession(ctx, s.ID)
	require.NoError(t, err)
	page, err := c.ListRestoreSessionEvents(ctx, s.ID, vb365.ListOptions{Limit: 1000})
	require.NoError(t, err)
	require.Greater(t, len(page.Results), 4)
	counts := workflows.EventCounts{Total: len(page.Results), ByStatus: map[string]int{}}
	for _, e := range page.Results {
		counts.ByStatus[e.Status]++
	}
	requested, effective := pointInTime, pointInTime
	if clamped {
		effective = time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC) // the seed organization's last backup
	}
	return sim, workflows.RestoreReport{
		Organization:         workflows.OrganizationInfo{ID: vb365sim.SeedOrganizationID, Name: "abc.onmicrosoft.com"},
		RequestedPointInTime: &requested,
		EffectivePointInTime: effective,
		ClampedToLatest:      clamped,
		Session:              *stopped,
		Events:               page.Results,
		EventCounts:          counts,
		EndReason:            workflows.EndReasonStopRequested,
	}
}

// TestCheckRecordedFailsOnEveryKindOfWrongReport: the oracle passes a
// faithful report and fails one with an event missing, doubled, reordered or
// stale, or with the session's type, point in time or clamping not what the
// simulator opened.
func TestCheckRecordedFailsOnEveryKindOfWrongReport(t *testing.T) {
	point := time.Date(2020, 10, 15, 0, 0, 0, 0, time.UTC)
	sim, good := recordedSession(t, point, false)
	require.NoError(t, checkRecorded(sim, good))

	clone := func() workflows.RestoreReport {
		r := good
		r.Events = append([]vb365.RestoreSessionEvent(nil), good.Events...)
		return r
	}
	for name, tc := range map[string]struct {
		change func(*workflows.RestoreReport)
		want   string
	}{
		"missing event": {func(r *workflows.RestoreReport) {
			r.Events = append(r.Events[:2:2], r.Events[3:]...)
			r.EventCounts.Total--
		}, "recorded"},
		"doubled event": {func(r *workflows.RestoreReport) {
			r.Events = append(r.Events[:3:3], r.Events[2:]...)
			r.EventCounts.Total++
		}, "recorded"},
		"reordered events": {func(r *workflows.RestoreReport) {
			r.Events[1], r.Events[2] = r.Events[2], r.Events[1]
		}, "event #1"},
		"stale status": {func(r *workflows.RestoreReport) {
			r.Events[3].Status = "Running"
		}, "recorded status Running"},
		"count only":   {func(r *workflows.RestoreReport) { r.EventCounts.Total++ }, "recorded"},
		"session type": {func(r *workflows.RestoreReport) { r.Session.Type = string(vb365.SessionTypeExchange) }, "session type"},
		"point in time": {func(r *workflows.RestoreReport) {
			p := point.Add(time.Hour)
			r.RequestedPointInTime, r.EffectivePointInTime = &p, p
		}, "point in time"},
		"effective point in time": {func(r *workflows.RestoreReport) { r.EffectivePointInTime = point.Add(time.Hour) }, "not clamped"},
		"clamped claimed":         {func(r *workflows.RestoreReport) { r.ClampedToLatest = true }, "clamped"},
		"organization":            {func(r *workflows.RestoreReport) { r.Organization.ID = vb365sim.RecentOrganizationID }, "organization"},
	} {
		t.Run(name, func(t *testing.T) {
			r := clone()
			tc.change(&r)
			err := checkRecorded(sim, r)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestCheckRecordedClamped: a point in time after the last backup opens the
// latest restore point; the report that says so passes, one that says it was
// not clamped, or names another point, fails.
func TestCheckRecordedClamped(t *testing.T) {
	last := time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)
	sim, rep := recordedSession(t, last.Add(48*time.Hour), true)
	require.NoError(t, checkRecorded(sim, rep))

	notClamped := rep
	notClamped.ClampedToLatest = false
	err := checkRecorded(sim, notClamped)
	require.Error(t, err)
	require.Contains(t, err.Error(), "not clamped")

	otherPoint := rep
	otherPoint.EffectivePointInTime = last.Add(-24 * time.Hour)
	err = checkRecorded(sim, otherPoint)
	require.Error(t, err)
	require.Contains(t, err.Error(), "clamped to the latest restore point")
}

// TestCheckRecordedNeedsAStoppedSession: a session still open fails the check.
func TestCheckRecordedNeedsAStoppedSession(t *testing.T) {
	sim, rep := recordedSession(t, time.Date(2020, 10, 15, 0, 0, 0, 0, time.UTC), false)
	view, ok := sessionByID(sim, rep.Session.ID)
	require.True(t, ok)
	view.State = vb365.SessionStateWorking
	require.Contains(t, checkOpened(view, rep)[0], `is "Working" in VB365, want Stopped`)
}
