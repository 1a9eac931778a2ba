package vb365sim

import (
	"time"
)

// EventView is an event as the simulator holds it now, for tests that check
// what a client recorded against what the server really had.
type EventView struct {
	ID     string `json:"id"`
	Order  int    `json:"order"`
	Type   string `json:"type"`
	Status string `json:"status"`
	// Start is when the event began.
	Start time.Time `json:"startTime"`
}

// Events returns a session's events, in order, as they stand now.
func (s *Simulator) Events(sessionID string) ([]EventView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, now, err := s.sessionNow(sessionID)
	if err != nil {
		return nil, err
	}
	out := make([]EventView, 0, len(sess.events))
	for _, e := range sess.events {
		status, _, _ := e.view(sess, now)
		out = append(out, EventView{ID: e.id, Order: e.order, Type: e.typ, Status: status, Start: e.start})
	}
	return out, nil
}
