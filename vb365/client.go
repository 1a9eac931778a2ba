// Package vb365 is a client of the Veeam Backup for Microsoft 365 REST API
// for what a durable restore needs: organizations and their backup window,
// restore sessions (start, read, list, stop) and their events.
//
// It speaks v5 (the shapes of Veeam's v5 "Create Restore Session" reference page) and v6, v7, v8 (Veeam's
// OpenAPI documents), finds the highest served version by itself, shares one
// bearer token among all goroutines, and reports every failure as a *Error
// that says whether retrying can help. It never writes a password or a token
// into an error, a URL or a log line.
package vb365

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Config configures a Client. BaseURL, Username and Password are required.
type Config struct {
	// BaseURL is the server's root, for example https://vb365.example.com:4443.
	BaseURL  string
	Username string
	Password string
	// Version pins the API version; VersionAuto (or empty) detects the highest served.
	Version Version
	// CAFile adds the PEM certificates in this file to the system roots
	// (VB365 servers often use self-signed certificates).
	CAFile string
	// InsecureSkipVerify turns TLS verification off; New logs a warning.
	InsecureSkipVerify bool
	// Timeout bounds each HTTP request (default 30s).
	Timeout time.Duration
	// HTTPClient, if set, is used as is (TLS settings above are then ignored).
	HTTPClient *http.Client
	// Logger receives debug and warning lines; never a password or a token.
	Logger *zap.Logger
	// Budget, if set, caps the requests to the server (shared by every client of the worker).
	Budget *Budget
	// ServerTimeZone is the VB365 server's zone. VB365 sends some times
	// (organizations' backup times, per its documents) without a zone, in
	// its local time; they are read in this zone. Times with a zone or an
	// offset keep theirs. Nil means UTC.
	ServerTimeZone *time.Location
}

// DefaultTimeout bounds one HTTP exchange when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// maxResponseBytes caps what the client reads of one response. The largest
// legitimate body is a page of sessions or events; the cap keeps a
// misbehaving server from exhausting the worker's memory.
const maxResponseBytes = 32 << 20

// Client talks to one VB365 server. It is safe for concurrent use: all callers
// share one token, refreshed before it expires.
type Client struct {
	cfg     Config
	base    *url.URL
	hc      *http.Client
	log     *zap.Logger
	timeout time.Duration
	now     func() time.Time
	loc     *time.Location // Config.ServerTimeZone, never nil

	// Version detection runs once per Client; versionSem lets waiting
	// callers give up with their context instead of blocking on a mutex.
	versionSem chan struct{}
	versionMu  sync.Mutex
	version    Version

	// authSem admits one login or refresh at a time, so a burst of callers
	// that all find the token missing or stale cause one /token request,
	// not one each. tokenMu guards tok for the short reads and swaps.
	authSem chan struct{}
	tokenMu sync.Mutex
	tok     *token

	clock serverClock
}

// New checks cfg and returns a client. It does not contact the server.
func New(cfg Config) (*Client, error) {
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Username == "" {
		return nil, errors.New("vb365: username is required")
	}
	if cfg.Password == "" {
		return nil, errors.New("vb365: password is required")
	}
	v, err := ParseVersion(string(cfg.Version))
	if err != nil {
		return nil, fmt.Errorf("vb365: %w", err)
	}
	cfg.Version = v
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("vb365: timeout must not be negative, got %s", cfg.Timeout)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	log = log.With(zap.String("vb365", base.Host))

	hc := cfg.HTTPClient
	if hc == nil {
		tr, err := newTransport(cfg)
		if err != nil {
			return nil, err
		}
		hc = &http.Client{Transport: tr}
		if cfg.InsecureSkipVerify {
			log.Warn("TLS certificate verification of the VB365 server is turned off; anyone on the network path can read the VB365 credentials and tokens. Prefer a CA file.")
		}
	} else if cfg.CAFile != "" || cfg.InsecureSkipVerify {
		log.Warn("a custom HTTP client is configured; the VB365 CA file and insecure-skip-verify settings are ignored")
	}
	// Redirects would replay the bearer header to wherever the server
	// points; VB365 does not redirect its API, so refuse them.
	hcCopy := *hc
	hcCopy.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if cfg.Budget != nil {
		hcCopy.Transport = cfg.Budget.Wrap(hcCopy.Transport)
	}

	c := &Client{
		cfg:        cfg,
		base:       base,
		hc:         &hcCopy,
		log:        log,
		timeout:    timeout,
		now:        time.Now,
		loc:        time.UTC,
		versionSem: make(chan struct{}, 1),
		authSem:    make(chan struct{}, 1),
	}
	if v != VersionAuto {
		c.version = v
	}
	if cfg.ServerTimeZone != nil {
		c.loc = cfg.ServerTimeZone
	}
	return c, nil
}

// parseBaseURL accepts http(s)://host[:port][/prefix]. Credentials in the
// URL are refused: they would end up in every error message that names it.
func parseBaseURL(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, errors.New("vb365: base URL is required")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, errors.New("vb365: base URL is not a URL")
	}
	if u.User != nil {
		return nil, errors.New("vb365: base URL must not carry credentials; set the username and password instead")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("vb365: base URL %q: scheme must be https or http", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("vb365: base URL %q has no host", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("vb365: base URL %q must not have a query or fragment", u.Redacted())
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// request is one API call as the client builds it. body is kept as bytes so
// the call can be sent again after a re-login.
type request struct {
	op          string
	method      string
	path        string // from the version segment on, e.g. /v8/Organizations/{id}
	query       url.Values
	body        []byte
	contentType string
	// timeout bounds this exchange instead of Config.Timeout when set;
	// negative leaves it to the caller's context alone (v6 and v7 restores
	// answer only when the restore is done, hours later).
	timeout time.Duration
}

// response is what came back, read in full within the request's timeout.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) ok() bool { return r.status >= 200 && r.status < 300 }

// errorf returns a *Error about r that carries no response.
func (r *request) errorf(cause error) *Error {
	return &Error{Op: r.op, Method: r.method, Path: r.path, Err: cause}
}

// send performs one HTTP exchange. With bearer empty it sends no
// Authorization header (version probes, /token). A missing response becomes a
// transient *Error; any HTTP status comes back as a response.
func (c *Client) send(ctx context.Context, r *request, bearer string) (*response, error) {
	u := *c.base
	u.Path = c.base.Path + r.path
	u.RawQuery = r.query.Encode()

	timeout := c.timeout
	if r.timeout != 0 {
		timeout = r.timeout
	}
	actx, cancel := ctx, context.CancelFunc(func() {})
	if timeout > 0 {
		actx, cancel = context.WithTimeout(budgetContext(ctx, timeout), timeout)
	}
	defer cancel()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, u.String(), body)
	if err != nil {
		return nil, r.errorf(err)
	}
	req.Header.Set("Accept", "application/json")
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}

	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.logRequest(r, 0, time.Since(start), err)
		return nil, r.errorf(c.networkCause(ctx, err))
	}
	defer resp.Body.Close()
	c.clock.observe(resp.Header, c.now())
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	c.logRequest(r, resp.StatusCode, time.Since(start), err)
	if err != nil {
		// The status line came, the body did not: as lost as no response.
		return nil, r.errorf(fmt.Errorf("reading HTTP %d response: %w", resp.StatusCode, c.networkCause(ctx, err)))
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// networkCause names why no response came. When the caller's own context
// ended, that is the cause (and a cancellation is not transient); otherwise
// it is the transport's error, with the per-request timeout said plainly.
func (c *Client) networkCause(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no response within %s: %w", c.timeout, err)
	}
	return err
}

// logRequest writes the debug line of one exchange: never headers, never
// bodies (the /token ones carry the password and the tokens).
func (c *Client) logRequest(r *request, status int, d time.Duration, err error) {
	if ce := c.log.Check(zap.DebugLevel, "vb365 request"); ce != nil {
		fields := []zap.Field{
			zap.String("op", r.op),
			zap.String("method", r.method),
			zap.String("path", r.path),
			zap.Int("status", status),
			zap.Duration("duration", d),
		}
		if err != nil {
			fields = append(fields, zap.String("error", c.redact(err.Error())))
		}
		ce.Write(fields...)
	}
}

// statusError turns a non-2xx response into a *Error with VB365's message,
// error code and Retry-After.
func (c *Client) statusError(r *request, resp *response) *Error {
	e := &Error{Op: r.op, Method: r.method, Path: r.path, StatusCode: resp.status}
	e.fillFromBody(resp.body, c.redact)
	if v := resp.header.Get("Retry-After"); v != "" {
		e.RetryAfter = parseRetryAfter(v, c.now())
	}
	return e
}

// call sends an authenticated request and returns its 2xx response. On a 401
// it renews the token once (refresh, else a new login) and sends the request
// once more; a second 401 is an authentication failure.
func (c *Client) call(ctx context.Context, r *request) (*response, error) {
	bearer, err := c.accessToken(ctx)
	if err != nil {
		return nil, within(r.op, err)
	}
	resp, err := c.send(ctx, r, bearer)
	if err != nil {
		return nil, err
	}
	if resp.status == http.StatusUnauthorized {
		c.log.Debug("VB365 refused the token; renewing it once", zap.String("op", r.op))
		bearer, err = c.renewAfter401(ctx, bearer)
		if err != nil {
			return nil, within(r.op, err)
		}
		resp, err = c.send(ctx, r, bearer)
		if err != nil {
			return nil, err
		}
		if resp.status == http.StatusUnauthorized {
			e := c.statusError(r, resp)
			e.authFailure = true
			return nil, e
		}
	}
	if !resp.ok() {
		return nil, c.statusError(r, resp)
	}
	return resp, nil
}

// within prefixes the Op of a *Error from a step (detection, login) with the
// operation it served, so the error reads "start restore session: log in:
// POST /v8/token: HTTP 503".
func within(op string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		cp := *e
		cp.Op = op + ": " + e.Op
		return &cp
	}
	return &Error{Op: op, Err: err}
}

// redact removes the password and any token this client holds from s. Errors
// and log lines are built from server text, which could echo them back.
func (c *Client) redact(s string) string {
	if s == "" {
		return s
	}
	secrets := []string{c.cfg.Password}
	c.tokenMu.Lock()
	if c.tok != nil {
		secrets = append(secrets, c.tok.access, c.tok.refresh)
	}
	c.tokenMu.Unlock()
	for _, sec := range secrets {
		if len(sec) < 3 {
			continue
		}
		// Also the forms a server echoing a form body or a URL would use.
		for _, form := range []string{sec, url.QueryEscape(sec), url.PathEscape(sec)} {
			s = strings.ReplaceAll(s, form, "[REDACTED]")
		}
	}
	return s
}

// acquire takes a one-slot semaphore, giving up when ctx ends.
func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func release(sem chan struct{}) { <-sem }

// pathSegment escapes one path segment and refuses an empty one, which would
// silently address the collection instead of an item.
func pathSegment(op, what, v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", &Error{Op: op, Err: fmt.Errorf("%w: empty %s", ErrInvalidArgument, what)}
	}
	return url.PathEscape(v), nil
}
