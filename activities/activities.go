// Package activities holds the Temporal activities of the restore workflow.
// They are thin on purpose: each one is a few VB365 calls plus the mapping of
// VB365 errors to Temporal errors, so that every decision (what to create,
// when to stop, what to record) stays in the workflow and its history.
package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// Activity names, as registered by workflows.Register. They equal the method
// names, so a workflow may also call them through a nil *Activities.
const (
	GetOrganizationName       = "GetOrganization"
	CheckSearchAttributesName = "CheckSearchAttributes"
	CreateRestoreSessionName  = "CreateRestoreSession"
	WaitForSessionEventsName  = "WaitForSessionEvents"
	FetchSessionEventsName    = "FetchSessionEvents"
	StopRestoreSessionName    = "StopRestoreSession"
	ReleaseLostSessionName    = "ReleaseLostSession"
)

// VB365API is the part of the VB365 client the activities use. *vb365.Client
// satisfies it; tests substitute an in-memory fake.
type VB365API interface {
	GetOrganization(ctx context.Context, id string) (*vb365.Organization, error)
	StartRestoreSession(ctx context.Context, organizationID string, req vb365.ExploreRequest) (*vb365.RestoreSession, error)
	GetRestoreSession(ctx context.Context, id string) (*vb365.RestoreSession, error)
	ListRestoreSessions(ctx context.Context, opts vb365.ListRestoreSessionsOptions) (*vb365.Page[vb365.RestoreSession], error)
	ListRestoreSessionEvents(ctx context.Context, sessionID string, opts vb365.ListOptions) (*vb365.Page[vb365.RestoreSessionEvent], error)
	StopRestoreSession(ctx context.Context, id string) error
	// ServerNow is the time on VB365's clock now; false when unknown.
	ServerNow(ctx context.Context) (time.Time, bool)
}

var _ VB365API = (*vb365.Client)(nil)

// Config configures the activities.
type Config struct {
	// Client talks to VB365. Required.
	Client VB365API
	// SearchAttributesRegistered says whether the VB365* search attributes
	// exist in the namespace; the workflow upserts them only when true.
	SearchAttributesRegistered bool
	// RestoreCredentials are the Microsoft 365 credential profiles restore
	// actions name (VB365_RESTORE_CREDENTIALS_FILE); nil: none.
	RestoreCredentials CredentialProfiles
	// Claims decide which workflow owns a session found by adoption. The
	// worker's are TemporalClaims, which hold across replicas and restarts;
	// nil keeps them in this process only (tests, a single worker).
	Claims Claims
	// Username is the VB365 account the client logs in with: a session
	// whose initiatedBy names another account is never adopted or stopped
	// by a lookup. Empty: not checked.
	Username string
	// ServerTimeZone is the zone VB365 writes zone-less times in (also the
	// restore point in a session's name); nil means UTC.
	ServerTimeZone *time.Location
	// Metrics, when set, counts open sessions and recorded events.
	Metrics *vb365.Metrics
	// IdleRequestsPerMinute caps what an idle session costs VB365 in the
	// steady state (0: DefaultIdleRequestsPerMinute) when VB365's change
	// feed is not available.
	IdleRequestsPerMinute float64
	// SafetyPollInterval is the idle ceiling while VB365's change feed (v8)
	// works and wakes the sessions that change (0:
	// DefaultSafetyPollInterval); never below the one of
	// IdleRequestsPerMinute.
	SafetyPollInterval time.Duration
	// Logger receives the change feed's failures and recoveries (nil: none).
	Logger *zap.Logger
}

// Activities are the restore workflow's activities. Register them with
// workflows.Register.
type Activities struct {
	cfg Config
	// claims are cfg.Claims, or this process's own.
	claims Claims
	// waits are the wait activities running here, so a stop ends them.
	waits waiters
	// feed reads VB365's change feed for the waits; nil when the client
	// cannot (then they poll as without it).
	feed *feedReader
	tuning
}

// tuning are the activities' own bounds and their heartbeat hook, as New
// sets them for production. A test of this package changes them on its own
// Activities, to reach a bound in milliseconds or to see every heartbeat.
type tuning struct {
	// heartbeat is activity.RecordHeartbeat, which sends at most one
	// heartbeat per 0.8 of the heartbeat timeout and keeps the rest.
	heartbeat func(ctx context.Context, details ...any)
	// activityClient is activity.GetClient: the worker's client, through
	// which a create sends its pre-POST progress straight to the server
	// (durableHeartbeat).
	activityClient func(ctx context.Context) client.Client
	// postHeartbeatEvery is how often a create attempt heartbeats: a POST
	// slower than the heartbeat timeout must not make Temporal start a
	// second attempt (and a second POST) beside it, nor must a request
	// waiting for the VB365 budget.
	postHeartbeatEvery time.Duration
	// queueHeartbeatEvery is the heartbeat interval of queueHeartbeats for
	// an activity with no reason for another; 0: heartbeatEvery of the
	// attempt's heartbeat timeout.
	queueHeartbeatEvery time.Duration
	// createSettle bounds how long a create whose outcome is unknown looks
	// for the session VB365 may still be creating; createSettlePoll is how
	// often.
	createSettle, createSettlePoll time.Duration
	// maxListPages bounds the paging through restore sessions in one
	// lookup; listPageSize is the page size asked for (VB365 allows up to
	// 10,000).
	maxListPages, listPageSize int
	// now and sleep are the clock of WaitForSessionEvents: time.Now and
	// sleep, replaced by tests with a clock they move themselves.
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

// New returns the activities over cfg.Client.
func New(cfg Config) *Activities {
	a := &Activities{cfg: cfg, claims: cfg.Claims, tuning: tuning{
		heartbeat:          activity.RecordHeartbeat,
		activityClient:     func(ctx context.Context) client.Client { return activity.GetClient(ctx) },
		postHeartbeatEvery: 10 * time.Second,
		createSettle:       30 * time.Second,
		createSettlePoll:   time.Second,
		maxListPages:       50,
		listPageSize:       1000,
		now:                time.Now,
		sleep:              sleep,
	}}
	if a.claims == nil {
		a.claims = newMemoryClaims()
	}
	if api, ok := cfg.Client.(changeFeedAPI); ok {
		a.feed = newFeedReader(api, cfg.Metrics, cfg.Logger)
	}
	return a
}

func (a *Activities) client() (VB365API, error) {
	if a == nil || a.cfg.Client == nil {
		return nil, errors.New("activities: no VB365 client configured")
	}
	return a.cfg.Client, nil
}

// CheckSearchAttributes runs as a local activity: it reports whether the
// search attributes are registered, so that the workflow's choice to upsert
// them is recorded in its history (and replays the same way even if the
// worker's configuration changes), and an unregistered attribute never fails
// a workflow task.
func (a *Activities) CheckSearchAttributes(ctx context.Context) (bool, error) {
	return a.cfg.SearchAttributesRegistered, nil
}

// GetOrganization reads the organization with its backup window. It
// heartbeats while it waits for the VB365 budget (queueHeartbeats).
func (a *Activities) GetOrganization(ctx context.Context, organizationID string) (*vb365.Organization, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	ctx, stopHB := a.queueHeartbeats(ctx, a.queueEvery(ctx), queueDetails)
	defer stopHB()
	org, err := c.GetOrganization(ctx, organizationID)
	if err != nil {
		if vb365.StatusCode(err) == 404 && !vb365.IsBackupWindowUnavailable(err) {
			return nil, nonRetryable(ErrTypeOrganizationNotFound,
				fmt.Sprintf("organizationId %q: no such organization in VB365", organizationID), err)
		}
		return nil, mapError(fmt.Sprintf("get organization %q", organizationID), err)
	}
	return org, nil
}

// StopRestoreSessionInput names the session to stop.
type StopRestoreSessionInput struct {
	SessionID string `json:"sessionId"`
}

// StopRestoreSession stops the session (idempotent: stopping a stopped
// session is not an error) and returns it as VB365 reports it afterwards.
// A session VB365 no longer knows (404) counts as stopped: there is nothing
// left to hold resources; Missing says so. A stop VB365 accepted while the
// session is still not Stopped fails the attempt with the retryable
// ErrTypeSessionNotStopped, so the retry policy stops it again with backoff.
// It heartbeats while it waits for the VB365 budget (queueHeartbeats).
func (a *Activities) StopRestoreSession(ctx context.Context, in StopRestoreSessionInput) (*StopRestoreSessionResult, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	a.waits.stop(in.SessionID) // the workflow abandoned them: stop polling now
	ctx, stopHB := a.queueHeartbeats(ctx, a.queueEvery(ctx), queueDetails)
	defer stopHB()
	if err := c.StopRestoreSession(ctx, in.SessionID); err != nil {
		if vb365.StatusCode(err) == 404 {
			activity.GetLogger(ctx).Warn("restore session not found when stopping it; treating it as stopped", "sessionId", in.SessionID)
			return &StopRestoreSessionResult{Missing: true}, nil
		}
		return nil, mapError(fmt.Sprintf("stop restore session %q", in.SessionID), err)
	}
	s, err := c.GetRestoreSession(ctx, in.SessionID)
	if err != nil {
		if vb365.StatusCode(err) == 404 {
			return &StopRestoreSessionResult{Missing: true}, nil
		}
		return nil, mapError(fmt.Sprintf("read restore session %q after stopping it", in.SessionID), err)
	}
	return &StopRestoreSessionResult{Session: s}, nil
}

// StopRestoreSessionResult is the session after the stop.
type StopRestoreSessionResult struct {
	Session *vb365.RestoreSession `json:"session,omitempty"`
	// Missing is true when VB365 no longer knows the session.
	Missing bool `json:"missing,omitempty"`
}
