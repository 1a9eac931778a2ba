package vb365

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"math"
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

// ErrStopNotConfirmed is wrapped by the *Error of a stop that VB365
// accepted (2xx) while the session, read back right after, was not Stopped:
// VB365 has been seen to answer a stop and leave the session open, or to
// take effect late. It is transient: the caller stops again later.
var ErrStopNotConfirmed = errors.New("VB365 accepted the stop but the session is not stopped")

// ErrBackupWindowUnavailable is wrapped by the *Error of an organization
// read whose backup window VB365 could not give: the organization's backup
// proxy is offline. VB365 then either answers with errorCode ProxyOffline,
// or answers the organization without isBackedup, firstBackuptime and
// lastBackuptime (v7 and v8 document that extendedView returns them only
// while the proxy is online). It is transient, and not "never backed up".
var ErrBackupWindowUnavailable = errors.New("the organization's backup window is unavailable (its backup proxy is offline)")

// ErrorCodeProxyOffline is VB365's errorCode for an offline backup proxy
// (v7 and v8 RESTExceptionInfo).
const ErrorCodeProxyOffline = "ProxyOffline"

// Transient reports whether retrying the same call later may succeed:
// no response at all, 408, 429 or 5xx, an offline backup proxy (errorCode
// ProxyOffline, or ErrBackupWindowUnavailable) and a stop not yet taken
// (ErrStopNotConfirmed). Three kinds of "no response" are not transient,
// because the same call will fail the same way: the caller canceled it, its
// arguments were refused before sending, or the server's certificate did not
// verify (a CA file or host name to fix, not a blip).
func (e *Error) Transient() bool {
	switch {
	case errors.Is(e.Err, ErrStopNotConfirmed), errors.Is(e.Err, ErrBackupWindowUnavailable),
		strings.EqualFold(e.ErrorCode, ErrorCodeProxyOffline):
		return true
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

// IsProxyOffline reports whether VB365 said the backup proxy it needed is
// offline: errorCode ProxyOffline on any call, or an organization read that
// came back without its backup window (ErrBackupWindowUnavailable). Both
// are transient.
func IsProxyOffline(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return strings.EqualFold(e.ErrorCode, ErrorCodeProxyOffline) || errors.Is(e.Err, ErrBackupWindowUnavailable)
}

// IsBackupWindowUnavailable reports whether an organization read failed
// because its backup window could not be read (ErrBackupWindowUnavailable:
// GetOrganization wraps a ProxyOffline answer in it, too). Callers name it
// apart from "never backed up", and retry it for a bounded time.
func IsBackupWindowUnavailable(err error) bool { return errors.Is(err, ErrBackupWindowUnavailable) }

// IsStopNotConfirmed reports whether a stop was accepted but the session
// was still not Stopped when read back (ErrStopNotConfirmed): stop again later.
func IsStopNotConfirmed(err error) bool { return errors.Is(err, ErrStopNotConfirmed) }

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
		// A number of seconds beyond what a Duration holds is the longest
		// pause, not one that wraps around to no pause; callers bound it.
		if n > int64(math.MaxInt64/time.Second) {
			return math.MaxInt64
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
