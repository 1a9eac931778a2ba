package vb365

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
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

	// authFailure marks a refused login, or a 401 that survived a fresh
	// login: retrying cannot help until someone fixes the credentials.
	authFailure bool
}

func (e *Error) Error() string {
	s := "vb365: " + e.Op
	if e.Method != "" || e.Path != "" {
		s += fmt.Sprintf(": %s %s", e.Method, e.Path)
	}
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

// ErrInvalidArgument is wrapped by errors about the caller's input (an empty
// id, an unknown session type): the request was never sent, and sending it
// again cannot help.
var ErrInvalidArgument = errors.New("invalid argument")

// Transient reports whether retrying the same call later may succeed:
// no response at all, 408, 429 or 5xx. Three kinds of "no response" are not
// transient, because the same call will fail the same way: the caller
// canceled it, its arguments were refused before sending, or the server's
// certificate did not verify (a CA file or host name to fix, not a blip).
func (e *Error) Transient() bool {
	switch {
	case e.StatusCode == 0:
		return !errors.Is(e.Err, context.Canceled) && !errors.Is(e.Err, ErrInvalidArgument) &&
			!IsUntrustedCertificate(e.Err)
	case e.StatusCode == http.StatusRequestTimeout, e.StatusCode == http.StatusTooManyRequests, e.StatusCode >= 500:
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

// IsUntrustedCertificate reports whether err is the VB365 server's TLS
// certificate failing verification (unknown authority, wrong host name):
// permanent until VB365_CA_FILE (or the certificate) is fixed.
func IsUntrustedCertificate(err error) bool {
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authorityErr x509.UnknownAuthorityError
	return errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &authorityErr)
}

// IsAuthenticationFailure reports whether VB365 refused the configured
// credentials: the login itself was refused (400, 401 or 403 from /token), or
// a call was still answered 401 after a fresh login. Callers map it to a named,
// non-retryable error, because only an operator can fix it.
func IsAuthenticationFailure(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.authFailure
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

// errorBody is every error shape VB365 is known to send: its own
// RESTExceptionInfo (message, errorCode) and, from /token, the OAuth shape
// (error, error_description).
type errorBody struct {
	Message          string `json:"message"`
	ErrorCode        string `json:"errorCode"`
	OAuthError       string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// maxErrorText bounds how much of a non-JSON error body goes into an error:
// enough for a proxy's one-line explanation, not a whole HTML page.
const maxErrorText = 200

// fillFromBody copies what the server said into e, with redact applied to
// it. Bodies that are not JSON (a proxy's HTML page) contribute a short,
// single-line excerpt, cut after redaction so that no secret straddling the
// cut leaks a prefix.
func (e *Error) fillFromBody(body []byte, redact func(string) string) {
	var b errorBody
	if err := json.Unmarshal(body, &b); err == nil {
		e.Message = b.Message
		e.ErrorCode = b.ErrorCode
		if e.Message == "" {
			e.Message = b.ErrorDescription
		}
		if e.ErrorCode == "" {
			e.ErrorCode = b.OAuthError
		}
		e.Message, e.ErrorCode = redact(e.Message), redact(e.ErrorCode)
		return
	}
	text := strings.Join(strings.Fields(redact(string(body))), " ")
	if len(text) > maxErrorText {
		text = text[:maxErrorText] + "..."
	}
	e.Message = text
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP-date
// (RFC 9110 10.2.3). A date in the past, or garbage, gives 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
