package integration

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// Veeam's v5 "Create Restore Session" example, end to end: its request, on
// API v5 as in the example (and on v8), through the real worker and a real
// Temporal server, from start through events to stop.
func TestSeedExampleEndToEnd(t *testing.T) {
	for _, version := range []string{"v5", "v8"} {
		t.Run(version, func(t *testing.T) {
			s := newStack(t, vb365sim.Options{}, "VB365_API_VERSION="+version)
			run := s.start(workflows.RestoreInput{
				OrganizationID: "3c424478-0811-4920-8aab-01f0bf2a2822",
				PointInTime:    "2020-10-30T10:54:40.2794046Z",
				Type:           "vet",
				PollInterval:   "1s",
			})
			st := waitForEvents(t, run.GetID(), 3, time.Minute)
			require.Equal(t, workflows.PhaseOpen, st.Phase)
			require.Equal(t, "Teams restore (Entire organization - 10/30/2020 10:29:05 AM)", st.Session.Name)

			stopByUpdate(t, run.GetID())
			rep := result(t, run)
			require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
			require.True(t, rep.ClampedToLatest, "10:54:40 is after the last backup at 10:29:05")
			require.Equal(t, time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC), rep.EffectivePointInTime.UTC())
			require.Equal(t, "abc.onmicrosoft.com", rep.Organization.Name)
			require.Equal(t, "Stopped", rep.Session.State)
			s.checkClean(1, rep)
		})
	}
}
