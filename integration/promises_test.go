package integration

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdktemporal "go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"github.com/vb365-restore/vb365-restore/activities"

	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

// The README's promises under VB365 behaviours that break them when the
// workflow is careless: stops that do not take, sessions the server stops
// when idle, a stop update racing a cancel.

// Case 4: VB365 ignores two stops, then takes 20 s to stop the session. The
// workflow keeps stopping it (with backoff) until it reads Stopped, records
// every event up to the end, and the report says Stopped.
func TestPromiseStopThatDoesNotTake(t *testing.T) {
	t.Parallel()
	s := newStack(t, vb365sim.Options{Behaviour: vb365sim.Behaviour{
		StopDelay: new(vb365sim.Duration(20 * time.Second)), StopIgnored: new(2)}})
	run := s.start(input())
	waitForEvents(t, run.GetID(), scriptedEvents, long)
	stopByUpdate(t, run.GetID())
	rep, err := resultOf(t, run)
	require.NoError(t, err)
	require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
	require.Equal(t, vb365.SessionStateStopped, rep.Session.State)
	require.Empty(t, rep.StopUnconfirmed)
	s.checkClean(1, rep)
	stops := activityAttempts(historyOf(t, devServer.Client, run.GetID()))["StopRestoreSession"]
	require.Len(t, stops, 1)
	require.Greater(t, stops[0], int32(3), "the stop was retried until VB365 confirmed it")
}

// Case 4, the bound: VB365 accepts every stop and never stops the session.
// After Options.StopConfirmBound the workflow fails SessionStopUnconfirmed,
// with the report (the events it could read, which ones may be missing) in
// the failure's details: never stop-requested with a Working session.
func TestPromiseStopNeverConfirmed(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, vb365sim.Options{Behaviour: vb365sim.Behaviour{StopIgnored: new(1_000_000)}},
		workflows.Options{StopConfirmBound: 8 * time.Second})
	run := s.start(input())
	waitForEvents(t, run.GetID(), scriptedEvents, long)
	require.NoError(t, devServer.Client.SignalWorkflow(context.Background(), run.GetID(), "", workflows.SignalStop,
		workflows.StopRequest{RequestedBy: t.Name()}))
	_, err := resultOf(t, run)
	appErr := namedError(t, err)
	require.Equal(t, workflows.ErrSessionStopUnconfirmed, appErr.Type(), "got %v", err)
	require.Contains(t, appErr.Error(), "may be missing")
	var rep workflows.RestoreReport
	require.NoError(t, appErr.Details(&rep), "the failure carries the report")
	require.Equal(t, vb365.SessionStateWorking, rep.Session.State, "the report says the session is still open")
	require.NotEmpty(t, rep.StopUnconfirmed)
	require.Contains(t, rep.FinalEventsError, "may be missing")
	events, err := s.sim.Events(rep.Session.ID)
	require.NoError(t, err)
	require.Equal(t, len(events), rep.EventCounts.Total, "every event VB365 had was recorded")
	require.Len(t, testenv.WorkingSessions(s.sim), 1, "VB365 really left it open")
	require.NoError(t, s.sim.StopSession(rep.Session.ID))
}

// Case 8: the server stops a session nobody touched for its idle timeout
// (the poll interval is longer): the workflow ends stopped-in-vb365 with
// every event, and the report says so.
func TestPromiseIdleSessionStoppedByServer(t *testing.T) {
	t.Parallel()
	s := newStack(t, vb365sim.Options{Behaviour: vb365sim.Behaviour{IdleTimeout: new(vb365sim.Duration(3 * time.Second))}})
	in := input()
	in.PollInterval = "5s"
	run := s.start(in)
	rep, err := resultOf(t, run)
	require.NoError(t, err)
	require.Equal(t, workflows.EndReasonStoppedInVB365, rep.EndReason)
	require.Equal(t, vb365.SessionStateStopped, rep.Session.State)
	require.NotZero(t, rep.EventCounts.Total)
	s.checkClean(1, rep)
	require.NotContains(t, activityAttempts(historyOf(t, devServer.Client, run.GetID())), "StopRestoreSession", "the server stopped it, not the workflow")
}

// Case 11: a stop update is waiting (the stop call is slow) when the
// workflow is cancelled: the update answers with the stopped session once
// it is stopped, not "canceled" before.
func TestPromiseStopUpdateDuringCancel(t *testing.T) {
	t.Parallel()
	s := newStack(t, vb365sim.Options{})
	s.sim.AddFault(fault(pathStop, vb365sim.Fault{DelayMs: 3000}))
	run := s.start(input())
	waitForEvents(t, run.GetID(), scriptedEvents, long)
	h, err := devServer.Client.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
		WorkflowID: run.GetID(), UpdateName: workflows.UpdateStop, WaitForStage: client.WorkflowUpdateStageAccepted,
		Args: []any{workflows.StopRequest{Reason: "integration test", RequestedBy: t.Name()}},
	})
	require.NoError(t, err)
	waitFor(t, long, "the stop call in flight", func() bool { return s.sim.Stats().FaultsInjected > 0 })
	require.NoError(t, devServer.Client.CancelWorkflow(context.Background(), run.GetID(), ""))
	var sess vb365.RestoreSession
	require.NoError(t, h.Get(context.Background(), &sess), "the update answers, not canceled")
	require.Equal(t, vb365.SessionStateStopped, sess.State)
	view, ok := testenv.SessionByID(s.sim, sess.ID)
	require.True(t, ok)
	require.Equal(t, vb365.SessionStateStopped, view.State)
	_, err = resultOf(t, run)
	var ce *sdktemporal.CanceledError
	require.True(t, errors.As(err, &ce), "the workflow ends cancelled, got %v", err)
	require.Empty(t, testenv.WorkingSessions(s.sim))
}

// Case 11: a cancel before the session is created (while the organization
// is read; the search-attribute check that follows is a local activity the
// unit tests cancel) creates no session.
func TestPromiseCancelBeforeCreationCreatesNoSession(t *testing.T) {
	t.Parallel()
	s := newStack(t, vb365sim.Options{})
	s.sim.AddFault(fault(pathOrg, vb365sim.Fault{DelayMs: 2000}))
	run := s.start(input())
	waitFor(t, long, "the organization read in flight", func() bool { return s.sim.Stats().FaultsInjected > 0 })
	require.NoError(t, devServer.Client.CancelWorkflow(context.Background(), run.GetID(), ""))
	_, err := resultOf(t, run)
	var ce *sdktemporal.CanceledError
	require.True(t, errors.As(err, &ce), "got %v", err)
	time.Sleep(3 * time.Second) // a creation would have happened by now
	require.Empty(t, s.sim.Sessions())
}

// Case 9: a playbook started with raw JSON (as the Web UI, the CLI or
// another SDK would send it) whose restore entries have an unknown field
// and a value of the wrong JSON type: those rows fail InvalidRequest naming
// the field, no session is opened for them, the good one runs.
func TestPromisePlaybookStrictRestoreEntries(t *testing.T) {
	t.Parallel()
	s := newStack(t, vb365sim.Options{})
	raw := `{"name": "drill", "restores": [
		{"organizationId": "` + seedOrg + `", "type": "vet", "pollInterval": "1s", "pointInTme": "2020-10-30T10:29:05Z"},
		{"organizationId": "` + seedOrg + `", "type": "vex", "pollInterval": "1s", "showDeleted": "yes"},
		{"organizationId": "` + seedOrg + `", "type": "veod", "pollInterval": "1s"}]}`
	var in map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &in))
	run, err := devServer.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: "it-playbook-" + uuid.NewString(), TaskQueue: s.taskQueue, WorkflowExecutionTimeout: 10 * time.Minute,
	}, playbook.WorkflowName, in)
	require.NoError(t, err)
	waitFor(t, long, "the good restore open", func() bool {
		rep, err := playbookStatus(t, run.GetID())
		return err == nil && rep.Counts[playbook.RowOpen] == 1
	})
	require.NoError(t, devServer.Client.SignalWorkflow(context.Background(), run.GetID(), "", workflows.SignalStop, workflows.StopRequest{}))
	var rep playbook.Report
	require.NoError(t, run.Get(context.Background(), &rep))
	for i, field := range []string{"restores[0].pointInTme", "restores[1].showDeleted"} {
		require.Equal(t, playbook.RowFailed, rep.Rows[i].State, field)
		require.Equal(t, workflows.ErrInvalidRequest, rep.Rows[i].ErrorType, field)
		require.Contains(t, rep.Rows[i].Error, field)
	}
	require.Equal(t, playbook.RowDone, rep.Rows[2].State)
	require.Len(t, s.sim.Sessions(), 1, "no session for a refused entry")
	require.Empty(t, testenv.WorkingSessions(s.sim))
}

// runsOf returns the histories of every run of a workflow, first to last,
// following continue-as-new from firstRunID.
func runsOf(t *testing.T, id, firstRunID string) [][]*historypb.HistoryEvent {
	t.Helper()
	var out [][]*historypb.HistoryEvent
	for runID := firstRunID; runID != ""; {
		h, err := testenv.History(context.Background(), devServer.Client, id, runID)
		require.NoError(t, err)
		out = append(out, h.Events)
		runID = h.Events[len(h.Events)-1].GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
	}
	return out
}

// recordedOrders lists the orders of the events the workflow recorded over
// all runs, in history order (see recordedEvents); it checks every payload
// is under 1 MB and every run's history under Temporal's warnings.
func recordedOrders(t *testing.T, runs [][]*historypb.HistoryEvent) []int32 {
	t.Helper()
	const (
		payloadWarn     = 1 << 20
		historySizeWarn = 10 << 20
		historyLenWarn  = 10 * 1024
	)
	for i, events := range runs {
		require.Less(t, len(events), historyLenWarn, "run %d: history length", i)
		size := 0
		for _, e := range events {
			size += proto.Size(e)
			for _, p := range payloadsOf(e) {
				require.Less(t, proto.Size(p), payloadWarn, "run %d: a payload of event %d (%s)", i, e.GetEventId(), e.GetEventType())
			}
		}
		require.Less(t, size, historySizeWarn, "run %d: history size", i)
		t.Logf("run %d: %d history events, %d bytes", i, len(events), size)
	}
	var orders []int32
	for _, e := range recordedEvents(t, runs...) {
		orders = append(orders, e.Order)
	}
	return orders
}

// recordedEvents lists the events the histories of a workflow's runs (first
// to last) record as final, in the order of their reads: the finished events
// and the ended ones of the reads (waits and fetches) whose results the
// workflow applied. A read's result was dropped when the workflow abandoned
// the read (cancel requested: a stop came first) or when its next read
// starts from the same cursor: a stop signal handled in the workflow task
// that also delivered the read's completion wins over it, and the workflow
// reads those events again from its cursor.
func recordedEvents(t *testing.T, runs ...[]*historypb.HistoryEvent) []vb365.RestoreSessionEvent {
	t.Helper()
	type read struct {
		cursor    activities.SessionCursor
		abandoned bool
		done      bool
		result    activities.SessionEventsResult
	}
	var reads []*read // every events read, in the order it was scheduled
	dc := converter.GetDefaultDataConverter()
	for _, events := range runs {
		byID := map[int64]*read{} // scheduled event ID -> read, in this run
		for _, e := range events {
			if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
				switch a.GetActivityType().GetName() {
				case "WaitForSessionEvents", "FetchSessionEvents":
					r := &read{}
					require.NoError(t, dc.FromPayloads(a.GetInput(), &r.cursor))
					byID[e.GetEventId()] = r
					reads = append(reads, r)
				}
			}
			if a := e.GetActivityTaskCancelRequestedEventAttributes(); a != nil && byID[a.GetScheduledEventId()] != nil {
				byID[a.GetScheduledEventId()].abandoned = true
			}
			if a := e.GetActivityTaskCompletedEventAttributes(); a != nil && byID[a.GetScheduledEventId()] != nil {
				r := byID[a.GetScheduledEventId()]
				require.NoError(t, dc.FromPayloads(a.GetResult(), &r.result))
				r.done = true
			}
		}
	}
	var out []vb365.RestoreSessionEvent
	for i, r := range reads {
		if !r.done || r.abandoned {
			continue
		}
		if i+1 < len(reads) && reflect.DeepEqual(reads[i+1].cursor, r.cursor) {
			continue
		}
		out = append(out, r.result.Ended...)
		out = append(out, r.result.Events...)
	}
	return out
}

func payloadsOf(e *historypb.HistoryEvent) []*commonpb.Payload {
	var ps []*commonpb.Payload
	for _, p := range []*commonpb.Payloads{
		e.GetActivityTaskCompletedEventAttributes().GetResult(),
		e.GetActivityTaskScheduledEventAttributes().GetInput(),
		e.GetWorkflowExecutionStartedEventAttributes().GetInput(),
		e.GetWorkflowExecutionContinuedAsNewEventAttributes().GetInput(),
		e.GetWorkflowExecutionCompletedEventAttributes().GetResult(),
	} {
		ps = append(ps, p.GetPayloads()...)
	}
	return ps
}

// Case 6: 20,000 events, appended while the session is watched or just
// before the stop (then the reads after the stop get them): every one is
// recorded once, in order; no payload reaches 1 MB; each run's history stays
// under Temporal's warnings (the workflow continues as new as needed).
func TestPromiseVolume(t *testing.T) {
	t.Parallel()
	const n = 20_000
	for _, stopAtOnce := range []bool{false, true} {
		name := "watched"
		if stopAtOnce {
			name = "after-stop"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, vb365sim.Options{})
			run := s.start(input())
			firstRun := run.GetRunID() // run.Get moves it along the chain
			st := waitForEvents(t, run.GetID(), scriptedEvents, long)
			require.NoError(t, s.sim.AppendEvent(st.Session.ID, vb365sim.EventInput{Type: "Restore", Status: "Success",
				Message: "restored an item of a large mailbox", ItemName: "message", Count: n}))
			if stopAtOnce {
				require.NoError(t, devServer.Client.SignalWorkflow(context.Background(), run.GetID(), "", workflows.SignalStop,
					workflows.StopRequest{RequestedBy: t.Name()}))
			} else {
				waitForEvents(t, run.GetID(), scriptedEvents+n, 5*time.Minute)
				stopByUpdate(t, run.GetID())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			var rep workflows.RestoreReport
			require.NoError(t, run.Get(ctx, &rep))
			require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
			require.Empty(t, rep.FinalEventsError)
			s.checkClean(1, rep)

			events, err := s.sim.Events(rep.Session.ID)
			require.NoError(t, err)
			require.Greater(t, len(events), n)
			runs := runsOf(t, run.GetID(), firstRun)
			orders := recordedOrders(t, runs)
			require.Equal(t, len(events), len(orders), "every event recorded once")
			// In order, but for an event that was still running when later
			// ones were recorded: it is recorded when it ends.
			slices.Sort(orders)
			for i, o := range orders {
				if int32(events[i].Order) != o {
					t.Fatalf("event #%d: recorded order %d, VB365 has %d", i, o, events[i].Order)
				}
			}
			t.Logf("%d events in %d runs", len(orders), len(runs))
		})
	}
}

// Case 5: an event stays Running (for hours in production; here until the
// test ends it) while later ones complete. The later ones show in the
// child's status query and in its playbook's row within two poll intervals
// (plus the time to answer); the long one is recorded once, when it ends,
// with the status it ended with, and the report has every event.
func TestPromiseEventRunningForHours(t *testing.T) {
	t.Parallel()
	const poll = time.Second
	s := newStackWith(t, vb365sim.Options{}, workflows.Options{ProgressInterval: poll})
	in := input()
	in.PollInterval = poll.String()
	run := s.startPlaybook(playbook.Input{Name: "long event", Restores: []workflows.RestoreInput{in}})
	var childID string
	waitFor(t, long, "the child's session open with its scripted events", func() bool {
		rep, err := playbookStatus(t, run.GetID())
		if err != nil || rep.Rows[0].State != playbook.RowOpen {
			return false
		}
		childID = rep.Rows[0].WorkflowID
		return status(t, childID).EventCounts.Total >= scriptedEvents
	})
	st := status(t, childID)
	require.NoError(t, s.sim.AppendEvent(st.Session.ID, vb365sim.EventInput{Type: "Restore", Status: "Running", Message: "a mailbox for hours"}))
	appended := time.Now()
	require.NoError(t, s.sim.AppendEvent(st.Session.ID, vb365sim.EventInput{Type: "Restore", Status: "Success", Message: "later", Count: 3}))
	want := st.EventCounts.Total + 4
	within := 2*poll + 2*time.Second
	waitFor(t, within, "the later events in the child's status and the parent's row", func() bool {
		rep, err := playbookStatus(t, run.GetID())
		return err == nil && status(t, childID).EventCounts.Total == want && rep.Rows[0].EventCounts.Total == want
	})
	t.Logf("later events shown %s after they were added", time.Since(appended).Round(time.Millisecond))
	cs := status(t, childID)
	require.GreaterOrEqual(t, cs.EventCounts.ByStatus["Running"], 1, "the long one shows as Running")

	events, err := s.sim.Events(st.Session.ID)
	require.NoError(t, err)
	longOrder := -1
	for _, e := range events {
		if e.Status == "Running" {
			longOrder = e.Order
		}
	}
	require.NotEqual(t, -1, longOrder)
	require.NoError(t, s.sim.SetEventStatus(st.Session.ID, longOrder, "Warning"))
	waitFor(t, long, "the long event (and any scripted one running) recorded as ended", func() bool {
		return status(t, childID).EventCounts.ByStatus["Running"] == 0
	})
	require.NoError(t, devServer.Client.SignalWorkflow(context.Background(), run.GetID(), "", workflows.SignalStop, workflows.StopRequest{}))
	var prep playbook.Report
	require.NoError(t, run.Get(context.Background(), &prep))
	var rep workflows.RestoreReport
	require.NoError(t, devServer.Client.GetWorkflow(context.Background(), childID, "").Get(context.Background(), &rep))
	s.checkClean(1, rep)
	for _, e := range rep.Events {
		if int(e.Order) == longOrder {
			require.Equal(t, "Warning", e.Status)
		}
	}
	// The history holds each event once, with its final status.
	h, err := testenv.History(context.Background(), devServer.Client, childID, "")
	require.NoError(t, err)
	seen := map[int32]string{}
	for _, o := range recordedEvents(t, h.Events) {
		_, dup := seen[o.Order]
		require.False(t, dup, "event %d recorded twice", o.Order)
		seen[o.Order] = o.Status
	}
	require.Len(t, seen, len(events)+stopEvent)
	require.Equal(t, "Warning", seen[int32(longOrder)])
}
