package integration

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktemporal "go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// Every way a restore ends: cancellation (also while the session is being
// created), stop by update and by signal, maxSessionDuration, and a stop
// done in VB365 (console, or Explorer closing the session by itself).
func TestLifecycleEndings(t *testing.T) {
	t.Parallel()

	canceled := func(t *testing.T, err error) workflows.RestoreReport {
		t.Helper()
		var ce *sdktemporal.CanceledError
		require.True(t, errors.As(err, &ce), "want a cancellation, got %v", err)
		var rep workflows.RestoreReport
		require.NoError(t, ce.Details(&rep), "the cancellation carries the report")
		require.Equal(t, workflows.EndReasonCanceled, rep.EndReason)
		return rep
	}

	t.Run("cancel", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, vb365sim.Options{})
		run := s.start(input())
		waitForEvents(t, run.GetID(), 3, long)
		require.NoError(t, devServer.Client.CancelWorkflow(context.Background(), run.GetID(), ""))
		_, err := resultOf(t, run)
		s.checkClean(1, canceled(t, err))
	})
	t.Run("cancel-while-creating", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, vb365sim.Options{})
		s.sim.AddFault(fault(pathCreate, vb365sim.Fault{DelayMs: 3000}))
		run := s.start(input())
		waitFor(t, long, "the create call", func() bool { return s.sim.Stats().FaultsInjected > 0 })
		require.NoError(t, devServer.Client.CancelWorkflow(context.Background(), run.GetID(), ""))
		_, err := resultOf(t, run)
		s.checkClean(1, canceled(t, err))
	})
	t.Run("update", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, vb365sim.Options{})
		s.runAndStop(s.start(input()), 1)
	})
	t.Run("signal", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, vb365sim.Options{})
		run := s.start(input())
		waitForEvents(t, run.GetID(), scriptedEvents, long)
		signalStop(t, devServer.Client, run.GetID())
		rep, err := resultOf(t, run)
		require.NoError(t, err)
		require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
		require.Equal(t, t.Name(), rep.StopRequestedBy)
		s.checkClean(1, rep)
	})
	t.Run("max-duration", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, vb365sim.Options{})
		in := input()
		in.MaxSessionDuration = "10s"
		rep, err := resultOf(t, s.start(in))
		require.NoError(t, err)
		require.Equal(t, workflows.EndReasonMaxDuration, rep.EndReason)
		s.checkClean(1, rep)
	})
	t.Run("stopped-in-console", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, vb365sim.Options{})
		run := s.start(input())
		waitForEvents(t, run.GetID(), 3, long)
		require.NoError(t, s.sim.StopSession(sessionOf(t, s.sim, 1).ID))
		rep, err := resultOf(t, run)
		require.NoError(t, err)
		require.Equal(t, workflows.EndReasonStoppedInVB365, rep.EndReason)
		s.checkClean(1, rep)
	})
	t.Run("stopped-by-explorer", func(t *testing.T) {
		t.Parallel()
		sc := vb365sim.BuiltinScenario()
		sc.SessionStopsAfter = vb365sim.Duration(9 * time.Second)
		s := newStack(t, vb365sim.Options{Scenario: sc})
		rep, err := resultOf(t, s.start(input()))
		require.NoError(t, err)
		require.Equal(t, workflows.EndReasonStoppedInVB365, rep.EndReason)
		require.Equal(t, scriptedEvents+stopEvent, rep.EventCounts.Total)
		s.checkClean(1, rep)
	})
}
