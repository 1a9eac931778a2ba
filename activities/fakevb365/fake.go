// Package fakevb365 is an in-memory VB365 for tests of the activities and the
// workflow: it implements activities.VB365API without HTTP, for speed, and
// behaves as the simulator (vb365/vb365sim) does where it matters to them:
// every session opens with a None event "Restore session started" of order 0
// and closes with "Restore session stopped"; running events end (Cancelled at
// the stop); a stopped session's result is the worst of its events; stopping a
// stopped session succeeds; explore of a never-backed-up organization answers
// 500; pages are 30 by default and at most 10,000. conformance_test.go runs
// the same cases against both and fails where they differ. A lost response is
// faithful: the session is created, then the caller gets a transport error.
package fakevb365

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// Client is the fake. The zero value is not usable; call New.
type Client struct {
	mu       sync.Mutex
	now      func() time.Time
	orgs     map[string]vb365.Organization
	sessions []*vb365.RestoreSession
	events   map[string][]vb365.RestoreSessionEvent

	// Faults, each consumed by the calls it hits.
	loseStartResponses int   // POSTs that create the session, then fail like a dropped connection
	failStarts         []int // statuses of POSTs that fail without creating anything
	failPolls          int   // GetRestoreSession calls that fail with 503
	ignoreStops        int   // stops accepted and not carried out
	// PageSize is the page size when the caller asks for none (default 30,
	// as VB365's); MaxPageSize the largest page served (default 10,000).
	PageSize, MaxPageSize int

	posts int
	// Account is the account the caller logs in with: the sessions its
	// POSTs create are initiated by FAKE\Account (default "operator").
	Account string
}

// New returns an empty fake whose clock is time.Now.
func New() *Client {
	return &Client{now: time.Now, orgs: map[string]vb365.Organization{}, events: map[string][]vb365.RestoreSessionEvent{}, PageSize: 30, MaxPageSize: 10000, Account: "operator"}
}

// SetClock replaces the server's clock (creation times, event times).
func (c *Client) SetClock(now func() time.Time) { c.mu.Lock(); c.now = now; c.mu.Unlock() }

// ServerNow is the fake server's clock, known from the start.
func (c *Client) ServerNow(context.Context) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now().UTC(), true
}

// AddOrganization adds or replaces an organization.
func (c *Client) AddOrganization(o vb365.Organization) { c.mu.Lock(); c.orgs[o.ID] = o; c.mu.Unlock() }

// LoseStartResponses makes the next n POSTs create their session and then
// answer with a transport error (the lost response).
func (c *Client) LoseStartResponses(n int) { c.mu.Lock(); c.loseStartResponses = n; c.mu.Unlock() }

// FailStarts makes the next POSTs answer these statuses without creating.
func (c *Client) FailStarts(statuses ...int) { c.mu.Lock(); c.failStarts = statuses; c.mu.Unlock() }

// FailPolls makes the next n GetRestoreSession calls answer 503.
func (c *Client) FailPolls(n int) { c.mu.Lock(); c.failPolls = n; c.mu.Unlock() }

// IgnoreStops makes the next n stops be accepted and do nothing; each
// returns what the real client returns then (vb365.ErrStopNotConfirmed).
func (c *Client) IgnoreStops(n int) { c.mu.Lock(); c.ignoreStops = n; c.mu.Unlock() }

// Posts counts the explore POSTs received (including failed ones).
func (c *Client) Posts() int { c.mu.Lock(); defer c.mu.Unlock(); return c.posts }

// Sessions returns every session ever created, oldest first.
func (c *Client) Sessions() []vb365.RestoreSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]vb365.RestoreSession, len(c.sessions))
	for i, s := range c.sessions {
		out[i] = *s
	}
	return out
}

// AddSession creates a session as another client of the same account
// would (not counted as a POST), at the organization's latest restore point.
func (c *Client) AddSession(orgID string, typ vb365.SessionType, created time.Time) vb365.RestoreSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	return *c.create(orgID, typ, created, time.Time{}, c.Account)
}

// AddSessionAs creates a session as account would, for the point in time at
// (zero: the latest restore point).
func (c *Client) AddSessionAs(account, orgID string, typ vb365.SessionType, created, at time.Time) vb365.RestoreSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	return *c.create(orgID, typ, created, at, account)
}

// AppendEvent appends an event to a session, as an operator's action would.
// A "Running" event runs until SetEventStatus ends it or the session stops.
func (c *Client) AppendEvent(sessionID, status, message string) vb365.RestoreSessionEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.appendEvent(sessionID, "View", status, message)
}

func (c *Client) appendEvent(sessionID, typ, status, message string) vb365.RestoreSessionEvent {
	evs := c.events[sessionID]
	e := vb365.RestoreSessionEvent{ID: uuid.NewString(), Order: int32(len(evs)), Type: typ, Status: status,
		Message: message, StartTime: c.now().UTC(), ItemName: "item-" + fmt.Sprint(len(evs))}
	if typ == "None" {
		e.Title, e.ItemName = message, ""
	}
	c.events[sessionID] = append(evs, e)
	return e
}

// SetEventStatus sets the status of a session's event, as VB365 does when
// a running event ends.
func (c *Client) SetEventStatus(sessionID string, order int32, status string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.events[sessionID] {
		if c.events[sessionID][i].Order == order {
			c.events[sessionID][i].Status = status
		}
	}
}

// StopInVB365 stops a session as the console or Explorer would.
func (c *Client) StopInVB365(sessionID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.find(sessionID); s != nil {
		c.stop(s)
	}
}

// create opens a session for the point in time at (zero: the latest), named
// as VB365 names it: after the last backup, the last; otherwise the time
// asked for (the fake keeps no restore points between the first and last);
// before the first backup, "no backup data as of" it.
func (c *Client) create(orgID string, typ vb365.SessionType, created, at time.Time, account string) *vb365.RestoreSession {
	org := c.orgs[orgID]
	point := "no backup data"
	switch {
	case org.LastBackupTime != nil && (at.IsZero() || !at.Before(*org.LastBackupTime)):
		point = org.LastBackupTime.UTC().Format("1/2/2006 3:04:05 PM")
	case org.FirstBackupTime != nil && at.Before(*org.FirstBackupTime):
		point = "no backup data as of " + at.UTC().Format("1/2/2006 3:04:05 PM")
	case !at.IsZero():
		point = at.UTC().Format("1/2/2006 3:04:05 PM")
	}
	s := &vb365.RestoreSession{ID: uuid.NewString(), Organization: org.Name, Type: string(typ),
		Name:         fmt.Sprintf("%s restore (Entire organization - %s)", typ, point),
		CreationTime: created.UTC(), State: vb365.SessionStateWorking, Result: "Success", InitiatedBy: "FAKE\\" + account}
	c.sessions = append(c.sessions, s)
	c.appendEvent(s.ID, "None", "Success", "Restore session started")
	return s
}

func (c *Client) stop(s *vb365.RestoreSession) {
	if s.State == vb365.SessionStateStopped {
		return
	}
	t := c.now().UTC()
	s.State, s.EndTime, s.Result = vb365.SessionStateStopped, &t, "Success"
	evs := c.events[s.ID]
	for i := range evs {
		if evs[i].Status == "Running" {
			evs[i].Status = "Cancelled"
		}
		switch evs[i].Status {
		case "Failed":
			s.Result = "Failed"
		case "Warning":
			if s.Result == "Success" {
				s.Result = "Warning"
			}
		}
	}
	c.appendEvent(s.ID, "None", "Success", "Restore session stopped")
}

func (c *Client) find(id string) *vb365.RestoreSession {
	for _, s := range c.sessions {
		if strings.EqualFold(s.ID, id) {
			return s
		}
	}
	return nil
}

func apiErr(op, method, path string, status int, cause error) error {
	return &vb365.Error{Op: op, Method: method, Path: path, StatusCode: status, Err: cause,
		Message: http.StatusText(status)}
}

// GetOrganization implements activities.VB365API.
func (c *Client) GetOrganization(ctx context.Context, id string) (*vb365.Organization, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.orgs[id]
	if !ok {
		return nil, apiErr("get organization", "GET", "/v8/Organizations/"+id, 404, nil)
	}
	return &o, nil
}

// StartRestoreSession implements activities.VB365API.
func (c *Client) StartRestoreSession(ctx context.Context, orgID string, req vb365.ExploreRequest) (*vb365.RestoreSession, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.posts++
	path := "/v8/Organizations/" + orgID + "/explore"
	if len(c.failStarts) > 0 {
		st := c.failStarts[0]
		c.failStarts = c.failStarts[1:]
		return nil, apiErr("start restore session", "POST", path, st, nil)
	}
	org, ok := c.orgs[orgID]
	if !ok {
		return nil, apiErr("start restore session", "POST", path, 404, nil)
	}
	if !org.IsBackedUp {
		e := apiErr("start restore session", "POST", path, 500, nil)
		e.(*vb365.Error).Message = "Restore session cannot be created."
		return nil, e
	}
	s := c.create(orgID, req.Type, c.now(), req.DateTime, c.Account)
	if c.loseStartResponses > 0 {
		c.loseStartResponses--
		return nil, apiErr("start restore session", "POST", path, 0, io.ErrUnexpectedEOF)
	}
	out := *s
	return &out, nil
}

// GetRestoreSession implements activities.VB365API.
func (c *Client) GetRestoreSession(ctx context.Context, id string) (*vb365.RestoreSession, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, apiErr("get restore session", "GET", "/v8/RestoreSessions/"+id, 0, err)
	}
	if c.failPolls > 0 {
		c.failPolls--
		return nil, apiErr("get restore session", "GET", "/v8/RestoreSessions/"+id, 503, nil)
	}
	s := c.find(id)
	if s == nil {
		return nil, apiErr("get restore session", "GET", "/v8/RestoreSessions/"+id, 404, nil)
	}
	out := *s
	return &out, nil
}

// ListRestoreSessions implements activities.VB365API.
func (c *Client) ListRestoreSessions(ctx context.Context, opts vb365.ListRestoreSessionsOptions) (*vb365.Page[vb365.RestoreSession], error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var all []vb365.RestoreSession
	for _, s := range c.sessions {
		if opts.StartTimeFrom != nil && s.CreationTime.Before(*opts.StartTimeFrom) {
			continue
		}
		if opts.StartTimeTo != nil && s.CreationTime.After(*opts.StartTimeTo) {
			continue
		}
		all = append(all, *s)
	}
	return page(all, opts.ListOptions, c.PageSize, c.MaxPageSize), nil
}

// ListRestoreSessionEvents implements activities.VB365API.
func (c *Client) ListRestoreSessionEvents(ctx context.Context, sessionID string, opts vb365.ListOptions) (*vb365.Page[vb365.RestoreSessionEvent], error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.find(sessionID) == nil {
		return nil, apiErr("list restore session events", "GET", "/v8/RestoreSessions/"+sessionID+"/Events", 404, nil)
	}
	return page(append([]vb365.RestoreSessionEvent(nil), c.events[sessionID]...), opts, c.PageSize, c.MaxPageSize), nil
}

// StopRestoreSession implements activities.VB365API.
func (c *Client) StopRestoreSession(ctx context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.find(id)
	if s == nil {
		return apiErr("stop restore session", "POST", "/v8/RestoreSessions/"+id+"/Stop", 404, nil)
	}
	if c.ignoreStops > 0 && s.State != vb365.SessionStateStopped {
		c.ignoreStops--
		return apiErr("stop restore session", "POST", "/v8/RestoreSessions/"+id+"/Stop", 204,
			fmt.Errorf("%w (state %q)", vb365.ErrStopNotConfirmed, s.State))
	}
	c.stop(s)
	return nil
}

func page[T any](all []T, opts vb365.ListOptions, def, max int) *vb365.Page[T] {
	limit := opts.Limit
	if limit <= 0 {
		limit = def
	}
	limit = min(limit, max)
	off := min(max0(opts.Offset), len(all))
	end := min(off+limit, len(all))
	return &vb365.Page[T]{Offset: off, Limit: limit, Results: all[off:end], HasNext: end < len(all)}
}

func max0(n int) int {
	if n < 0 {
		return 0
	}
	return n
}
