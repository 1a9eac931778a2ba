// Package vb365sim is an in-process simulator of a Veeam Backup for Microsoft
// 365 (VB365) REST API server, versions v5 to v8, for tests, the dev stack and
// dry runs.
//
// It is an independent model of the server: it has its own wire structs and
// does not import the client package. Its v6, v7 and v8 responses validate
// against Veeam's published OpenAPI documents; its v5 responses follow the
// v5 "Create Restore Session" reference example (POST /v5/Organizations/{id}/action).
//
// State lives in memory behind one mutex. Restore session events are
// materialized lazily from each session's creation time and Options.Now, so
// there is no goroutine per session and a fake clock makes tests
// deterministic.
//
// Besides the API, Handler serves control endpoints without authentication
// under /_sim/ (sessions, events, stop, behaviour, faults, stats); see
// docs/simulator.md, whose table gives the source of every behaviour.
package vb365sim

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Fixed organization IDs of the built-in data.
const (
	// SeedOrganizationID is the organization of Veeam's v5 "Create Restore Session" example
	// (abc.onmicrosoft.com), last backed up at 2020-10-30T10:29:05Z.
	SeedOrganizationID = "3c424478-0811-4920-8aab-01f0bf2a2822"
	// RecentOrganizationID (recent.onmicrosoft.com) has a backup window that
	// ends shortly (15 minutes) before the simulator started.
	RecentOrganizationID = "5f0c6b8e-2a6d-4c1e-9a57-6a3f1d2b7c41"
	// NeverBackedUpOrganizationID (new.onmicrosoft.com) has no backups:
	// explore answers 500 "Restore session cannot be created.".
	NeverBackedUpOrganizationID = "9d1e7a20-4b3c-4f5e-8a6b-0c2d3e4f5a6b"
)

// AllVersions lists the API versions the simulator can serve.
var AllVersions = []string{"v5", "v6", "v7", "v8"}

// ErrSessionNotFound is returned by StopSession and AppendEvent for an unknown
// restore session.
var ErrSessionNotFound = errors.New("vb365sim: restore session not found")

// Options configure a Simulator. Zero values take the defaults.
type Options struct {
	// Username and Password accepted by the password grant (default admin/admin).
	Username string
	Password string
	// Users are more accounts (name to password) beside Username, e.g. an
	// operator in the console or another tool. Each account sees in
	// GET /RestoreSessions only the sessions it created.
	Users map[string]string
	// Behaviour sets real-world switches from the start (see Behaviour);
	// the scenario's come first, these win.
	Behaviour Behaviour
	// TokenTTL is the access token lifetime (default 60m).
	TokenTTL time.Duration
	// RefreshTokenTTL is the refresh token lifetime (default 24h).
	RefreshTokenTTL time.Duration
	// Versions served, e.g. {"v6","v8"} (default all of v5..v8). Other
	// versions answer 404, also to the unauthenticated ServiceInstance probe.
	Versions []string
	// Now is the caller's clock (default time.Now); the server's is it plus
	// Behaviour.ClockSkew.
	Now func() time.Time
	// Scenario replaces the built-in data (default BuiltinScenario()).
	Scenario *Scenario
	// Logger (default no-op).
	Logger *zap.Logger
	// LinkScheme of the absolute links of v5 responses (default "https").
	LinkScheme string
	// OnToken, when set, is called with every access and refresh token the
	// simulator issues, so tests can look for them where they must not be
	// (histories, logs, metrics). It runs under the simulator's lock: it must
	// not call back into the simulator.
	OnToken func(access, refresh string)
	// Sleep, when set, replaces the simulator's waits (scenario latencies,
	// fault delays): it is called with the delay d and a context that ends
	// with the request or on Close, and returns false if it was cut short
	// (the request is then not served). Tests use it to see the delays
	// requested without waiting for them. Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) bool
}

// Simulator is a simulated VB365 server. Safe for concurrent use.
type Simulator struct {
	opts     Options
	log      *zap.Logger
	versions map[string]bool
	latency  []Latency
	closed   chan struct{}
	close    sync.Once

	skew atomic.Int64 // Behaviour.ClockSkew, read without mu

	mu       sync.Mutex
	accounts map[string]string
	beh      behaviour
	orgs     []*organization
	orgByID  map[string]*organization
	sessions map[string]*session
	order    []*session
	access   map[string]tokenGrant
	refresh  map[string]tokenGrant
	faults   []*Fault
	stats    statsCounters
	script   []ScriptedEvent
	stopAft  time.Duration
	restores restoreState
	changes  changeLog
}

// New builds a Simulator. It panics if opts.Scenario or opts.Behaviour is
// invalid; use LoadScenario or (*Scenario).Validate to check a scenario
// first.
func New(opts Options) *Simulator {
	if opts.Username == "" && opts.Password == "" {
		opts.Username, opts.Password = "admin", "admin"
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 60 * time.Minute
	}
	if opts.RefreshTokenTTL <= 0 {
		opts.RefreshTokenTTL = 24 * time.Hour
	}
	if len(opts.Versions) == 0 {
		opts.Versions = AllVersions
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.LinkScheme == "" {
		opts.LinkScheme = "https"
	}
	if opts.Scenario == nil {
		opts.Scenario = BuiltinScenario()
	}
	if err := opts.Scenario.Validate(); err != nil {
		panic(err)
	}
	if err := opts.Behaviour.validate(false); err != nil {
		panic(err)
	}
	s := &Simulator{
		opts:     opts,
		log:      opts.Logger,
		versions: map[string]bool{},
		closed:   make(chan struct{}),
		sessions: map[string]*session{},
		access:   map[string]tokenGrant{},
		refresh:  map[string]tokenGrant{},
		accounts: map[string]string{opts.Username: opts.Password},
		beh:      behaviour{idleTimeout: DefaultIdleTimeout},
		changes:  newChangeLog(),
	}
	for name, pw := range opts.Users {
		s.accounts[name] = pw
	}
	for _, v := range opts.Versions {
		s.versions[strings.ToLower(strings.TrimSpace(v))] = true
	}
	s.loadScenario(opts.Scenario, s.now())
	s.mergeBehaviour(opts.Behaviour)
	return s
}

// now is the server's clock: the caller's plus the clock skew.
func (s *Simulator) now() time.Time {
	return s.opts.Now().UTC().Add(time.Duration(s.skew.Load()))
}

// Handler serves the VB365 API (/v5../v8) and the control endpoints (/_sim/).
func (s *Simulator) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Close cancels pending fault delays and latencies. The handler keeps
// answering afterwards, without delays.
func (s *Simulator) Close() {
	s.close.Do(func() { close(s.closed) })
}

// sleep waits d or until Close or the request ends; false if it was cut short.
func (s *Simulator) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	if s.opts.Sleep != nil {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		go func() {
			select {
			case <-s.closed:
				cancel()
			case <-ctx.Done():
			}
		}()
		return s.opts.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.closed:
		return false
	case <-r.Context().Done():
		return false
	}
}
