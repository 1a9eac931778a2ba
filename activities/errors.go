package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// Error types of the ApplicationErrors the activities return. The first
// group equals the workflow's named error types (workflows/names.go) so the
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
)

// NonRetryableErrorTypes lists the activities' permanent error types: the
// workflow's retry policies use it (workflows/options.go).
var NonRetryableErrorTypes = []string{
	ErrTypeOrganizationNotFound, ErrTypeVB365AuthenticationFailed,
	ErrTypeRestoreSessionRejected, ErrTypeVB365,
}

// isAuthFailure is vb365.IsAuthenticationFailure; a variable only so tests can
// produce an authentication failure without a real login.
var isAuthFailure = vb365.IsAuthenticationFailure

func nonRetryable(errType, msg string, cause error) error {
	return temporal.NewNonRetryableApplicationError(msg, errType, cause)
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
	case isAuthFailure(err):
		return nonRetryable(ErrTypeVB365AuthenticationFailed,
			fmt.Sprintf("%s: VB365 refused the configured credentials (check VB365_USERNAME/VB365_PASSWORD): %v", what, err), err)
	case vb365.IsUntrustedCertificate(err):
		// The server could not be authenticated: the same operator fix as
		// credentials (a setting of the worker), so the same named type.
		return nonRetryable(ErrTypeVB365AuthenticationFailed,
			fmt.Sprintf("%s: the VB365 server's TLS certificate is not trusted (set VB365_CA_FILE to the CA that signed it): %v", what, err), err)
	case vb365.IsTransient(err):
		opts := temporal.ApplicationErrorOptions{Cause: err}
		if d, ok := vb365.RetryAfter(err); ok {
			opts.NextRetryDelay = d
		}
		return temporal.NewApplicationErrorWithOptions(msg, ErrTypeTransient, opts)
	default:
		return nonRetryable(ErrTypeVB365, msg, err)
	}
}
