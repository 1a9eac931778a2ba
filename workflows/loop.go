package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
)

// deadlineSlack treats a deadline this close as reached, so a wait that the
// activity's clock ended a little early does not cost another round.
const deadlineSlack = time.Second

// loop records the session's events until something ends it. Each round is
// one WaitForSessionEvents activity that returns only with news or at the
// deadline, so an idle session adds no history; a round costs about six
// history events (activity scheduled/started/completed, one workflow task).
func (r *restoreRun) loop(ctx workflow.Context) (RestoreReport, error) {
	r.initPastRunning(ctx)
	var deadline workflow.Future
	deadlineFired := false
	if rem := r.remaining(ctx); rem > 0 {
		deadline = workflow.NewTimerWithOptions(ctx, rem, workflow.TimerOptions{Summary: "maxSessionDuration"})
	}
	r.publishDetails(ctx)

	for {
		switch {
		case ctx.Err() != nil:
			return r.cancel(ctx)
		case r.stopReq != nil:
			return r.finish(ctx, EndReasonStopRequested)
		case r.st.SessionMissing || r.st.Session.Stopped():
			return r.finish(ctx, EndReasonStoppedInVB365)
		case deadlineFired || r.remaining(ctx) < deadlineSlack:
			return r.finish(ctx, EndReasonMaxDuration)
		case r.shouldContinueAsNew(ctx):
			if err := r.prepareContinueAsNew(ctx); err != nil {
				return RestoreReport{}, err
			}
			if r.stopReq == nil && ctx.Err() == nil {
				return RestoreReport{}, r.continueAsNew(ctx)
			}
			continue // a stop or a cancel came in while draining: handle it
		}

		waitCtx, cancelWait := workflow.WithCancel(ctx)
		rem := r.remaining(ctx)
		if due, ok := r.progressDue(ctx); ok {
			// Return in time to send the counts held back from the parent.
			rem = min(rem, max(due.Sub(workflow.Now(ctx)), time.Second))
		}
		wait := workflow.ExecuteActivity(
			withWait(waitCtx, rem, fmt.Sprintf("wait for events of restore session %s", r.st.Session.ID)),
			acts.WaitForSessionEvents, activities.WaitForSessionEventsInput{
				SessionCursor: r.cursor(),
				KnownState:    r.st.Session.State,
				PollInterval:  r.st.PollInterval,
				MaxWait:       rem,
			})
		var (
			res     activities.SessionEventsResult
			waitErr error
			got     bool
		)
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(wait, func(f workflow.Future) { got, waitErr = true, f.Get(ctx, &res) })
		sel.AddReceive(r.signals, func(c workflow.ReceiveChannel, _ bool) {
			var req StopRequest
			c.Receive(ctx, &req)
			r.requestStop(req, "signal")
		})
		sel.AddReceive(r.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		if deadline != nil && !deadlineFired {
			sel.AddFuture(deadline, func(f workflow.Future) { deadlineFired = f.Get(ctx, nil) == nil })
		}
		sel.Select(ctx)

		if !got {
			// A stop, the deadline or a cancel: abandon the wait. Nothing is
			// lost: the final fetch reads from the same cursor.
			cancelWait()
			continue
		}
		cancelWait()
		if waitErr != nil {
			if ctx.Err() != nil || errors.Is(waitErr, workflow.ErrCanceled) || temporal.IsCanceledError(waitErr) {
				continue
			}
			return r.failAfterStopping(ctx, activityFailure(fmt.Sprintf("wait for events of restore session %q", r.st.Session.ID), waitErr))
		}
		r.applyBatch(ctx, &res)
	}
}

// cursor tells the activities what is already recorded.
func (r *restoreRun) cursor() activities.SessionCursor {
	c := activities.SessionCursor{SessionID: r.st.Session.ID,
		RecordedCount: r.st.Events.Counts.Total + len(r.st.Events.Pending), AfterOrder: r.st.Events.LastOrder,
		PastRunning: r.pastRunning}
	for _, p := range r.st.Events.Pending {
		c.Pending = append(c.Pending, activities.PendingRef{Order: p.Event.Order, Offset: p.Offset})
	}
	return c
}

// initPastRunning decides, once per run, whether the activities return the
// events after a running one (changeRecordPastRunning); a run that carries
// pending events always reads them.
func (r *restoreRun) initPastRunning(ctx workflow.Context) {
	r.pastRunning = len(r.st.Events.Pending) > 0 ||
		workflow.GetVersion(ctx, changeRecordPastRunning, workflow.DefaultVersion, 1) >= 1
}

// applyBatch records a wait's or a fetch's result.
func (r *restoreRun) applyBatch(ctx workflow.Context, res *activities.SessionEventsResult) {
	r.batchesThisRun++
	var added int
	if r.pastRunning {
		added = r.st.Events.apply(res.Events, res.Running, res.Ended)
	} else {
		added = r.st.Events.record(res.Events)
	}
	stateChanged := false
	if res.Missing {
		r.st.SessionMissing = true
	} else if res.Session != nil {
		stateChanged = res.Session.State != r.st.Session.State
		r.st.Session = *res.Session
	}
	if added > 0 || stateChanged || res.Missing {
		r.logger.Info("restore session news", "newEvents", added, "eventsRecorded", r.st.Events.Counts.Total,
			"state", r.st.Session.State, "missing", r.st.SessionMissing)
	}
	if stateChanged {
		r.upsertSearchAttributes(ctx, false)
	}
	r.notifyParentProgress(ctx, stateChanged)
	r.publishDetails(ctx)
}
