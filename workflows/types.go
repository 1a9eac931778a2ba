// Package workflows holds the restore workflow: its names, input, output,
// error types and the workflow code itself. Everything a caller needs to start
// it as a child or by name is declared here.
package workflows

import (
	"strings"
	"time"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// DefaultTaskQueue is the task queue the worker listens on unless configured otherwise.
const DefaultTaskQueue = "vb365-restore"

// Workflow type names, registered explicitly so callers in any SDK can start
// them by name.
const (
	RestoreSessionWorkflowName = "RestoreSessionWorkflow"
	// SessionClaimWorkflowName is a claim of one VB365 restore session by
	// one restore workflow: workflow id "vb365-session-claim-<session id>"
	// (SessionClaimWorkflowIDPrefix), started once and never again, input
	// and result {"sessionId","ownerWorkflowId"}, memo "owner". The worker
	// starts it; nobody else should.
	SessionClaimWorkflowName     = activities.SessionClaimWorkflowName
	SessionClaimWorkflowIDPrefix = activities.SessionClaimWorkflowIDPrefix
)

// Operator-facing handler names.
const (
	// QueryStatus returns a Status.
	QueryStatus = "status"
	// UpdateStop and SignalStop stop the session and end the workflow.
	UpdateStop = "stop"
	SignalStop = "stop"
	// SignalSessionReady is sent to the parent when NotifyParent is set.
	SignalSessionReady = "vb365-restore-session-ready"
	// SignalSessionEnded is sent to the parent when NotifyParent is set and
	// the restore ends (completed, failed or canceled), so that a parent
	// that continued as new since it started the child still learns how it
	// ended (a child's result reaches only the run that started it).
	SignalSessionEnded = "vb365-restore-session-ended"
)

// EndReason says why a restore ended: RestoreReport.EndReason, and
// Status.EndReason once the session is being stopped.
type EndReason string

// End reasons.
const (
	EndReasonStopRequested  EndReason = "stop-requested"
	EndReasonStoppedInVB365 EndReason = "stopped-in-vb365"
	EndReasonMaxDuration    EndReason = "max-duration"
	EndReasonCanceled       EndReason = "canceled"
	// EndReasonFailed: a failure while the session was open; the session
	// was stopped first. Only the status query and the Web UI's details
	// show it: a failed workflow has no result.
	EndReasonFailed EndReason = "failed"
)

// Search attribute names (Keyword). The worker keeps working where they are
// not registered.
const (
	SearchAttrOrganizationID = "VB365OrganizationId"
	SearchAttrSessionID      = "VB365SessionId"
	SearchAttrSessionType    = "VB365SessionType"
	SearchAttrSessionState   = "VB365SessionState"
)

// SearchAttributeSessionType is the value of VB365SessionType for a session
// of type t: the lower-case short form the input takes (vex, vesp, veod,
// vet), whatever casing VB365 answers with, so that
// VB365SessionType='vex' finds every Exchange restore.
func SearchAttributeSessionType(t string) string { return strings.ToLower(t) }

// SearchAttributes returns the names of every search attribute the restore
// workflow sets, all of type Keyword: what a namespace registers for it.
func SearchAttributes() []string {
	return []string{SearchAttrOrganizationID, SearchAttrSessionID, SearchAttrSessionType, SearchAttrSessionState}
}

// RestoreInput is the input of RestoreSessionWorkflow, as JSON:
//
//	{"organizationId": "3c424478-0811-4920-8aab-01f0bf2a2822",
//	 "pointInTime": "2020-10-30T10:54:40.2794046Z", "type": "vet",
//	 "showDeleted": false, "showAllVersions": false,
//	 "beforeFirstBackup": "fail", "maxSessionDuration": "8h",
//	 "pollInterval": "15s", "notifyParent": false}
//
// Strings rather than typed values keep it easy to start from any SDK, the
// Web UI or a playbook file; the workflow validates every field.
type RestoreInput struct {
	OrganizationID string `json:"organizationId"`
	// PointInTime is RFC 3339, or "yyyy-MM-dd HH:mm:ss[.fff]" or
	// "yyyy.MM.dd HH:mm:ss" read as UTC. Empty opens the latest restore point.
	PointInTime string `json:"pointInTime,omitempty"`
	// Type is vex|vesp|veod|vet (any case) or exchange|sharepoint|onedrive|teams.
	Type            string `json:"type"`
	ShowDeleted     bool   `json:"showDeleted,omitempty"`
	ShowAllVersions bool   `json:"showAllVersions,omitempty"`
	// BeforeFirstBackup is "fail" (default) or "allow": what to do with a point
	// in time before the organization's first backup (VB365 would open an empty session).
	BeforeFirstBackup string `json:"beforeFirstBackup,omitempty"`
	// MaxSessionDuration is a Go duration ("8h", default); the session is
	// stopped when it elapses.
	MaxSessionDuration string `json:"maxSessionDuration,omitempty"`
	// PollInterval is a Go duration ("15s", default) between polls of an
	// active session; idle sessions are polled less often.
	PollInterval string `json:"pollInterval,omitempty"`
	// NotifyParent makes a child workflow signal its parent
	// SignalSessionReady as soon as the session exists.
	NotifyParent bool `json:"notifyParent,omitempty"`

	// Actions are restores run in order inside the session once it is open
	// (VB365 v6 or later). Each names its target as an operator knows it;
	// their workload must match Type (mailbox and mailboxes: vex, onedrive:
	// veod, site: vesp, team and channel: vet).
	Actions []activities.RestoreAction `json:"actions,omitempty"`
	// KeepSessionOpen keeps the session open after the actions, until a
	// stop or maxSessionDuration; by default the session is stopped as soon
	// as the last action ends. Without actions the session always stays open.
	KeepSessionOpen bool `json:"keepSessionOpen,omitempty"`
	// StopOnFailure skips the actions after one that failed; by default a
	// failed action does not stop the next ones.
	StopOnFailure bool `json:"stopOnFailure,omitempty"`

	// Continuation is internal: set only by the workflow itself when it
	// continues as new, to carry its state into the next run. Callers leave
	// it empty.
	Continuation *Continuation `json:"continuation,omitempty"`

	// problems are what UnmarshalJSON found wrong (unknown fields, wrong
	// JSON types); ValidateInput reports the first as InvalidRequest.
	problems []inputProblem
}

// Phase is where a restore workflow stands.
type Phase string

// Phases, in order.
const (
	PhaseValidating Phase = "validating"
	PhaseCreating   Phase = "creating-session"
	PhaseOpen       Phase = "session-open"
	PhaseStopping   Phase = "stopping"
	PhaseDone       Phase = "done"
)

// OrganizationInfo is the organization as the workflow saw it.
type OrganizationInfo struct {
	ID              string     `json:"id"`
	Name            string     `json:"name"`
	FirstBackupTime *time.Time `json:"firstBackupTime,omitempty"`
	LastBackupTime  *time.Time `json:"lastBackupTime,omitempty"`
}

// EventCounts counts recorded events by status.
type EventCounts struct {
	Total    int            `json:"total"`
	ByStatus map[string]int `json:"byStatus,omitempty"`
}

// RestoreReport is the result of RestoreSessionWorkflow: the audit record.
type RestoreReport struct {
	Organization         OrganizationInfo     `json:"organization"`
	RequestedPointInTime *time.Time           `json:"requestedPointInTime,omitempty"`
	EffectivePointInTime time.Time            `json:"effectivePointInTime"`
	ClampedToLatest      bool                 `json:"clampedToLatest"`
	Session              vb365.RestoreSession `json:"session"`
	// Events holds every recorded event up to a bound (1,000 events, about
	// 1 MB), then the latest ones; EventsDropped says how many older ones
	// were left out of the report (they remain in the workflow history).
	// Their Message, ItemName, Title, Source and Target are clipped to 1,000
	// characters (the last one "…"); the history has them in full.
	Events          []vb365.RestoreSessionEvent `json:"events"`
	EventsDropped   int                         `json:"eventsDropped,omitempty"`
	EventCounts     EventCounts                 `json:"eventCounts"`
	EndReason       EndReason                   `json:"endReason"`
	StopRequestedBy string                      `json:"stopRequestedBy,omitempty"`
	StopReason      string                      `json:"stopReason,omitempty"`
	// SessionAdopted is true when a lost creation response was recovered by
	// adopting the session VB365 had created.
	SessionAdopted bool `json:"sessionAdopted,omitempty"`
	// FinalEventsError says why the events after the stop could not all be
	// read (the session was stopped all the same).
	FinalEventsError string `json:"finalEventsError,omitempty"`
	// StopUnconfirmed says why the session was not confirmed Stopped (the
	// workflow then fails SessionStopUnconfirmed with this report as the
	// failure's details, and FinalEventsError says which events may be
	// missing). Empty when the session was stopped.
	StopUnconfirmed string `json:"stopUnconfirmed,omitempty"`
	// Actions are the input's restore actions, one row each, in order, and
	// ActionCounts how they ended. Both absent without actions.
	Actions      []ActionReport `json:"actions,omitempty"`
	ActionCounts *ActionCounts  `json:"actionCounts,omitempty"`
}

// ActionState is where a restore action stands.
type ActionState string

// Action states. Success, Warning and Failed are VB365's outcome of the
// restore (Warning: partly restored, some items failed or warned).
const (
	ActionPending  ActionState = "pending"  // not started yet
	ActionRunning  ActionState = "running"  // resolving, restoring or being followed
	ActionSuccess  ActionState = "success"  // everything restored
	ActionWarning  ActionState = "warning"  // partly restored
	ActionFailed   ActionState = "failed"   // nothing restored, or the action could not run (Error says why)
	ActionSkipped  ActionState = "skipped"  // never started: an earlier one failed with stopOnFailure, or a stop came first
	ActionCanceled ActionState = "canceled" // a stop or cancel came while it ran
)

// ActionReport is one restore action in the report and the status query:
// the action as asked, and what became of it. Result's fields (target as
// resolved, VB365's restore id, start and end, item counts, the first
// failed items) are inlined once the action has run.
type ActionReport struct {
	Index  int                      `json:"index"`
	Action activities.RestoreAction `json:"action"`
	State  ActionState              `json:"state"`
	*activities.RestoreActionResult
	// ErrorType and Error say why an action failed, was canceled or was
	// skipped (ErrorType, for a failure: InvalidRequest,
	// RestoreTargetNotFound, RestoreActionOutcomeUnknown, ...).
	ErrorType string `json:"errorType,omitempty"`
	Error     string `json:"error,omitempty"`
	// ActionCounts: how the restore's actions ended, when it had some.
	ActionCounts *ActionCounts `json:"actionCounts,omitempty"`
}

// ActionCounts counts restore actions by how they ended.
type ActionCounts struct {
	Total           int `json:"total"`
	Succeeded       int `json:"succeeded"`
	PartlySucceeded int `json:"partlySucceeded"`
	Failed          int `json:"failed"`
	Skipped         int `json:"skipped"`
	Canceled        int `json:"canceled"`
	// Pending and Running are non-zero only while the restore runs.
	Pending int `json:"pending,omitempty"`
	Running int `json:"running,omitempty"`
}

// Status is the answer of the QueryStatus query.
type Status struct {
	Phase                Phase                       `json:"phase"`
	Organization         OrganizationInfo            `json:"organization"`
	EffectivePointInTime *time.Time                  `json:"effectivePointInTime,omitempty"`
	ClampedToLatest      bool                        `json:"clampedToLatest"`
	Session              *vb365.RestoreSession       `json:"session,omitempty"`
	EventCounts          EventCounts                 `json:"eventCounts"`
	LatestEvents         []vb365.RestoreSessionEvent `json:"latestEvents,omitempty"`
	StopDeadline         *time.Time                  `json:"stopDeadline,omitempty"`
	EndReason            EndReason                   `json:"endReason,omitempty"`
	// Actions and ActionCounts as in the report, as they stand now.
	Actions      []ActionReport `json:"actions,omitempty"`
	ActionCounts *ActionCounts  `json:"actionCounts,omitempty"`
}

// StopRequest is the argument of the stop update and signal.
type StopRequest struct {
	// Reason and RequestedBy are recorded in the report (audit).
	Reason      string `json:"reason,omitempty"`
	RequestedBy string `json:"requestedBy,omitempty"`
}

// SessionReady is the payload of SignalSessionReady, sent to a parent workflow.
type SessionReady struct {
	WorkflowID           string    `json:"workflowId"`
	SessionID            string    `json:"sessionId"`
	SessionName          string    `json:"sessionName"`
	EffectivePointInTime time.Time `json:"effectivePointInTime"`
}

// SessionEnded is the payload of SignalSessionEnded: how a child restore
// ended, in the fields a parent shows (not the events: the child's result
// has them).
type SessionEnded struct {
	WorkflowID           string               `json:"workflowId"`
	OrganizationName     string               `json:"organizationName,omitempty"`
	EffectivePointInTime *time.Time           `json:"effectivePointInTime,omitempty"`
	Session              vb365.RestoreSession `json:"session"`
	EventCounts          EventCounts          `json:"eventCounts"`
	EndReason            EndReason            `json:"endReason,omitempty"`
	// Canceled: the restore was canceled (it stopped its session first).
	Canceled bool `json:"canceled,omitempty"`
	// ErrorType and Error: the restore failed (ErrorType is one of the
	// workflow's error types when it has one).
	ErrorType string `json:"errorType,omitempty"`
	Error     string `json:"error,omitempty"`
	// ActionCounts: how the restore's actions ended, when it had some.
	ActionCounts *ActionCounts `json:"actionCounts,omitempty"`
}
