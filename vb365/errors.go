package vb365

import (
	"errors"
	"fmt"
	"time"
)

// Error is a failed VB365 call: the HTTP status and what VB365 said about it.
// StatusCode is 0 when no response came (network error, timeout).
type Error struct {
	Op         string // what the client was doing, e.g. "get organization"
	Method     string
	Path       string // the request path, without query (never a secret)
	StatusCode int
	Message    string // VB365's "message"
	ErrorCode  string // VB365's "errorCode", when sent
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	Err        error // the underlying cause, if any
}

func (e *Error) Error() string {
	s := fmt.Sprintf("vb365: %s: %s %s", e.Op, e.Method, e.Path)
	if e.StatusCode != 0 {
		s += fmt.Sprintf(": HTTP %d", e.StatusCode)
	}
	if e.ErrorCode != "" {
		s += " " + e.ErrorCode
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Transient reports whether retrying the same call later may succeed:
// no response at all, 408, 429 or 5xx.
func (e *Error) Transient() bool {
	switch {
	case e.StatusCode == 0:
		return true
	case e.StatusCode == 408, e.StatusCode == 429, e.StatusCode >= 500:
		return true
	}
	return false
}

// IsTransient reports whether err is worth retrying. Errors that are not a
// *Error (for example a canceled context) are not.
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Transient()
}

// StatusCode returns the HTTP status of a VB365 error, or 0.
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// RetryAfter returns the delay the server asked for, if any.
func RetryAfter(err error) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter, true
	}
	return 0, false
}
