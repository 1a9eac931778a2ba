package workflows

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
