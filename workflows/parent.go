package workflows

import "go.temporal.io/sdk/workflow"

// SignalSessionProgress is sent to the parent, when NotifyParent is set, after
// each batch of recorded events and when the session's state changes, so that
// a parent (a DR playbook) can show live state and counts without polling
// its children.
const SignalSessionProgress = "vb365-restore-session-progress"

// SessionProgress is the payload of SignalSessionProgress.
type SessionProgress struct {
	WorkflowID   string      `json:"workflowId"`
	SessionID    string      `json:"sessionId"`
	SessionState string      `json:"sessionState"`
	EventCounts  EventCounts `json:"eventCounts"`
}

// notifyParentProgress tells a parent that asked for it (NotifyParent) about
// new events or a new state. It does not wait for delivery: progress is
// advisory, a lost one is superseded by the next, and the restore must not
// stall on a parent that is slow or gone.
func (r *restoreRun) notifyParentProgress(ctx workflow.Context) {
	info := workflow.GetInfo(ctx)
	if !r.in.NotifyParent || info.ParentWorkflowExecution == nil {
		return
	}
	p := SessionProgress{WorkflowID: info.WorkflowExecution.ID, SessionID: r.st.Session.ID,
		SessionState: r.st.Session.State, EventCounts: r.st.Events.Counts}
	workflow.SignalExternalWorkflow(ctx, info.ParentWorkflowExecution.ID, "", SignalSessionProgress, p)
}
