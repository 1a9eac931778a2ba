package testenv

import (
	"fmt"
	"strings"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// CheckRecorded holds a restore's report to what the simulator really had:
// the session is stopped, and every one of its events was recorded exactly
// once, in order, with the status it ended with. It returns every
// discrepancy, not just the first.
func CheckRecorded(sim *Sim, rep workflows.RestoreReport) error {
	var problems []string
	if rep.Session.ID == "" {
		return fmt.Errorf("the report names no session")
	}
	events, err := sim.Events(rep.Session.ID)
	if err != nil {
		return fmt.Errorf("session %s: %w", rep.Session.ID, err)
	}
	if view, ok := SessionByID(sim, rep.Session.ID); !ok || view.State != vb365.SessionStateStopped {
		problems = append(problems, fmt.Sprintf("session %s is %q in VB365, want Stopped", rep.Session.ID, view.State))
	}
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

// SessionByID finds a session among all the simulator ever created.
func SessionByID(sim *Sim, id string) (vb365sim.SessionView, bool) {
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
