package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// SignalSessionProgress is sent to the parent, when NotifyParent is set, so
// that a parent (a DR playbook) can show live state and counts without
// polling its children. Each one costs the child two history events and the
// parent a signal and a workflow task, so they are rationed:
//   - at once when the session's state changes;
//   - at once for the first batch with new events (nothing was sent yet),
//     and at the start of a run that continues a previous one (which may
//     have held counts back: what was sent does not survive continue-as-new);
//   - otherwise at most once per poll interval (or ProgressInterval when
//     shorter) of workflow time, and only when the counts changed since the
//     last one sent. Counts held back are sent when the interval has passed:
//     the child's wait returns by then to send them, so a parent sees
//     completed events within two poll intervals.
//
// The child's result carries the final counts.
const SignalSessionProgress = "vb365-restore-session-progress"

// ProgressInterval bounds the least time between two SignalSessionProgress
// of one child when its state did not change; the poll interval, when
// shorter, is the bound.
const ProgressInterval = 10 * time.Minute

// SessionProgress is the payload of SignalSessionProgress.
type SessionProgress struct {
	WorkflowID   string      `json:"workflowId"`
	SessionID    string      `json:"sessionId"`
	SessionState string      `json:"sessionState"`
	EventCounts  EventCounts `json:"eventCounts"`
	// ActionCounts: how the restore's actions stand, when it has some.
	ActionCounts *ActionCounts `json:"actionCounts,omitempty"`
}

// sentProgress is what the last progress signal of this run carried.
type sentProgress struct {
	sent  bool
	at    time.Time
	total int
}

// notifyParentProgress tells a parent that asked for it (NotifyParent) about
// new events or a new state, as rationed above (SignalSessionProgress). It
// does not wait for delivery: progress is advisory, a lost one is superseded
// by the next, and the restore must not stall on a parent that is slow or
// gone.
func (r *restoreRun) notifyParentProgress(ctx workflow.Context, stateChanged bool) {
	info := workflow.GetInfo(ctx)
	if !r.in.NotifyParent || info.ParentWorkflowExecution == nil {
		return
	}
	if !stateChanged {
		if due, ok := r.progressDue(ctx); !ok || workflow.Now(ctx).Before(due) {
			return
		}
	}
	_, counts := r.state.Events.withPending()
	p := SessionProgress{WorkflowID: info.WorkflowExecution.ID, SessionID: r.state.Session.ID,
		SessionState: r.state.Session.State, EventCounts: counts}
	_, p.ActionCounts = r.actionRows()
	workflow.SignalExternalWorkflow(ctx, info.ParentWorkflowExecution.ID, "", SignalSessionProgress, p)
	r.progress = sentProgress{sent: true, at: workflow.Now(ctx), total: r.state.Events.Counts.Total}
}

// progressDue is when the counts not yet sent to the parent may be sent
// (the zero time: at once); false when there are none to send.
func (r *restoreRun) progressDue(ctx workflow.Context) (time.Time, bool) {
	if !r.in.NotifyParent || workflow.GetInfo(ctx).ParentWorkflowExecution == nil ||
		r.state.Events.Counts.Total == r.progress.total {
		return time.Time{}, false
	}
	if !r.progress.sent {
		return time.Time{}, true
	}
	return r.progress.at.Add(r.progressInterval(ctx)), true
}

// progressInterval is the least time between two progress signals of
// unchanged state (see SignalSessionProgress).
func (r *restoreRun) progressInterval(ctx workflow.Context) time.Duration {
	if workflow.GetVersion(ctx, changeProgressWithinPoll, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return r.opts.ProgressInterval
	}
	return min(r.opts.ProgressInterval, r.state.PollInterval)
}

// notifyParent signals the parent that the session exists, when asked to.
// A parent that is gone is logged, not fatal: the restore goes on.
func (r *restoreRun) notifyParent(ctx workflow.Context) {
	info := workflow.GetInfo(ctx)
	if !r.in.NotifyParent || info.ParentWorkflowExecution == nil {
		return
	}
	payload := SessionReady{WorkflowID: info.WorkflowExecution.ID, SessionID: r.state.Session.ID,
		SessionName: r.state.Session.Name, EffectivePointInTime: r.state.EffectivePointInTime}
	// An empty run id reaches the parent's current run, even if it continued as new.
	err := workflow.SignalExternalWorkflow(ctx, info.ParentWorkflowExecution.ID, "", SignalSessionReady, payload).Get(ctx, nil)
	if err != nil {
		r.logger.Warn("could not signal the parent workflow", "parentWorkflowId", info.ParentWorkflowExecution.ID, "error", err)
	}
}

// notifyParentEnded signals the parent how the restore ended, when asked to
// (SignalSessionEnded). It waits for delivery, on a context that is not
// cancelled, so the signal leaves before the workflow closes; a parent that
// is gone is logged, not fatal.
func (r *restoreRun) notifyParentEnded(ctx workflow.Context, rep RestoreReport, err error) {
	info := workflow.GetInfo(ctx)
	if !r.in.NotifyParent || info.ParentWorkflowExecution == nil ||
		workflow.GetVersion(ctx, changeNotifyParentEnded, workflow.DefaultVersion, 1) < 1 {
		return
	}
	ended := SessionEnded{WorkflowID: info.WorkflowExecution.ID, OrganizationName: rep.Organization.Name,
		Session: rep.Session, EventCounts: rep.EventCounts, EndReason: rep.EndReason}
	_, ended.ActionCounts = r.actionRows() // also when rep is empty (a failure)
	if !rep.EffectivePointInTime.IsZero() {
		t := rep.EffectivePointInTime
		ended.EffectivePointInTime = &t
	}
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
	case isCanceled(err):
		ended.Canceled, ended.EndReason, ended.Error = true, EndReasonCanceled, err.Error()
	case errors.As(err, &appErr):
		ended.ErrorType, ended.Error = appErr.Type(), appErr.Error()
	default:
		ended.Error = err.Error()
	}
	if ended.Session.ID == "" {
		ended.Session = r.state.Session
	}
	if ended.EventCounts.Total == 0 {
		ended.EventCounts = r.state.Events.Counts
	}
	// An empty run id reaches the parent's current run, even if it continued as new.
	if err := workflow.SignalExternalWorkflow(ctx, info.ParentWorkflowExecution.ID, "", SignalSessionEnded, ended).Get(ctx, nil); err != nil {
		r.logger.Warn("could not signal the parent workflow", "parentWorkflowId", info.ParentWorkflowExecution.ID, "error", err)
	}
}
