package workflows_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

// release is the prefix of the histories this recorder writes: the release
// of the workflow code they were recorded with. When a release changes the
// workflow code, bump it here (and in workflows/playbook) and record anew
// beside the older files, which stay and keep being replayed.
const release = "release3"

// maxHistoryEvents bounds every recorded history: a path that needs more is
// recorded with too many polls and makes the corpus hard to read. (A child
// now sends its parent progress once per poll interval while events come.)
const maxHistoryEvents = 100

// recorded is one run whose history a recording writes to testdata.
type recorded struct {
	file              string // under testdata, without the release prefix
	workflowID, runID string // runID "": the latest run
	lastEvent         enumspb.EventType
	// check, optional, asserts what the history must show.
	check func(*testing.T, *historypb.History)
}

// activityTypes lists the activities a history scheduled, in order.
func activityTypes(h *historypb.History) []string {
	var out []string
	for _, e := range h.Events {
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
			out = append(out, a.GetActivityType().GetName())
		}
	}
	return out
}

// recording drives one path of RestoreSessionWorkflow on a real server
// through the production worker and the simulator, asserts the path really
// happened and names the runs to write.
type recording struct {
	name string
	// opts are the worker's bounds (zero: the defaults).
	opts workflows.Options
	run  func(t *testing.T, r *recorder) []recorded
}

// TestRecordHistories runs every path of RestoreSessionWorkflow on a dev
// server and writes the histories testdata lacks (testenv.RecordHistories;
// testdata/README.md lists them).
func TestRecordHistories(t *testing.T) {
	recs := make([]testenv.Recording, 0, len(restoreRecordings))
	for _, rec := range restoreRecordings {
		recs = append(recs, testenv.Recording{Name: rec.name, Options: rec.opts,
			Run: func(t *testing.T, s *testenv.RecordStack) []testenv.Recorded {
				var out []testenv.Recorded
				for _, o := range rec.run(t, &recorder{t: t, ctx: s.Ctx, c: s.Client, st: s.Stack, name: rec.name}) {
					out = append(out, testenv.Recorded{File: o.file, WorkflowID: o.workflowID, RunID: o.runID, LastEvent: o.lastEvent, Check: o.check})
				}
				return out
			}})
	}
	testenv.RecordHistories(t, release, "record-", maxHistoryEvents, recs)
}

// input is a restore of the seed organization's Teams at its last backup,
// polled every second.
func input() workflows.RestoreInput {
	return workflows.RestoreInput{OrganizationID: vb365sim.SeedOrganizationID, Type: "vet",
		PointInTime: "2020-10-30T10:29:05Z", PollInterval: "1s"}
}

// actionsInput is input() as an Exchange restore running actions.
func actionsInput(actions ...activities.RestoreAction) workflows.RestoreInput {
	in := input()
	in.Type, in.Actions = "vex", actions
	return in
}

// mailbox restores the mailbox of email to its original location.
func mailbox(email string) activities.RestoreAction {
	return activities.RestoreAction{Kind: activities.RestoreKindMailbox, Target: email, CredentialProfile: testenv.RestoreProfile}
}

// maxEventsPerAction bounds what one restore action costs the history:
// its activity's events and the workflow task that takes its result.
const maxEventsPerAction = 12

// eventsPerAction counts, for each RestoreAction activity of h, the
// history events it caused: its own (scheduled, started, its end, a cancel
// request) and the workflow task its end started.
func eventsPerAction(h *historypb.History) []int {
	byScheduled := map[int64]int{} // scheduled event id to action index
	var out []int
	for i, e := range h.Events {
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == activities.RestoreActionName {
			byScheduled[e.GetEventId()] = len(out)
			out = append(out, 1)
			continue
		}
		var sched int64
		ends := true
		switch {
		case e.GetActivityTaskStartedEventAttributes() != nil:
			sched, ends = e.GetActivityTaskStartedEventAttributes().GetScheduledEventId(), false
		case e.GetActivityTaskCancelRequestedEventAttributes() != nil:
			sched, ends = e.GetActivityTaskCancelRequestedEventAttributes().GetScheduledEventId(), false
		case e.GetActivityTaskCompletedEventAttributes() != nil:
			sched = e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()
		case e.GetActivityTaskFailedEventAttributes() != nil:
			sched = e.GetActivityTaskFailedEventAttributes().GetScheduledEventId()
		case e.GetActivityTaskCanceledEventAttributes() != nil:
			sched = e.GetActivityTaskCanceledEventAttributes().GetScheduledEventId()
		case e.GetActivityTaskTimedOutEventAttributes() != nil:
			sched = e.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()
		default:
			continue
		}
		j, ok := byScheduled[sched]
		if !ok {
			continue
		}
		out[j]++
		// The workflow task its end started, if the next events are one.
		if ends && i+3 < len(h.Events) && h.Events[i+1].GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED {
			out[j] += 3
		}
	}
	return out
}

// TestHistoryEventsPerAction counts what restore actions cost in the
// recorded histories (as the recorder does when it records them): at most
// maxEventsPerAction history events each.
func TestHistoryEventsPerAction(t *testing.T) {
	for file, actions := range map[string]int{"actions-done": 2, "action-failed-stop-on-failure": 1, "stop-during-action": 1} {
		t.Run(file, func(t *testing.T) {
			h, err := client.HistoryFromJSON(mustOpen(t, filepath.Join("testdata", "release3-"+file+".json")), client.HistoryJSONOptions{})
			require.NoError(t, err)
			checkActionEvents(t, h, actions)
		})
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// checkActionEvents: each action costs at most maxEventsPerAction events.
func checkActionEvents(t *testing.T, h *historypb.History, want int) {
	t.Helper()
	per := eventsPerAction(h)
	require.Len(t, per, want, "one RestoreAction activity per action")
	for i, n := range per {
		require.LessOrEqual(t, n, maxEventsPerAction, "history events of action %d", i)
	}
	t.Logf("history events per action: %v", per)
}

type recorder struct {
	t    *testing.T
	ctx  context.Context
	c    client.Client
	st   *testenv.Stack
	name string
}

func (r *recorder) start(in workflows.RestoreInput) client.WorkflowRun {
	r.t.Helper()
	run, err := r.c.ExecuteWorkflow(r.ctx, client.StartWorkflowOptions{ID: "record-" + r.name, TaskQueue: r.st.TaskQueue,
		WorkflowExecutionTimeout: 5 * time.Minute, StaticSummary: "record the " + r.name + " history"},
		workflows.RestoreSessionWorkflowName, in)
	require.NoError(r.t, err)
	return run
}

// waitEvents waits until the workflow (its current run) has recorded n
// events and returns its status.
func (r *recorder) waitEvents(id string, n int) workflows.Status {
	r.t.Helper()
	var st workflows.Status
	require.Eventually(r.t, func() bool {
		v, err := r.c.QueryWorkflow(r.ctx, id, "", workflows.QueryStatus)
		return err == nil && v.Get(&st) == nil && st.EventCounts.Total >= n
	}, time.Minute, 200*time.Millisecond, "%d events recorded by %s", n, id)
	return st
}

// waitPhase waits until the workflow reports phase.
func (r *recorder) waitPhase(id string, phase workflows.Phase) {
	r.t.Helper()
	require.Eventually(r.t, func() bool {
		v, err := r.c.QueryWorkflow(r.ctx, id, "", workflows.QueryStatus)
		var st workflows.Status
		return err == nil && v.Get(&st) == nil && st.Phase == phase
	}, time.Minute, 100*time.Millisecond, "phase %s", phase)
}

func (r *recorder) stopByUpdate(id string) vb365.RestoreSession {
	r.t.Helper()
	h, err := r.c.UpdateWorkflow(r.ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: workflows.UpdateStop,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{workflows.StopRequest{RequestedBy: "recorder", Reason: r.name}}})
	require.NoError(r.t, err)
	var s vb365.RestoreSession
	require.NoError(r.t, h.Get(r.ctx, &s))
	require.Equal(r.t, vb365.SessionStateStopped, s.State, "the stop update answers with the stopped session")
	return s
}

func (r *recorder) report(run client.WorkflowRun) workflows.RestoreReport {
	return testenv.Result[workflows.RestoreReport](r.t, r.ctx, run)
}

// checkClean: one session, stopped, every event recorded once.
func (r *recorder) checkClean(rep workflows.RestoreReport) {
	r.t.Helper()
	require.Len(r.t, r.st.Sim.Sessions(), 1, "sessions created")
	require.NoError(r.t, testenv.CheckRecorded(r.st.Sim, rep))
}

func completed(file string, run client.WorkflowRun) recorded {
	return recorded{file: file, workflowID: run.GetID(), runID: run.GetRunID(),
		lastEvent: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED}
}

var restoreRecordings = []recording{
	{name: "stop-by-update", run: func(t *testing.T, r *recorder) []recorded {
		run := r.start(input())
		r.waitEvents(run.GetID(), 2)
		r.stopByUpdate(run.GetID())
		rep := r.report(run)
		require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
		require.Equal(t, "recorder", rep.StopRequestedBy)
		r.checkClean(rep)
		return []recorded{completed("stop-by-update", run)}
	}},
	{name: "stop-by-signal", run: func(t *testing.T, r *recorder) []recorded {
		run := r.start(input())
		r.waitEvents(run.GetID(), 2)
		require.NoError(t, r.c.SignalWorkflow(r.ctx, run.GetID(), "", workflows.SignalStop,
			workflows.StopRequest{RequestedBy: "recorder", Reason: r.name}))
		rep := r.report(run)
		require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
		require.Equal(t, "recorder", rep.StopRequestedBy)
		r.checkClean(rep)
		return []recorded{completed("stop-by-signal", run)}
	}},
	{name: "cancel", run: func(t *testing.T, r *recorder) []recorded {
		run := r.start(input())
		r.waitEvents(run.GetID(), 2)
		require.NoError(t, r.c.CancelWorkflow(r.ctx, run.GetID(), ""))
		err := run.Get(r.ctx, nil)
		var canceled *temporal.CanceledError
		require.ErrorAs(t, err, &canceled)
		var rep workflows.RestoreReport
		require.NoError(t, canceled.Details(&rep), "a cancelled restore carries its report")
		require.Equal(t, workflows.EndReasonCanceled, rep.EndReason)
		r.checkClean(rep)
		return []recorded{{file: "cancel", workflowID: run.GetID(), runID: run.GetRunID(),
			lastEvent: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED}}
	}},
	{name: "max-duration", run: func(t *testing.T, r *recorder) []recorded {
		in := input()
		in.MaxSessionDuration = "6s"
		run := r.start(in)
		rep := r.report(run)
		require.Equal(t, workflows.EndReasonMaxDuration, rep.EndReason)
		r.checkClean(rep) // every event VB365 has (its start and stop markers too)
		return []recorded{completed("max-duration", run)}
	}},
	{name: "stopped-in-vb365", run: func(t *testing.T, r *recorder) []recorded {
		run := r.start(input())
		st := r.waitEvents(run.GetID(), 2)
		require.NoError(t, r.st.Sim.StopSession(st.Session.ID), "the operator closes the session in VB365")
		rep := r.report(run)
		require.Equal(t, workflows.EndReasonStoppedInVB365, rep.EndReason)
		r.checkClean(rep)
		out := completed("stopped-in-vb365", run)
		out.check = func(t *testing.T, h *historypb.History) {
			require.NotContains(t, activityTypes(h), activities.StopRestoreSessionName, "no stop for a session VB365 stopped")
		}
		return []recorded{out}
	}},
	{name: "before-first-backup", run: func(t *testing.T, r *recorder) []recorded {
		in := input()
		in.PointInTime = "2001-01-01T00:00:00Z"
		run := r.start(in)
		err := run.Get(r.ctx, nil)
		var appErr *temporal.ApplicationError
		require.ErrorAs(t, err, &appErr)
		require.Equal(t, workflows.ErrPointInTimeBeforeFirstBackup, appErr.Type())
		require.Empty(t, r.st.Sim.Sessions(), "no session before the first backup")
		return []recorded{{file: "before-first-backup", workflowID: run.GetID(), runID: run.GetRunID(),
			lastEvent: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED}}
	}},
	{name: "lost-create-response-adopted",
		run: func(t *testing.T, r *recorder) []recorded {
			// VB365 creates the session, the response never arrives: the
			// retried creation finds the session and adopts it.
			r.st.Sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/*/Organizations/*/explore", DropAfterCommit: true})
			run := r.start(input())
			r.waitEvents(run.GetID(), 2)
			r.stopByUpdate(run.GetID())
			rep := r.report(run)
			require.True(t, rep.SessionAdopted, "the session of the lost response is adopted")
			require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
			r.checkClean(rep)
			return []recorded{completed("lost-create-response-adopted", run)}
		}},
	{name: "continue-as-new", opts: workflows.RecordOptions("continue-as-new"), run: func(t *testing.T, r *recorder) []recorded {
		// Two batches per run: the first run continues as new after its
		// second batch, the second records one more and is stopped.
		run := r.start(input())
		first := run.GetRunID() // run.Get moves the run's id along the chain
		st := r.waitEvents(run.GetID(), 2)
		current := func() string {
			d, err := r.c.DescribeWorkflow(r.ctx, run.GetID(), "")
			require.NoError(t, err)
			return d.WorkflowExecution.RunID
		}
		appendEvent := func(msg string) {
			require.NoError(t, r.st.Sim.AppendEvent(st.Session.ID, vb365sim.EventInput{Type: "View", Status: "Success", Message: msg}))
		}
		want := 2
		if current() == first { // the scripted events came in one batch
			appendEvent("browsed: the first run's second batch")
			want++
		}
		require.Eventually(t, func() bool { return current() != first }, time.Minute, 200*time.Millisecond,
			"the first run continued as new")
		second := current()
		appendEvent("browsed after continue-as-new")
		want++
		r.waitEvents(run.GetID(), want)
		r.stopByUpdate(run.GetID())
		rep := r.report(run) // follows the chain to the last run
		require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
		require.GreaterOrEqual(t, rep.EventCounts.Total, want)
		r.checkClean(rep) // every event VB365 has (its start and stop markers too)
		require.Equal(t, second, current(), "exactly one continue-as-new before the stop")
		return []recorded{
			{file: "continue-as-new-run1", workflowID: run.GetID(), runID: first,
				lastEvent: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW},
			{file: "continue-as-new-run2", workflowID: run.GetID(), runID: second,
				lastEvent: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED},
		}
	}},
	{name: "stop-during-creation", run: func(t *testing.T, r *recorder) []recorded {
		// The stop update arrives while the explore POST is in flight: it
		// waits, and the session is stopped as soon as it exists.
		r.st.Sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/*/Organizations/*/explore", DelayMs: 3000})
		run := r.start(input())
		r.waitPhase(run.GetID(), workflows.PhaseCreating)
		r.stopByUpdate(run.GetID())
		rep := r.report(run)
		require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
		r.checkClean(rep)
		out := completed("stop-during-creation", run)
		out.check = func(t *testing.T, h *historypb.History) {
			require.NotContains(t, activityTypes(h), activities.WaitForSessionEventsName, "stopped before the first wait")
		}
		return []recorded{out}
	}},
	{name: "cancel-during-creation", run: func(t *testing.T, r *recorder) []recorded {
		// Cancelled while the explore POST is in flight: the creation runs
		// to its end, then the new session is stopped.
		r.st.Sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/*/Organizations/*/explore", DelayMs: 3000})
		run := r.start(input())
		r.waitPhase(run.GetID(), workflows.PhaseCreating)
		require.NoError(t, r.c.CancelWorkflow(r.ctx, run.GetID(), ""))
		var canceled *temporal.CanceledError
		require.ErrorAs(t, run.Get(r.ctx, nil), &canceled)
		var rep workflows.RestoreReport
		require.NoError(t, canceled.Details(&rep))
		require.Equal(t, workflows.EndReasonCanceled, rep.EndReason)
		r.checkClean(rep)
		return []recorded{{file: "cancel-during-creation", workflowID: run.GetID(), runID: run.GetRunID(),
			lastEvent: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
			check: func(t *testing.T, h *historypb.History) {
				require.NotContains(t, activityTypes(h), activities.WaitForSessionEventsName, "stopped before the first wait")
			}}}
	}},
	{name: "create-rejected-release", run: func(t *testing.T, r *recorder) []recorded {
		// The first POST fails with 503 (it may have created a session), the
		// retry is refused with 400: the workflow fails RestoreSessionRejected
		// after looking for a session the first POST left open (none).
		r.st.Sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/*/Organizations/*/explore", Status: 503})
		r.st.Sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/*/Organizations/*/explore", Status: 400})
		run := r.start(input())
		var appErr *temporal.ApplicationError
		require.ErrorAs(t, run.Get(r.ctx, nil), &appErr)
		require.Equal(t, workflows.ErrRestoreSessionRejected, appErr.Type())
		require.Contains(t, appErr.Error(), "no session left open")
		require.Empty(t, r.st.Sim.Sessions())
		return []recorded{{file: "create-rejected-release", workflowID: run.GetID(), runID: run.GetRunID(),
			lastEvent: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
			check: func(t *testing.T, h *historypb.History) {
				require.Contains(t, activityTypes(h), activities.ReleaseLostSessionName)
			}}}
	}},
	{name: "invalid-request", run: func(t *testing.T, r *recorder) []recorded {
		in := input()
		in.Type = "fax"
		run := r.start(in)
		var appErr *temporal.ApplicationError
		require.ErrorAs(t, run.Get(r.ctx, nil), &appErr)
		require.Equal(t, workflows.ErrInvalidRequest, appErr.Type())
		require.Contains(t, appErr.Error(), `type "fax"`)
		return []recorded{{file: "invalid-request", workflowID: run.GetID(), runID: run.GetRunID(),
			lastEvent: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED}}
	}},
	{name: "stop-confirmed-after-retries", run: func(t *testing.T, r *recorder) []recorded {
		// VB365 answers the first two stops and does nothing: the stop is
		// sent again until the session reads Stopped.
		require.NoError(t, r.st.Sim.SetBehaviour(vb365sim.Behaviour{StopIgnored: new(2)}))
		run := r.start(input())
		r.waitEvents(run.GetID(), 2)
		r.stopByUpdate(run.GetID())
		rep := r.report(run)
		require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
		r.checkClean(rep)
		return []recorded{completed("stop-confirmed-after-retries", run)}
	}},
	{name: "stop-unconfirmed", opts: workflows.RecordOptions("stop-unconfirmed"), run: func(t *testing.T, r *recorder) []recorded {
		// VB365 never takes the stop: the workflow gives up after the
		// bound, reads what it can and fails SessionStopUnconfirmed.
		require.NoError(t, r.st.Sim.SetBehaviour(vb365sim.Behaviour{StopIgnored: new(1_000_000)}))
		run := r.start(input())
		st := r.waitEvents(run.GetID(), 2)
		require.NoError(t, r.c.SignalWorkflow(r.ctx, run.GetID(), "", workflows.SignalStop, workflows.StopRequest{RequestedBy: "recorder"}))
		var appErr *temporal.ApplicationError
		require.ErrorAs(t, run.Get(r.ctx, nil), &appErr)
		require.Equal(t, workflows.ErrSessionStopUnconfirmed, appErr.Type())
		var rep workflows.RestoreReport
		require.NoError(t, appErr.Details(&rep))
		require.Contains(t, rep.FinalEventsError, "may be missing")
		require.NoError(t, r.st.Sim.StopSession(st.Session.ID))
		return []recorded{{file: "stop-unconfirmed", workflowID: run.GetID(), runID: run.GetRunID(),
			lastEvent: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED}}
	}},
	{name: "running-event-recorded-when-it-ends", run: func(t *testing.T, r *recorder) []recorded {
		// An event stays Running while a later one finishes: the later one
		// is recorded first, the long one when it ends.
		run := r.start(input())
		st := r.waitEvents(run.GetID(), 2)
		require.NoError(t, r.st.Sim.AppendEvent(st.Session.ID, vb365sim.EventInput{Type: "Restore", Status: "Running", Message: "long"}))
		require.NoError(t, r.st.Sim.AppendEvent(st.Session.ID, vb365sim.EventInput{Type: "View", Status: "Success", Message: "later"}))
		long := -1
		require.Eventually(t, func() bool {
			events, err := r.st.Sim.Events(st.Session.ID)
			require.NoError(t, err)
			for _, e := range events {
				if e.Status == "Running" {
					long = e.Order
				}
			}
			s := r.waitEvents(run.GetID(), len(events))
			return s.EventCounts.ByStatus["Running"] == 1
		}, time.Minute, 200*time.Millisecond, "the later event recorded past the running one")
		require.NoError(t, r.st.Sim.SetEventStatus(st.Session.ID, long, "Success"))
		require.Eventually(t, func() bool {
			v, err := r.c.QueryWorkflow(r.ctx, run.GetID(), "", workflows.QueryStatus)
			var s workflows.Status
			return err == nil && v.Get(&s) == nil && s.EventCounts.ByStatus["Running"] == 0
		}, time.Minute, 200*time.Millisecond, "the long event recorded when it ended")
		r.stopByUpdate(run.GetID())
		rep := r.report(run)
		r.checkClean(rep)
		return []recorded{completed("running-event-recorded-when-it-ends", run)}
	}},
	{name: "stop-update-during-cancel", run: func(t *testing.T, r *recorder) []recorded {
		// A stop update waits on a slow stop when the workflow is
		// cancelled: it answers with the stopped session.
		r.st.Sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/*/RestoreSessions/*/Stop", DelayMs: 2000})
		run := r.start(input())
		r.waitEvents(run.GetID(), 2)
		h, err := r.c.UpdateWorkflow(r.ctx, client.UpdateWorkflowOptions{WorkflowID: run.GetID(), UpdateName: workflows.UpdateStop,
			WaitForStage: client.WorkflowUpdateStageAccepted, Args: []any{workflows.StopRequest{RequestedBy: "recorder"}}})
		require.NoError(t, err)
		require.Eventually(t, func() bool { return r.st.Sim.Stats().FaultsInjected > 0 }, time.Minute, 50*time.Millisecond)
		require.NoError(t, r.c.CancelWorkflow(r.ctx, run.GetID(), ""))
		var s vb365.RestoreSession
		require.NoError(t, h.Get(r.ctx, &s))
		require.Equal(t, vb365.SessionStateStopped, s.State)
		var canceled *temporal.CanceledError
		require.ErrorAs(t, run.Get(r.ctx, nil), &canceled)
		return []recorded{{file: "stop-update-during-cancel", workflowID: run.GetID(), runID: run.GetRunID(),
			lastEvent: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED}}
	}},
	{name: "child-notifies-parent", run: func(t *testing.T, r *recorder) []recorded {
		// The restore as a playbook's child (notifyParent): it signals the
		// parent its session and progress, and is stopped by the parent's
		// stop signal.
		pb, err := r.c.ExecuteWorkflow(r.ctx, client.StartWorkflowOptions{ID: "record-" + r.name, TaskQueue: r.st.TaskQueue,
			WorkflowExecutionTimeout: 5 * time.Minute}, playbook.WorkflowName,
			playbook.Input{Name: "record", Restores: []workflows.RestoreInput{input()}})
		require.NoError(t, err)
		var childID string
		require.Eventually(t, func() bool {
			v, err := r.c.QueryWorkflow(r.ctx, pb.GetID(), "", workflows.QueryStatus)
			var rep playbook.Report
			// A child reports its first events at once, later ones every ProgressInterval.
			if err != nil || v.Get(&rep) != nil || rep.Rows[0].EventCounts.Total < 1 {
				return false
			}
			childID = rep.Rows[0].WorkflowID
			return rep.Rows[0].State == playbook.RowOpen
		}, time.Minute, 200*time.Millisecond, "the child's session open and its events reported to the parent")
		require.NoError(t, r.c.SignalWorkflow(r.ctx, pb.GetID(), "", workflows.SignalStop, workflows.StopRequest{RequestedBy: "recorder"}))
		var rep playbook.Report
		require.NoError(t, pb.Get(r.ctx, &rep))
		require.Equal(t, playbook.RowDone, rep.Rows[0].State)
		require.Equal(t, workflows.EndReasonStopRequested, rep.Rows[0].EndReason)
		var child workflows.RestoreReport
		require.NoError(t, r.c.GetWorkflow(r.ctx, childID, "").Get(r.ctx, &child))
		r.checkClean(child)
		h, err := testenv.History(r.ctx, r.c, childID, "")
		require.NoError(t, err)
		signals := 0
		for _, e := range h.Events {
			if e.GetEventType() == enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED {
				signals++
				require.True(t, strings.HasPrefix(e.GetSignalExternalWorkflowExecutionInitiatedEventAttributes().GetSignalName(), "vb365-restore-session-"))
			}
		}
		require.GreaterOrEqual(t, signals, 2, "session-ready and progress signals to the parent")
		return []recorded{{file: "child-notifies-parent", workflowID: childID,
			lastEvent: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED}}
	}},
	{name: "actions-done", run: func(t *testing.T, r *recorder) []recorded {
		// Two mailboxes restored to their original location, one after
		// the other; then the workflow stops the session.
		run := r.start(actionsInput(mailbox(vb365sim.MailboxAdele), mailbox(vb365sim.MailboxAlex)))
		rep := r.report(run)
		require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
		require.Equal(t, "workflow", rep.StopRequestedBy)
		// v8's statistics are the session's: a scripted restore event of
		// the session that ends while the first action runs may count as
		// its warning, so success or warning.
		require.Equal(t, 2, rep.ActionCounts.Total)
		require.Equal(t, 2, rep.ActionCounts.Succeeded+rep.ActionCounts.PartlySucceeded, "%+v", rep.ActionCounts)
		for _, a := range rep.Actions {
			require.Positive(t, a.Counts.Restored, "%+v", a)
		}
		require.Len(t, r.st.Sim.Restores(), 2, "each mailbox restored once")
		r.checkClean(rep)
		out := completed("actions-done", run)
		out.check = func(t *testing.T, h *historypb.History) { checkActionEvents(t, h, 2) }
		return []recorded{out}
	}},
	{name: "action-failed-stop-on-failure", run: func(t *testing.T, r *recorder) []recorded {
		// The first target is not in the session: it fails, stopOnFailure
		// skips the second, and the session is stopped.
		in := actionsInput(mailbox("nobody@abc.onmicrosoft.com"), mailbox(vb365sim.MailboxAdele))
		in.StopOnFailure = true
		run := r.start(in)
		rep := r.report(run)
		require.Equal(t, []workflows.ActionState{workflows.ActionFailed, workflows.ActionSkipped},
			[]workflows.ActionState{rep.Actions[0].State, rep.Actions[1].State})
		require.Equal(t, activities.ErrTypeRestoreTargetNotFound, rep.Actions[0].ErrorType)
		require.Empty(t, r.st.Sim.Restores(), "nothing restored")
		r.checkClean(rep)
		out := completed("action-failed-stop-on-failure", run)
		out.check = func(t *testing.T, h *historypb.History) { checkActionEvents(t, h, 1) }
		return []recorded{out}
	}},
	{name: "stop-during-action", run: func(t *testing.T, r *recorder) []recorded {
		// A restore of 120 items at half a second each: the stop update
		// cancels it (the cancel is recorded before the session's stop).
		require.NoError(t, r.st.Sim.SetRestoreBehaviour(vb365sim.RestoreBehaviour{ItemDuration: new(vb365sim.Duration(500 * time.Millisecond))}))
		run := r.start(actionsInput(mailbox(vb365sim.MailboxAdele), mailbox(vb365sim.MailboxAlex)))
		require.Eventually(t, func() bool { return len(r.st.Sim.Restores()) == 1 }, time.Minute, 100*time.Millisecond, "the restore started")
		r.stopByUpdate(run.GetID())
		rep := r.report(run)
		require.Equal(t, []workflows.ActionState{workflows.ActionCanceled, workflows.ActionSkipped},
			[]workflows.ActionState{rep.Actions[0].State, rep.Actions[1].State})
		require.Equal(t, "recorder", rep.StopRequestedBy)
		require.Len(t, r.st.Sim.Restores(), 1)
		out := completed("stop-during-action", run)
		out.check = func(t *testing.T, h *historypb.History) {
			checkActionEvents(t, h, 1)
			canceled, stop := -1, -1
			for i, e := range h.Events {
				if e.GetEventType() == enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED && canceled < 0 {
					canceled = i
				}
				if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == activities.StopRestoreSessionName {
					stop = i
				}
			}
			require.Positive(t, canceled, "the action's cancellation recorded")
			require.Greater(t, stop, canceled, "the session stopped after the action's cancellation was recorded")
		}
		return []recorded{out}
	}},
}
