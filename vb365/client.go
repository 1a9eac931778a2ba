package vb365

import (
	"context"
	"errors"
	"net/http"
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
}

// Client talks to one VB365 server. It is safe for concurrent use: all callers
// share one token, refreshed before it expires.
type Client struct {
	cfg Config
}

var errNotImplemented = errors.New("vb365: not implemented yet")

// New checks cfg and returns a client. It does not contact the server.
func New(cfg Config) (*Client, error) { return &Client{cfg: cfg}, errNotImplemented }

// Version returns the API version in use, detecting it on first use when the
// configuration says auto.
func (c *Client) Version(ctx context.Context) (Version, error) { return "", errNotImplemented }

// GetOrganization reads one organization with its backup window (extendedView=true).
func (c *Client) GetOrganization(ctx context.Context, id string) (*Organization, error) {
	return nil, errNotImplemented
}

// ListOrganizations lists every organization (bare array or page, all pages).
func (c *Client) ListOrganizations(ctx context.Context) ([]Organization, error) {
	return nil, errNotImplemented
}

// StartRestoreSession opens a restore session for an organization.
func (c *Client) StartRestoreSession(ctx context.Context, organizationID string, req ExploreRequest) (*RestoreSession, error) {
	return nil, errNotImplemented
}

// GetRestoreSession reads one restore session.
func (c *Client) GetRestoreSession(ctx context.Context, id string) (*RestoreSession, error) {
	return nil, errNotImplemented
}

// ListRestoreSessions reads one page of restore sessions.
func (c *Client) ListRestoreSessions(ctx context.Context, opts ListRestoreSessionsOptions) (*Page[RestoreSession], error) {
	return nil, errNotImplemented
}

// ListRestoreSessionEvents reads one page of a session's events.
func (c *Client) ListRestoreSessionEvents(ctx context.Context, sessionID string, opts ListOptions) (*Page[RestoreSessionEvent], error) {
	return nil, errNotImplemented
}

// GetRestoreSessionEvent reads one event of a session.
func (c *Client) GetRestoreSessionEvent(ctx context.Context, sessionID, eventID string) (*RestoreSessionEvent, error) {
	return nil, errNotImplemented
}

// StopRestoreSession stops a session. Stopping a stopped session is not an error.
func (c *Client) StopRestoreSession(ctx context.Context, id string) error { return errNotImplemented }
