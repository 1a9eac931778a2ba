// Package workflows holds the restore workflow: its names, input, output,
// error types and the workflow code itself. Everything a caller needs to start
// it as a child or by name is declared here.
package workflows

import "strings"

import "github.com/vb365-restore/vb365-restore/activities"

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

// Error types of the ApplicationErrors the workflow fails with. All are
// non-retryable: the same input fails the same way.
const (
	ErrInvalidRequest               = "InvalidRequest"
	ErrOrganizationNotFound         = "OrganizationNotFound"
	ErrOrganizationNotBackedUp      = "OrganizationNotBackedUp"
	ErrPointInTimeBeforeFirstBackup = "PointInTimeBeforeFirstBackup"
	ErrPointInTimeInFuture          = "PointInTimeInFuture"
	ErrVB365AuthenticationFailed    = "VB365AuthenticationFailed"
	ErrRestoreSessionRejected       = "RestoreSessionRejected"
	// ErrBackupWindowUnavailable is an organization whose backup window VB365
	// could not tell for as long as the organization read was retried (its
	// backup proxy offline, for one): unlike OrganizationNotBackedUp it says
	// nothing about the backups themselves, so the restore may be tried later.
	ErrBackupWindowUnavailable = "BackupWindowUnavailable"
	// ErrSessionStopUnconfirmed: VB365 did not confirm the session Stopped
	// within the worker's bound (Options.StopConfirmBound) however often it
	// was stopped. The session may still be open in VB365; the failure's
	// details carry the report, which says which events may be missing.
	ErrSessionStopUnconfirmed = "SessionStopUnconfirmed"
)

// End reasons reported in RestoreReport.EndReason.
const (
	EndReasonStopRequested  = "stop-requested"
	EndReasonStoppedInVB365 = "stopped-in-vb365"
	EndReasonMaxDuration    = "max-duration"
	EndReasonCanceled       = "canceled"
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
