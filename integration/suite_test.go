package integration

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	sdktemporal "go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// Shared helpers of the reliability and security suite.

const (
	// scriptedEvents is how many events a session of the built-in scenario
	// has after its first 7.5 seconds: "Restore session started", then the
	// script's 6.
	scriptedEvents = 7
	// stopEvent is the "Restore session stopped" event a stop adds.
	stopEvent = 1
	long      = 3 * time.Minute
)

// input is a restore of the seed organization, polled every second.
func input() workflows.RestoreInput {
	return workflows.RestoreInput{OrganizationID: seedOrg, Type: "vet", PollInterval: "1s"}
}

// startAny starts a restore with any argument (a RestoreInput, a raw map, or
// nothing) on the stack's task queue.
func (s *stack) startAny(args ...any) client.WorkflowRun {
	s.t.Helper()
	return startOn(s.t, devServer.Client, s.taskQueue, args...)
}

func startOn(t *testing.T, c client.Client, taskQueue string, args ...any) client.WorkflowRun {
	t.Helper()
	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID:                       "it-" + uuid.NewString(),
		TaskQueue:                taskQueue,
		WorkflowExecutionTimeout: 10 * time.Minute,
	}, workflows.RestoreSessionWorkflowName, args...)
	require.NoError(t, err)
	return run
}

// signalStop stops a restore with the stop signal.
func signalStop(t *testing.T, c client.Client, id string) {
	t.Helper()
	require.NoError(t, c.SignalWorkflow(context.Background(), id, "", workflows.SignalStop,
		workflows.StopRequest{Reason: "integration test", RequestedBy: t.Name()}))
}

// resultOf waits for the workflow's outcome.
func resultOf(t *testing.T, run client.WorkflowRun) (workflows.RestoreReport, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	var rep workflows.RestoreReport
	err := run.Get(ctx, &rep)
	require.NoError(t, ctx.Err(), "workflow %s did not end within %s", run.GetID(), long)
	return rep, err
}

// sessionOf waits for the simulator to have n sessions and returns the last.
func sessionOf(t *testing.T, sim *testenv.Sim, n int) vb365sim.SessionView {
	t.Helper()
	var ss []vb365sim.SessionView
	waitFor(t, long, fmt.Sprintf("%d VB365 sessions", n), func() bool {
		ss = sim.Sessions()
		return len(ss) >= n
	})
	return ss[n-1]
}

// appendEvents appends n finished events to a session in VB365.
func appendEvents(t *testing.T, sim *testenv.Sim, sessionID string, n int, status string) {
	t.Helper()
	for i := range n {
		require.NoError(t, sim.AppendEvent(sessionID, vb365sim.EventInput{Type: "Restore", Status: status,
			Message: fmt.Sprintf("test event %d", i), ItemName: "item " + fmt.Sprint(i)}))
	}
}

// runAndStop is the common life of a restore under a fault: it waits for
// the scripted events, adds two of its own, stops by update and checks every
// promise: the outcome, exactly wantSessions sessions, none open, every event
// recorded once in order with its final status.
func (s *stack) runAndStop(run client.WorkflowRun, wantSessions int) workflows.RestoreReport {
	s.t.Helper()
	waitForEvents(s.t, run.GetID(), scriptedEvents, long)
	sess := status(s.t, run.GetID()).Session
	require.NotNil(s.t, sess)
	appendEvents(s.t, s.sim, sess.ID, 2, "Success")
	waitForEvents(s.t, run.GetID(), scriptedEvents+2, long)
	stopByUpdate(s.t, run.GetID())
	rep, err := resultOf(s.t, run)
	require.NoError(s.t, err)
	require.Equal(s.t, workflows.EndReasonStopRequested, rep.EndReason)
	require.Equal(s.t, scriptedEvents+2+stopEvent, rep.EventCounts.Total)
	s.checkClean(wantSessions, rep)
	return rep
}

// historyOf returns a workflow's whole history.
func historyOf(t *testing.T, c client.Client, id string) []*historypb.HistoryEvent {
	t.Helper()
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []*historypb.HistoryEvent
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}

// activityAttempts lists each started activity's type and attempt.
func activityAttempts(events []*historypb.HistoryEvent) map[string][]int32 {
	scheduled := map[int64]string{}
	out := map[string][]int32{}
	for _, e := range events {
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
			scheduled[e.GetEventId()] = a.GetActivityType().GetName()
		}
		if a := e.GetActivityTaskStartedEventAttributes(); a != nil {
			name := scheduled[a.GetScheduledEventId()]
			out[name] = append(out[name], a.GetAttempt())
		}
	}
	return out
}

// namedError finds the workflow's failure among the named error types.
func namedError(t *testing.T, err error) *sdktemporal.ApplicationError {
	t.Helper()
	require.Error(t, err)
	named := []string{workflows.ErrInvalidRequest, workflows.ErrOrganizationNotFound, workflows.ErrOrganizationNotBackedUp,
		workflows.ErrPointInTimeBeforeFirstBackup, workflows.ErrPointInTimeInFuture,
		workflows.ErrVB365AuthenticationFailed, workflows.ErrRestoreSessionRejected, workflows.ErrSessionStopUnconfirmed}
	var ae *sdktemporal.ApplicationError
	require.True(t, errors.As(err, &ae), "not an ApplicationError: %v", err)
	require.True(t, slices.Contains(named, ae.Type()), "the workflow failed with type %q, not a named one: %v", ae.Type(), err)
	return ae
}
