// Package workflows holds the restore workflow: its names, input, output,
// error types and the workflow code itself. Everything a caller needs to start
// it as a child or by name is declared here.
package workflows

// DefaultTaskQueue is the task queue the worker listens on unless configured otherwise.
const DefaultTaskQueue = "vb365-restore"

// Workflow type names, registered explicitly so callers in any SDK can start
// them by name.
const (
	RestoreSessionWorkflowName = "RestoreSessionWorkflow"
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

// SearchAttributes returns the names of every search attribute the restore
// workflow sets, all of type Keyword: what a namespace registers for it.
func SearchAttributes() []string {
	return []string{SearchAttrOrganizationID, SearchAttrSessionID, SearchAttrSessionType, SearchAttrSessionState}
}
