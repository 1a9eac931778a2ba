package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// How a restore runs its actions (RestoreInput.Actions), behind
// changeRestoreActions:
//   - once the session is open and nothing ends it yet, one coroutine
//     (runActions) runs the actions in order, one RestoreAction activity
//     each, while the session loop goes on recording events;
//   - a failed action does not stop the next ones unless StopOnFailure:
//     then the rest are skipped;
//   - after the last one the coroutine asks the loop to stop the session
//     (requestedBy "workflow", reason actionsDoneReason) unless
//     KeepSessionOpen, and wakes it (one wait restarted per restore);
//   - a stop, a cancel, maxSessionDuration or a session stopped in VB365
//     ends the session through finish or failAfterStopping, which first
//     cancel the running action and wait until its cancellation is
//     recorded (endActions): it is canceled, the rest skipped;
//   - an action runs once: a run never continues as new while one runs
//     (shouldContinueAsNew), and the rows travel in the Continuation, so a
//     next run starts only those still pending. The activity itself guards
//     against a request sent twice by its own retries.
//
// Each action costs its activity's three events and the workflow task
// that takes its result (about six history events), plus the events the
// session loop records of the restore.

// actionsDoneReason is the stop reason of a session stopped after its
// actions (KeepSessionOpen false); the requester is actionsRequester.
const (
	actionsDoneReason = "restore actions done"
	actionsRequester  = "workflow"
)

// actionErrorBound bounds an action's error text in the report and the
// status query (runes).
const actionErrorBound = 1000

// actionRun is what a run knows of its actions beyond the carried rows.
type actionRun struct {
	// started: runActions was started in this run (or there is nothing to run).
	started bool
	// busy: runActions is running; the run does not continue as new.
	busy bool
	// ending says why the actions are being ended ("" while they may run).
	ending EndReason
	// cancel cancels the running action's activity.
	cancel workflow.CancelFunc
}

// initActions makes the action rows, once, in the first run of a restore
// with actions (changeRestoreActions); a later run has them from its
// Continuation. A restore whose first run predates the change has none and
// runs no action.
func (r *restoreRun) initActions(ctx workflow.Context) {
	if r.state.Actions != nil || len(r.in.Actions) == 0 || r.in.Continuation != nil {
		return
	}
	if workflow.GetVersion(ctx, changeRestoreActions, workflow.DefaultVersion, 1) < 1 {
		return
	}
	typ, err := vb365.ParseSessionType(r.in.Type)
	if err != nil {
		return // ValidateInput accepted it before the session was created
	}
	checked, err := validateActions(r.in.Actions, typ)
	if err != nil {
		return // likewise
	}
	r.state.Actions = make([]ActionReport, len(checked))
	for i, a := range checked {
		r.state.Actions[i] = ActionReport{Index: i, Action: a, State: ActionPending}
	}
}

// startActions starts runActions once per run, when an action is pending.
// The session loop calls it once nothing ends the session.
func (r *restoreRun) startActions(ctx workflow.Context) {
	if r.actions.started {
		return
	}
	r.actions.started = true
	r.initActions(ctx)
	if !slices.ContainsFunc(r.state.Actions, func(a ActionReport) bool { return a.State == ActionPending }) {
		return
	}
	r.actions.busy = true
	workflow.Go(ctx, r.runActions)
}

// runActions runs the pending actions in order (see above), then asks for
// the session's stop unless KeepSessionOpen or the actions were ended.
func (r *restoreRun) runActions(ctx workflow.Context) {
	defer func() { r.actions.busy = false }()
	for i := range r.state.Actions {
		if r.state.Actions[i].State != ActionPending {
			continue
		}
		if r.actions.ending != "" || ctx.Err() != nil {
			r.skipActions(i, "not started: "+r.actionsEndingText(ctx))
			return
		}
		if r.in.StopOnFailure {
			if j := slices.IndexFunc(r.state.Actions[:i], func(a ActionReport) bool { return a.State == ActionFailed }); j >= 0 {
				r.skipActions(i, fmt.Sprintf("not started: actions[%d] failed and stopOnFailure is set", j))
				break
			}
		}
		r.runAction(ctx, i)
	}
	r.publishDetails(ctx)
	if r.actions.ending != "" || ctx.Err() != nil {
		return
	}
	if !r.in.KeepSessionOpen {
		r.requestStop(StopRequest{Reason: actionsDoneReason, RequestedBy: actionsRequester}, "actions")
	}
	// The loop looks again: it stops the session, or it may continue as
	// new now that no action runs.
	r.wake.SendAsync(true)
}

// runAction runs action i, one activity, and records how it ended.
func (r *restoreRun) runAction(ctx workflow.Context, i int) {
	row := &r.state.Actions[i]
	act := row.Action
	target := act.Target
	if act.Kind == activities.RestoreKindMailboxes {
		target = strings.Join(act.Targets, ", ")
	}
	row.State = ActionRunning
	row.RestoreActionResult = &activities.RestoreActionResult{Kind: act.Kind, Target: target, Start: workflow.Now(ctx)}
	r.logger.Info("restore action started", "action", i, "kind", act.Kind)
	r.publishDetails(ctx)

	actx, cancel := workflow.WithCancel(ctx)
	r.actions.cancel = cancel
	in := activities.RestoreActionInput{SessionID: r.state.Session.ID, SessionType: r.state.Session.Type, Action: act,
		EventsSeen: r.cursor().RecordedCount, PollInterval: min(r.state.PollInterval, actionPollInterval)}
	what := fmt.Sprintf("restore action %d: %s %s", i, act.Kind, target)
	var res activities.RestoreActionResult
	// Its result is taken even when the workflow is cancelled: with
	// WaitForCancellation, the future ends once the cancel is recorded.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	err := workflow.ExecuteActivity(withRestoreAction(actx, r.remaining(ctx), what), acts.RestoreAction, in).Get(dctx, &res)
	r.actions.cancel = nil
	cancel()

	switch {
	case err == nil:
		row.RestoreActionResult = &res
		row.State = actionState(res.State)
	case isCanceled(err) || r.actions.ending != "" || ctx.Err() != nil:
		// Canceled, or failed (a timeout) while its cancellation was
		// awaited: either way the end of the restore ended it.
		row.State = ActionCanceled
		row.End = workflow.Now(ctx)
		row.Error = "canceled while it ran: " + r.actionsEndingText(ctx)
	default:
		row.State = ActionFailed
		row.End = workflow.Now(ctx)
		var appErr *temporal.ApplicationError
		var timeoutErr *temporal.TimeoutError
		msg := err.Error()
		switch {
		case errors.As(err, &appErr):
			row.ErrorType, msg = appErr.Type(), appErr.Message()
		case errors.As(err, &timeoutErr):
			row.ErrorType = "Timeout"
		}
		row.Error = Clip(msg, actionErrorBound)
	}
	r.logger.Info("restore action ended", "action", i, "kind", act.Kind, "state", row.State, "errorType", row.ErrorType)
}

// actionState maps VB365's outcome of a restore to the row's state.
func actionState(s string) ActionState {
	switch strings.ToLower(s) {
	case "success":
		return ActionSuccess
	case "warning":
		return ActionWarning
	}
	return ActionFailed
}

// skipActions marks the pending actions from i on skipped.
func (r *restoreRun) skipActions(from int, why string) {
	for i := from; i < len(r.state.Actions); i++ {
		if r.state.Actions[i].State == ActionPending {
			r.state.Actions[i].State = ActionSkipped
			r.state.Actions[i].Error = why
		}
	}
}

// endActions ends the actions before the session is stopped: the running
// one is canceled (and awaited until its cancellation is recorded), the
// pending ones skipped. why is the end reason.
func (r *restoreRun) endActions(ctx workflow.Context, why EndReason) {
	r.initActions(ctx)
	if r.actions.ending == "" {
		r.actions.ending = why
	}
	if r.actions.cancel != nil {
		r.logger.Info("canceling the running restore action", "endReason", why)
		r.actions.cancel()
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	_ = workflow.Await(dctx, func() bool { return !r.actions.busy })
	r.skipActions(0, "not started: "+r.actionsEndingText(ctx))
}

// actionsEndingText says why the actions were ended.
func (r *restoreRun) actionsEndingText(ctx workflow.Context) string {
	switch why := r.actions.ending; {
	case ctx.Err() != nil || why == EndReasonCanceled:
		return "the restore was canceled"
	case why == EndReasonStopRequested && r.stopReq != nil:
		return fmt.Sprintf("the restore was stopped (requested by %q: %q)", r.stopReq.RequestedBy, r.stopReq.Reason)
	case why != "":
		return "the restore ended: " + string(why)
	}
	return "the restore ended"
}

// actionRows is what the report and the status query show of the actions:
// the rows and their counts, both nil without actions.
func (r *restoreRun) actionRows() ([]ActionReport, *ActionCounts) {
	if len(r.state.Actions) == 0 {
		return nil, nil
	}
	rows := slices.Clone(r.state.Actions)
	for i := range rows {
		if rows[i].RestoreActionResult != nil {
			res := *rows[i].RestoreActionResult
			rows[i].RestoreActionResult = &res
		}
	}
	c := CountActions(rows)
	return rows, &c
}

// CountActions counts actions by state.
func CountActions(rows []ActionReport) ActionCounts {
	c := ActionCounts{Total: len(rows)}
	for _, a := range rows {
		switch a.State {
		case ActionSuccess:
			c.Succeeded++
		case ActionWarning:
			c.PartlySucceeded++
		case ActionFailed:
			c.Failed++
		case ActionSkipped:
			c.Skipped++
		case ActionCanceled:
			c.Canceled++
		case ActionPending:
			c.Pending++
		case ActionRunning:
			c.Running++
		}
	}
	return c
}

// Add adds o to c, field by field (a playbook's total over its restores).
func (c *ActionCounts) Add(o ActionCounts) {
	c.Total += o.Total
	c.Succeeded += o.Succeeded
	c.PartlySucceeded += o.PartlySucceeded
	c.Failed += o.Failed
	c.Skipped += o.Skipped
	c.Canceled += o.Canceled
	c.Pending += o.Pending
	c.Running += o.Running
}
