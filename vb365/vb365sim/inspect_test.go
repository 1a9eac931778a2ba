package vb365sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

func TestEventsShowsWhatTheAPIServes(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	s := newSim(t, vb365sim.Options{Now: clock.Now})
	h := s.Handler()
	tok := login(t, h, "v8")
	r := do(t, h, "POST", "/v8/Organizations/"+vb365sim.SeedOrganizationID+"/explore", tok, `{"dateTime":"2020-10-30T10:54:40Z","type":"Vet"}`)
	require.Equal(t, 201, r.status, r.body)
	id, _ := r.json(t)["id"].(string)

	clock.Advance(20 * time.Minute)
	require.NoError(t, s.AppendEvent(id, vb365sim.EventInput{Type: "Restore", Status: "Warning", Message: "appended"}))
	events, err := s.Events(id)
	require.NoError(t, err)
	require.NotEmpty(t, events)
	for i, e := range events {
		require.Equal(t, i, e.Order, "orders are 0-based (the start marker) and dense")
		require.NotEqual(t, "Running", e.Status, "20 minutes later every scripted event has ended")
	}
	require.Equal(t, "Warning", events[len(events)-1].Status)
	require.Equal(t, len(events), s.Sessions()[0].EventCount)

	_, err = s.Events("00000000-0000-0000-0000-000000000000")
	require.ErrorIs(t, err, vb365sim.ErrSessionNotFound)
}
