package main

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/internal/config"
)

// usageError is a bad flag or argument: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// temporalError is a failed call to Temporal (unreachable, not found,
// refused): exit 3.
type temporalError struct{ err error }

func (e *temporalError) Error() string { return e.err.Error() }
func (e *temporalError) Unwrap() error { return e.err }

// workflowError is a workflow that ended without success: exit 1.
type workflowError struct{ err error }

func (e *workflowError) Error() string { return describeFailure(e.err) }
func (e *workflowError) Unwrap() error { return e.err }

// errDetached ends --follow on Ctrl-C: the workflow keeps running.
var errDetached = errors.New("detached; the workflow keeps running")

// exitCode maps an error to the exit status.
func exitCode(err error) int {
	var (
		ue *usageError
		ce *config.Error
		we *workflowError
		te *temporalError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errDetached):
		return exitDetached
	case errors.As(err, &ue), errors.As(err, &ce):
		return exitUsage
	case errors.As(err, &we):
		return exitFailed
	case errors.As(err, &te):
		return exitTemporal
	}
	// cobra's own argument errors.
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires ", "required flag", "invalid argument"} {
		if strings.HasPrefix(msg, p) {
			return exitUsage
		}
	}
	return exitTemporal
}

// describeFailure turns a workflow's error into one line led by its type,
// for example "failed: PointInTimeBeforeFirstBackup: pointInTime ...".
func describeFailure(err error) string {
	var (
		appErr     *temporal.ApplicationError
		canceled   *temporal.CanceledError
		terminated *temporal.TerminatedError
		timeout    *temporal.TimeoutError
	)
	switch {
	case errors.As(err, &appErr):
		typ := appErr.Type()
		if typ == "" {
			typ = "Error"
		}
		return fmt.Sprintf("failed: %s: %s", typ, appErr.Message())
	case errors.As(err, &canceled):
		return "canceled"
	case errors.As(err, &terminated):
		return "terminated: " + terminated.Error()
	case errors.As(err, &timeout):
		return "timed out: " + timeout.Error()
	}
	return "failed: " + err.Error()
}

// isWorkflowFailure tells a workflow that ended badly from a failed call.
func isWorkflowFailure(err error) bool {
	var (
		wee        *temporal.WorkflowExecutionError
		appErr     *temporal.ApplicationError
		canceled   *temporal.CanceledError
		terminated *temporal.TerminatedError
		timeout    *temporal.TimeoutError
	)
	return errors.As(err, &wee) || errors.As(err, &appErr) || errors.As(err, &canceled) ||
		errors.As(err, &terminated) || errors.As(err, &timeout)
}
