package vb365sim

import (
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // timeZone names must resolve on hosts without a zone database

	"github.com/google/uuid"
)

// DefaultIdleTimeout is how long a restore session nobody touches stays open
// before the server stops it. Veeam documents that abandoned sessions are
// stopped automatically without giving a figure: this one is an assumption.
const DefaultIdleTimeout = 30 * time.Minute

// Behaviour holds the simulator's real-world switches. Every field is
// optional: SetBehaviour, PUT /_sim/behaviour and scenario files change only
// the fields they set, so in Go write e.g.
// Behaviour{StopIgnored: new(2), StopDelay: new(Duration(20 * time.Second))}.
//
// ClockSkew and TimeZone are server-wide; the others may also be set per
// organization (SetOrganizationBehaviour, a scenario organization's fields),
// which then wins over the server-wide value for that organization's
// sessions.
type Behaviour struct {
	// ClockSkew shifts the server's clock from the caller's: every time the
	// server writes or compares is off by it (e.g. -3m: VB365 runs 3 minutes
	// behind).
	ClockSkew *Duration `json:"clockSkew,omitempty"`
	// TimeZone (an IANA name) is the server's local zone: organization backup
	// times are then written without a zone, in that zone's local time, and
	// event times with that zone's offset ("+01:00"). Empty: UTC with "Z".
	TimeZone *string `json:"timeZone,omitempty"`
	// StopDelay keeps a session Working that long after a stop was answered
	// 2xx; it stops then.
	StopDelay *Duration `json:"stopDelay,omitempty"`
	// StopIgnored makes the next N stops answer 2xx and do nothing.
	StopIgnored *int `json:"stopIgnored,omitempty"`
	// IdleTimeout stops a session no request has named (by its id in the
	// path) for that long; 0 turns it off. Default DefaultIdleTimeout.
	IdleTimeout *Duration `json:"idleTimeout,omitempty"`
	// MaxOpenSessions refuses explore while that many sessions are Working
	// (per organization when set for one); 0 means no limit.
	MaxOpenSessions *int `json:"maxOpenSessions,omitempty"`
	// ProxyOffline makes the backup proxy unreachable: organization reads
	// leave out the backup window even with extendedView=true, and explore
	// fails with errorCode ProxyOffline.
	ProxyOffline *bool `json:"proxyOffline,omitempty"`
	// ChangeFeedOff turns the v8 change feed (GET /v8/Events) off: it
	// answers 404 as a server without it would. Turning it back on starts
	// a new log, so that tokens from before are refused (the changes in
	// between are lost to readers). Server-wide.
	ChangeFeedOff *bool `json:"changeFeedOff,omitempty"`
}

// BehaviourSettings is every switch as it stands: the server-wide values,
// all set, and the organizations' own (by organization id), as GET
// /_sim/behaviour shows them. PUT /_sim/behaviour takes the same shape,
// with any subset of the fields.
type BehaviourSettings struct {
	Behaviour
	Organizations map[string]Behaviour `json:"organizations,omitempty"`
}

// behaviour is the switches' state, under Simulator.mu except skew.
type behaviour struct {
	zone            *time.Location // nil: UTC with "Z"
	zoneName        string
	stopDelay       time.Duration
	stopIgnored     int
	idleTimeout     time.Duration
	maxOpenSessions int
	proxyOffline    bool
	changeFeedOff   bool
}

// ValidateBehaviour checks server-wide switches as SetBehaviour does, for
// callers that read them before a Simulator exists (command line flags).
func ValidateBehaviour(b Behaviour) error { return b.validate(false) }

// validate checks values; forOrg rejects the server-wide fields.
func (b Behaviour) validate(forOrg bool) error {
	neg := func(name string, d *Duration) error {
		if d != nil && *d < 0 {
			return fmt.Errorf("behaviour: %s %s is negative", name, d.D())
		}
		return nil
	}
	for _, c := range []struct {
		name string
		d    *Duration
	}{{"stopDelay", b.StopDelay}, {"idleTimeout", b.IdleTimeout}} {
		if err := neg(c.name, c.d); err != nil {
			return err
		}
	}
	if b.StopIgnored != nil && *b.StopIgnored < 0 {
		return fmt.Errorf("behaviour: stopIgnored %d is negative", *b.StopIgnored)
	}
	if b.MaxOpenSessions != nil && *b.MaxOpenSessions < 0 {
		return fmt.Errorf("behaviour: maxOpenSessions %d is negative", *b.MaxOpenSessions)
	}
	if forOrg && (b.ClockSkew != nil || b.TimeZone != nil || b.ChangeFeedOff != nil) {
		return fmt.Errorf("behaviour: clockSkew, timeZone and changeFeedOff are server-wide, not per organization")
	}
	if b.TimeZone != nil && *b.TimeZone != "" {
		if _, err := time.LoadLocation(*b.TimeZone); err != nil {
			return fmt.Errorf("behaviour: timeZone %q is not an IANA time zone name", *b.TimeZone)
		}
	}
	return nil
}

// merge applies the fields b sets to the server-wide state; called with
// s.mu held, after validate.
func (s *Simulator) mergeBehaviour(b Behaviour) {
	if b.ClockSkew != nil {
		s.skew.Store(int64(b.ClockSkew.D()))
	}
	if b.TimeZone != nil {
		s.beh.zoneName, s.beh.zone = *b.TimeZone, nil
		if *b.TimeZone != "" {
			s.beh.zone, _ = time.LoadLocation(*b.TimeZone)
		}
	}
	if b.StopDelay != nil {
		s.beh.stopDelay = b.StopDelay.D()
	}
	if b.StopIgnored != nil {
		s.beh.stopIgnored = *b.StopIgnored
	}
	if b.IdleTimeout != nil {
		s.beh.idleTimeout = b.IdleTimeout.D()
	}
	if b.MaxOpenSessions != nil {
		s.beh.maxOpenSessions = *b.MaxOpenSessions
	}
	if b.ProxyOffline != nil {
		s.beh.proxyOffline = *b.ProxyOffline
	}
	if b.ChangeFeedOff != nil {
		if s.beh.changeFeedOff != *b.ChangeFeedOff {
			old := s.changes.notify
			if *b.ChangeFeedOff {
				s.changes.notify = make(chan struct{})
			} else {
				s.changes = newChangeLog()
			}
			close(old) // waiting long polls answer now (404, or an outdated token)
		}
		s.beh.changeFeedOff = *b.ChangeFeedOff
	}
}

// mergeOrgBehaviour applies the fields b sets to an organization's own.
func mergeOrgBehaviour(o *organization, b Behaviour) {
	b = b.clone()
	if b.StopDelay != nil {
		o.beh.StopDelay = b.StopDelay
	}
	if b.IdleTimeout != nil {
		o.beh.IdleTimeout = b.IdleTimeout
	}
	if b.StopIgnored != nil {
		o.beh.StopIgnored = b.StopIgnored
	}
	if b.MaxOpenSessions != nil {
		o.beh.MaxOpenSessions = b.MaxOpenSessions
	}
	if b.ProxyOffline != nil {
		o.beh.ProxyOffline = b.ProxyOffline
	}
}

// SetBehaviour changes the server-wide switches b sets and leaves the others.
func (s *Simulator) SetBehaviour(b Behaviour) error {
	if err := b.validate(false); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mergeBehaviour(b)
	return nil
}

// SetOrganizationBehaviour changes an organization's own switches (all but
// ClockSkew and TimeZone), which win over the server-wide ones for it.
func (s *Simulator) SetOrganizationBehaviour(organizationID string, b Behaviour) error {
	if err := b.validate(true); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.orgByIDString(organizationID)
	if err != nil {
		return err
	}
	mergeOrgBehaviour(o, b)
	return nil
}

// SetSettings applies BehaviourSettings (PUT /_sim/behaviour): the
// server-wide fields it sets and each organization's. Nothing changes when
// any part is invalid.
func (s *Simulator) SetSettings(in BehaviourSettings) error {
	if err := in.validate(false); err != nil {
		return err
	}
	for id, b := range in.Organizations {
		if err := b.validate(true); err != nil {
			return fmt.Errorf("organizations[%s]: %w", id, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	orgs := map[*organization]Behaviour{}
	for id, b := range in.Organizations {
		o, err := s.orgByIDString(id)
		if err != nil {
			return err
		}
		orgs[o] = b
	}
	s.mergeBehaviour(in.Behaviour)
	for o, b := range orgs {
		mergeOrgBehaviour(o, b)
	}
	return nil
}

// ErrOrganizationNotFound is returned for an unknown organization id.
var ErrOrganizationNotFound = errors.New("vb365sim: organization not found")

func (s *Simulator) orgByIDString(id string) (*organization, error) {
	u, err := uuid.Parse(strings.TrimSpace(id))
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a UUID", ErrOrganizationNotFound, id)
	}
	o, ok := s.orgByID[u.String()]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrOrganizationNotFound, u)
	}
	return o, nil
}

// Settings returns every switch as it stands.
func (s *Simulator) Settings() BehaviourSettings {
	s.mu.Lock()
	defer s.mu.Unlock()
	skew := Duration(s.skew.Load())
	zone := s.beh.zoneName
	out := BehaviourSettings{Behaviour: Behaviour{
		ClockSkew:       &skew,
		TimeZone:        &zone,
		StopDelay:       new(Duration(s.beh.stopDelay)),
		StopIgnored:     new(s.beh.stopIgnored),
		IdleTimeout:     new(Duration(s.beh.idleTimeout)),
		MaxOpenSessions: new(s.beh.maxOpenSessions),
		ProxyOffline:    new(s.beh.proxyOffline),
		ChangeFeedOff:   new(s.beh.changeFeedOff),
	}}
	for _, o := range s.orgs {
		if o.beh != (Behaviour{}) {
			if out.Organizations == nil {
				out.Organizations = map[string]Behaviour{}
			}
			out.Organizations[o.id] = o.beh.clone()
		}
	}
	return out
}

// Effective switches for an organization's sessions; with s.mu held.

func (s *Simulator) stopDelayFor(o *organization) time.Duration {
	if o.beh.StopDelay != nil {
		return o.beh.StopDelay.D()
	}
	return s.beh.stopDelay
}

func (s *Simulator) idleTimeoutFor(o *organization) time.Duration {
	if o.beh.IdleTimeout != nil {
		return o.beh.IdleTimeout.D()
	}
	return s.beh.idleTimeout
}

func (s *Simulator) proxyOfflineFor(o *organization) bool {
	if o.beh.ProxyOffline != nil {
		return *o.beh.ProxyOffline
	}
	return s.beh.proxyOffline
}

// takeIgnoredStop consumes one ignored stop (the organization's own count
// when it has one, else the server's) and says whether this stop is ignored.
func (s *Simulator) takeIgnoredStop(o *organization) bool {
	if o.beh.StopIgnored != nil {
		if *o.beh.StopIgnored > 0 {
			*o.beh.StopIgnored--
			return true
		}
		return false
	}
	if s.beh.stopIgnored > 0 {
		s.beh.stopIgnored--
		return true
	}
	return false
}

// openSessionLimitReached says whether explore must be refused for o: the
// organization's own limit counts its Working sessions, the server's all.
func (s *Simulator) openSessionLimitReached(o *organization, now time.Time) bool {
	limit, own := s.beh.maxOpenSessions, false
	if o.beh.MaxOpenSessions != nil {
		limit, own = *o.beh.MaxOpenSessions, true
	}
	if limit <= 0 {
		return false
	}
	open := 0
	for _, sess := range s.order {
		s.advance(sess, now)
		if !sess.stopped && (!own || sess.org == o) {
			open++
		}
	}
	return open >= limit
}

// clone copies b and the values it points to, so that a change to the copy
// never reaches b.
func (b Behaviour) clone() Behaviour {
	c := b
	c.ClockSkew = cloned(b.ClockSkew)
	c.TimeZone = cloned(b.TimeZone)
	c.StopDelay = cloned(b.StopDelay)
	c.StopIgnored = cloned(b.StopIgnored)
	c.IdleTimeout = cloned(b.IdleTimeout)
	c.MaxOpenSessions = cloned(b.MaxOpenSessions)
	c.ProxyOffline = cloned(b.ProxyOffline)
	c.ChangeFeedOff = cloned(b.ChangeFeedOff)
	return c
}

// cloned is a pointer to a copy of *p, or nil for nil: an unset field stays
// unset.
func cloned[T any](p *T) *T {
	if p == nil {
		return nil
	}
	return new(*p)
}
