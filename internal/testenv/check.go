package testenv

import (
	"fmt"
	"strings"
	"time"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// CheckRecorded holds a restore's report to what the simulator really had:
// the session is stopped; it is of the organization and type the report
// says, opened for the report's effective point in time (clamped to the
// latest restore point exactly when the report says so); and every one of its
// events was recorded exactly once, in order, with the status it ended with.
// It returns every discrepancy, not just the first.
func CheckRecorded(sim *Sim, rep workflows.RestoreReport) error {
	return checkRecorded(sim.Simulator, rep)
}

func checkRecorded(sim *vb365sim.Simulator, rep workflows.RestoreReport) error {
	var problems []string
	if rep.Session.ID == "" {
		return fmt.Errorf("the report names no session")
	}
	events, err := sim.Events(rep.Session.ID)
	if err != nil {
		return fmt.Errorf("session %s: %w", rep.Session.ID, err)
	}
	view, _ := sessionByID(sim, rep.Session.ID)
	problems = append(problems, checkOpened(view, rep)...)
	if rep.EventCounts.Total != len(events) {
		problems = append(problems, fmt.Sprintf("recorded %d events, VB365 has %d", rep.EventCounts.Total, len(events)))
	}
	// The report keeps the latest events when there are many.
	offset := len(events) - len(rep.Events)
	if offset < 0 || offset != rep.EventsDropped {
		problems = append(problems, fmt.Sprintf("report holds %d events and says %d dropped; VB365 has %d", len(rep.Events), rep.EventsDropped, len(events)))
		offset = max(offset, 0)
	}
	for i, got := range rep.Events {
		if offset+i >= len(events) {
			break
		}
		want := events[offset+i]
		if got.ID != want.ID || int(got.Order) != want.Order {
			problems = append(problems, fmt.Sprintf("event #%d: recorded %s (order %d), VB365 has %s (order %d)", offset+i, got.ID, got.Order, want.ID, want.Order))
		} else if got.Status != want.Status {
			problems = append(problems, fmt.Sprintf("event order %d: recorded status %s, VB365 ended it %s", got.Order, got.Status, want.Status))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("restore %s:\n  %s", rep.Session.ID, strings.Join(problems, "\n  "))
	}
	return nil
}

// checkOpened compares the report's session with the one the simulator
// opened: state, organization, type, point in time and clamping.
func checkOpened(view vb365sim.SessionView, rep workflows.RestoreReport) []string {
	var problems []string
	if view.State != vb365.SessionStateStopped {
		problems = append(problems, fmt.Sprintf("session %s is %q in VB365, want Stopped", rep.Session.ID, view.State))
	}
	if view.ID == "" {
		return problems
	}
	if !strings.EqualFold(view.OrganizationID, rep.Organization.ID) {
		problems = append(problems, fmt.Sprintf("organization: report says %s, VB365 opened the session for %s", rep.Organization.ID, view.OrganizationID))
	}
	if !strings.EqualFold(view.Type, rep.Session.Type) {
		problems = append(problems, fmt.Sprintf("session type: report says %q, VB365 opened %q", rep.Session.Type, view.Type))
	}
	// The restore asks VB365 for the requested point in time (the latest
	// backup when none); the effective one is that, or the latest restore
	// point when the request lies after it (clamped).
	asked := rep.EffectivePointInTime
	if rep.RequestedPointInTime != nil {
		asked = *rep.RequestedPointInTime
	}
	if !view.RequestedPointInTime.Equal(asked) {
		problems = append(problems, fmt.Sprintf("point in time: the restore asked for %s, VB365 was asked for %s",
			asked.UTC().Format(time.RFC3339Nano), view.RequestedPointInTime.UTC().Format(time.RFC3339Nano)))
	}
	switch {
	case rep.ClampedToLatest && (view.RestorePoint == nil || !view.RestorePoint.Equal(rep.EffectivePointInTime) ||
		!rep.EffectivePointInTime.Before(view.RequestedPointInTime)):
		problems = append(problems, fmt.Sprintf("report says clamped to the latest restore point %s, but VB365 opened %v for %s",
			rep.EffectivePointInTime.UTC().Format(time.RFC3339), view.RestorePoint, view.RequestedPointInTime.UTC().Format(time.RFC3339)))
	case !rep.ClampedToLatest && !rep.EffectivePointInTime.Equal(view.RequestedPointInTime):
		problems = append(problems, fmt.Sprintf("report says not clamped, but its effective point in time %s is not the %s VB365 opened the session for",
			rep.EffectivePointInTime.UTC().Format(time.RFC3339Nano), view.RequestedPointInTime.UTC().Format(time.RFC3339Nano)))
	}
	return problems
}

// SessionByID finds a session among all the simulator ever created.
func SessionByID(sim *Sim, id string) (vb365sim.SessionView, bool) {
	return sessionByID(sim.Simulator, id)
}

func sessionByID(sim *vb365sim.Simulator, id string) (vb365sim.SessionView, bool) {
	for _, s := range sim.Sessions() {
		if strings.EqualFold(s.ID, id) {
			return s, true
		}
	}
	return vb365sim.SessionView{}, false
}

// WorkingSessions lists the sessions still open in the simulator.
func WorkingSessions(sim *Sim) []vb365sim.SessionView {
	var out []vb365sim.SessionView
	for _, s := range sim.Sessions() {
		if s.State != vb365.SessionStateStopped {
			out = append(out, s)
		}
	}
	return out
}
