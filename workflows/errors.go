package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
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

// activityFailure turns an activity's failure into the workflow's, a
// non-retryable ApplicationError of a stable type: one of the named types
// passes through with its message (which names the field and value); any
// other failure is a VB365Error (VB365Unavailable when VB365 stayed
// unreachable until the activity gave up) whose message says what failed.
// Cancellation passes through.
func activityFailure(what string, err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case ErrOrganizationNotFound, ErrVB365AuthenticationFailed, ErrRestoreSessionRejected,
			ErrBackupWindowUnavailable:
			return temporal.NewNonRetryableApplicationError(appErr.Message(), appErr.Type(), err)
		}
	}
	if isCanceled(err) {
		return err
	}
	typ, msg := activities.ErrTypeVB365, err.Error()
	if appErr != nil {
		msg = appErr.Message()
		if appErr.Type() == activities.ErrTypeTransient {
			typ = activities.ErrTypeTransient
		}
	}
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: %s", what, msg), typ, err)
}

// withNote adds a note to a failure's message, keeping its type.
func withNote(err error, note string) error {
	if err == nil || note == "" {
		return err
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr == err {
		return temporal.NewNonRetryableApplicationError(appErr.Message()+" ("+note+")", appErr.Type(), appErr.Unwrap())
	}
	return fmt.Errorf("%w (%s)", err, note)
}

// isCanceled reports whether err is a cancellation.
func isCanceled(err error) bool {
	return errors.Is(err, workflow.ErrCanceled) || temporal.IsCanceledError(err)
}

// isStopUnconfirmed reports whether err is stopSession's
// SessionStopUnconfirmed.
func isStopUnconfirmed(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == ErrSessionStopUnconfirmed
}

// lastFailure is the message of an activity's last failure: the cause of
// its timeout when it timed out.
func lastFailure(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}

// invalid is the InvalidRequest error: the message names the field and the
// value.
func invalid(field, value, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("%s %q: %s", field, Clip(value, valueBound), fmt.Sprintf(format, args...)), ErrInvalidRequest, nil)
}
