package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// Error types of the ApplicationErrors the activities return. The first
// group equals the workflow's named error types (workflows/errors.go) so the
// workflow can pass them through; they are duplicated here because the
// workflows package imports this one.
const (
	ErrTypeOrganizationNotFound      = "OrganizationNotFound"
	ErrTypeVB365AuthenticationFailed = "VB365AuthenticationFailed"
	ErrTypeRestoreSessionRejected    = "RestoreSessionRejected"

	// ErrTypeTransient is a VB365 failure worth retrying (no answer, 408,
	// 429, 5xx). It is retryable and carries Retry-After as NextRetryDelay.
	ErrTypeTransient = "VB365Unavailable"
	// ErrTypeVB365 is any other permanent VB365 failure (403, 409, ...):
	// not retryable, because the same call fails the same way.
	ErrTypeVB365 = "VB365Error"

	// ErrTypeBackupWindowUnavailable is an organization whose backup window
	// VB365 cannot read because its backup proxy is offline (errorCode
	// ProxyOffline, or an answer without the window): retryable, since the
	// proxy may come back, and never "not backed up". The workflow bounds
	// how long it retries.
	ErrTypeBackupWindowUnavailable = "BackupWindowUnavailable"
	// ErrTypeSessionNotStopped is a stop VB365 accepted while the session,
	// read back, was not Stopped: retryable, the next attempt stops again.
	ErrTypeSessionNotStopped = "RestoreSessionNotStopped"
)

// NonRetryableErrorTypes lists the activities' permanent error types: the
// workflow's retry policies use it (workflows/options.go).
var NonRetryableErrorTypes = []string{
	ErrTypeOrganizationNotFound, ErrTypeVB365AuthenticationFailed,
	ErrTypeRestoreSessionRejected, ErrTypeVB365,
}

func nonRetryable(errType, msg string, cause error) error {
	return temporal.NewNonRetryableApplicationError(msg, errType, cause)
}

// retryable is a retryable ApplicationError that carries the server's
// Retry-After, if any, as the next retry's delay.
func retryable(errType, msg string, cause error) error {
	opts := temporal.ApplicationErrorOptions{Cause: cause}
	if d, ok := vb365.RetryAfter(cause); ok {
		opts.NextRetryDelay = d
	}
	return temporal.NewApplicationErrorWithOptions(msg, errType, opts)
}

// mapError turns a client error into the Temporal error the retry policy
// acts on. what describes the call and names its arguments; the client's own
// message adds method, path, status and VB365's message, never a secret.
func mapError(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// The activity itself is ending; let the SDK report that.
		return err
	}
	msg := fmt.Sprintf("%s: %v", what, err)
	switch {
	case vb365.IsAuthenticationFailure(err):
		return nonRetryable(ErrTypeVB365AuthenticationFailed,
			fmt.Sprintf("%s: VB365 refused the configured credentials (check VB365_USERNAME/VB365_PASSWORD): %v", what, err), err)
	case vb365.IsUntrustedCertificate(err):
		// The server could not be authenticated: the same operator fix as
		// credentials (a setting of the worker), so the same named type.
		return nonRetryable(ErrTypeVB365AuthenticationFailed,
			fmt.Sprintf("%s: the VB365 server's TLS certificate is not trusted (set VB365_CA_FILE to the CA that signed it): %v", what, err), err)
	case vb365.IsBackupWindowUnavailable(err):
		return retryable(ErrTypeBackupWindowUnavailable, msg, err)
	case vb365.IsStopNotConfirmed(err):
		return retryable(ErrTypeSessionNotStopped, msg, err)
	case vb365.IsTransient(err), errors.Is(err, errListShifting):
		return retryable(ErrTypeTransient, msg, err)
	default:
		return nonRetryable(ErrTypeVB365, msg, err)
	}
}
