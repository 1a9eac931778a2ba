package vb365sim

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
)

type session struct {
	id          string
	seq         int
	version     string // API version it was created through
	org         *organization
	typ         string // Vex, Veod, Vesp, Vet
	name        string
	details     string
	initiatedBy string
	created     time.Time
	point       *time.Time // restore point opened; nil: no backup data
	requested   time.Time  // the point in time explore asked for
	stopped     bool
	endTime     time.Time
	stopAt      time.Time // zero: never stops by itself
	pendingStop time.Time // a stop answered 2xx takes effect then (stopDelay); zero: none
	lastTouch   time.Time // last request that named the session (idleTimeout)
	account     string    // the account that created it
	result      string
	etag        int64
	script      []ScriptedEvent
	nextScript  int
	events      []*event
	eventByID   map[string]*event
	logged      logged // what the change log last recorded of it
}

// SessionView is a restore session as the simulator sees it.
type SessionView struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	Organization   string     `json:"organization"`
	OrganizationID string     `json:"organizationId"`
	Type           string     `json:"type"`
	State          string     `json:"state"`
	Result         string     `json:"result"`
	InitiatedBy    string     `json:"initiatedBy"`
	CreatedBy      string     `json:"createdBy"` // the account that created it
	CreationTime   time.Time  `json:"creationTime"`
	EndTime        *time.Time `json:"endTime,omitempty"`
	RestorePoint   *time.Time `json:"restorePoint,omitempty"` // nil: opened with no backup data
	// RequestedPointInTime is the dateTime explore asked for (now when none).
	RequestedPointInTime time.Time `json:"requestedPointInTime"`
	APIVersion           string    `json:"apiVersion"`
	EventCount           int       `json:"eventCount"`
}

func (s *Simulator) newSession(c *call, o *organization, typ string, at, now time.Time) *session {
	word := typeWords[typ]
	sess := &session{
		id:          uuid.NewString(),
		seq:         len(s.order) + 1,
		version:     c.ver,
		org:         o,
		typ:         typ,
		initiatedBy: "VB365SIM\\" + c.user,
		created:     now,
		requested:   at,
		lastTouch:   now,
		account:     c.user,
		result:      "Success",
		script:      o.script,
		eventByID:   map[string]*event{},
	}
	sess.markerEvent(now, "Restore session started")
	if len(sess.script) == 0 {
		sess.script = s.script
	}
	if p, ok := o.restorePoint(at); ok {
		sess.point = &p
		sess.name = word + " restore (Entire organization - " + fmtPoint(p) + ")"
		sess.details = "Restore point " + fmtTime(p) + " opened for the requested point in time " + fmtTime(at) + "."
	} else {
		sess.name = word + " restore (Entire organization - no backup data as of " + fmtPoint(at) + ")"
		sess.details = "The requested point in time " + fmtTime(at) + " precedes the first backup (" +
			fmtTime(o.points[0]) + "): the session has no backup data to explore or restore."
	}
	stopAfter := o.stopAfter
	if stopAfter == 0 {
		stopAfter = s.stopAft
	}
	if stopAfter > 0 {
		sess.stopAt = now.Add(stopAfter)
	}
	s.sessions[sess.id] = sess
	s.order = append(s.order, sess)
	s.logCreated(sess, now)
	s.stats.created++
	s.log.Info("restore session created", zap.String("sessionId", sess.id), zap.String("name", sess.name),
		zap.String("organization", o.name), zap.String("version", c.ver), zap.String("user", c.user))
	return sess
}

// stop ends the session at t (idempotent) and adds the event that marks
// the end; called with s.mu held.
func (s *Simulator) stop(sess *session, t time.Time, why string) {
	if sess.stopped {
		return
	}
	s.materialize(sess, t)
	sess.pendingStop = time.Time{}
	sess.stopped = true
	sess.endTime = t
	sess.result = "Success"
	for _, e := range sess.events {
		switch st, _, _ := e.view(sess, t); st {
		case "Failed":
			sess.result = "Failed"
		case "Warning":
			if sess.result == "Success" {
				sess.result = "Warning"
			}
		}
	}
	sess.markerEvent(t, "Restore session stopped")
	s.noteChange(sess, t)
	s.log.Info("restore session stopped", zap.String("sessionId", sess.id), zap.String("by", why), zap.String("result", sess.result))
}

// advance applies the earliest due stop (by itself, a delayed stop, or the
// idle timeout) and materializes due events; with s.mu held.
func (s *Simulator) advance(sess *session, now time.Time) {
	if !sess.stopped {
		at, why := time.Time{}, ""
		due := func(t time.Time, reason string) {
			if !t.IsZero() && !now.Before(t) && (at.IsZero() || t.Before(at)) {
				at, why = t, reason
			}
		}
		due(sess.stopAt, "itself (scenario)")
		due(sess.pendingStop, "a delayed stop")
		if idle := s.idleTimeoutFor(sess.org); idle > 0 {
			due(sess.lastTouch.Add(idle), "the server (idle timeout)")
		}
		if !at.IsZero() {
			s.stop(sess, at, why)
		}
	}
	s.materialize(sess, now)
	s.noteChange(sess, now)
}

func (s *Simulator) sessionWire(c *call, sess *session, now time.Time) wireSession {
	s.advance(sess, now)
	state := "Working"
	if sess.stopped {
		state = "Stopped"
	}
	w := wireSession{
		ID: sess.id, Name: sess.name, Organization: sess.org.name, Type: sess.typ,
		CreationTime: fmtTime(sess.created), State: state, Result: sess.result, InitiatedBy: sess.initiatedBy,
	}
	base := "/RestoreSessions/" + sess.id
	switch {
	case c.vn <= 5:
		// As Veeam's v5 example shows: endTime equals creationTime while Working.
		end := sess.created
		if sess.stopped {
			end = sess.endTime
		}
		w.EndTime = jsonTime(tv(end))
		w.Links = wireLinks{{"self", c.link(base)}, {"organization", c.link(base + "/organization")}, {"restoreSessionEvents", c.link(base + "/events")}}
	default:
		if sess.stopped {
			w.EndTime = jsonTime(tv(sess.endTime))
		}
		w.Details = sess.details
		w.Links = wireLinks{{"self", c.link(base)}, {"organization", c.link(base + "/Organization")}, {"restoreSessionEvents", c.link(base + "/Events")}}
		if c.vn >= 8 {
			etag := sess.etag
			w.ETag = &etag
		}
	}
	return w
}

// lookupSession resolves the restoreSessionId path parameter.
func (s *Simulator) lookupSession(c *call) (*session, response, bool) {
	sess, resp, ok := lookupByUUID(c, "restoreSessionId", "Restore session", s.sessions)
	if !ok {
		return nil, resp, false
	}
	// A request that names a session keeps it from being abandoned.
	now := s.now()
	s.advance(sess, now)
	sess.lastTouch = now
	return sess, response{}, true
}

func (s *Simulator) handleSessionGet(c *call) response {
	sess, resp, ok := s.lookupSession(c)
	if !ok {
		return resp
	}
	return jsonResponse(http.StatusOK, s.sessionWire(c, sess, s.now()))
}

func (s *Simulator) handleSessionList(c *call) response {
	now := s.now()
	offset, limit, resp, ok := paging(c)
	if !ok {
		return resp
	}
	q := lowerQuery(c.r)
	var bounds [4]*time.Time // startTimeFrom, startTimeTo, endTimeFrom, endTimeTo
	for i, name := range []string{"starttimefrom", "starttimeto", "endtimefrom", "endtimeto"} {
		if v := q[name]; v != "" {
			t, err := parseTime(v)
			if err != nil {
				return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The value of "+name+" is not valid: "+err.Error())
			}
			bounds[i] = &t
		}
	}
	orderBy, asc := "CreationTime", c.vn < 8
	if c.vn >= 8 {
		if v, ok := q["orderby"]; ok {
			if orderBy = canonical([]string{"CreationTime", "EndTime"}, v); orderBy == "" {
				return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The value '"+v+"' is not valid for orderBy: use CreationTime or EndTime.")
			}
		}
		if v, ok := q["orderasc"]; ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The value '"+v+"' is not valid for orderAsc.")
			}
			asc = b
		}
	}
	var picked []*session
	for _, sess := range s.order {
		if !strings.EqualFold(sess.account, c.user) {
			continue // only the sessions "created under the current logon credentials"
		}
		s.advance(sess, now)
		if bounds[0] != nil && sess.created.Before(*bounds[0]) || bounds[1] != nil && sess.created.After(*bounds[1]) {
			continue
		}
		if bounds[2] != nil && (!sess.stopped || sess.endTime.Before(*bounds[2])) ||
			bounds[3] != nil && (!sess.stopped || sess.endTime.After(*bounds[3])) {
			continue
		}
		picked = append(picked, sess)
	}
	sortSessions(picked, orderBy, asc)
	start, end := pageBounds(len(picked), offset, limit)
	results := make([]wireSession, 0, end-start)
	for _, sess := range picked[start:end] {
		results = append(results, s.sessionWire(c, sess, now))
	}
	return jsonResponse(http.StatusOK, pageOf(c, "/RestoreSessions", results, len(picked), offset, limit))
}

// sortSessions orders a session list. By CreationTime, ties keep creation
// order; by EndTime, Working sessions (no end yet) count as latest. v8
// documents orderBy (default CreationTime) and orderAsc (default false,
// newest first); v5 to v7 list oldest first.
func sortSessions(ss []*session, orderBy string, asc bool) {
	less := func(a, b *session) bool {
		if orderBy == "EndTime" {
			if a.stopped != b.stopped {
				return a.stopped
			}
			if a.stopped && !a.endTime.Equal(b.endTime) {
				return a.endTime.Before(b.endTime)
			}
		} else if !a.created.Equal(b.created) {
			return a.created.Before(b.created)
		}
		return a.seq < b.seq
	}
	sort.SliceStable(ss, func(i, j int) bool {
		if asc {
			return less(ss[i], ss[j])
		}
		return less(ss[j], ss[i])
	})
}

// handleSessionAction is v5's POST /RestoreSessions/{id}/action {"stop":null}.
func (s *Simulator) handleSessionAction(c *call) response {
	sess, resp, ok := s.lookupSession(c)
	if !ok {
		return resp
	}
	var body map[string]any
	if resp, ok := c.decodeJSON(&body); !ok {
		return resp
	}
	stop := false
	for k := range body {
		if strings.EqualFold(k, "stop") {
			stop = true
		}
	}
	if !stop {
		return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The action is not supported: the body must hold a \"stop\" action.")
	}
	s.apiStop(sess, c.user)
	return response{status: http.StatusOK}
}

// handleSessionStop is v6+'s POST /RestoreSessions/{id}/Stop: 200 on v6/v7,
// 204 on v8. Stopping a stopped session succeeds.
func (s *Simulator) handleSessionStop(c *call) response {
	sess, resp, ok := s.lookupSession(c)
	if !ok {
		return resp
	}
	s.apiStop(sess, c.user)
	if c.vn >= 8 {
		return response{status: http.StatusNoContent}
	}
	return response{status: http.StatusOK}
}

// apiStop is a stop over the API, answered 2xx whatever it does: stopIgnored
// makes it do nothing, stopDelay makes it take effect later (an earlier
// delayed stop keeps its time), else the session stops now.
func (s *Simulator) apiStop(sess *session, user string) {
	now := s.now()
	s.advance(sess, now)
	if sess.stopped {
		return
	}
	if s.takeIgnoredStop(sess.org) {
		s.log.Info("restore session stop ignored", zap.String("sessionId", sess.id), zap.String("user", user))
		return
	}
	if d := s.stopDelayFor(sess.org); d > 0 {
		if sess.pendingStop.IsZero() {
			sess.pendingStop = now.Add(d)
		}
		return
	}
	s.stop(sess, now, user+" (API)")
}

// sessionNow finds the session id names (any case, blanks around ignored)
// and brings it to now, which it returns too; the caller holds s.mu.
func (s *Simulator) sessionNow(id string) (*session, time.Time, error) {
	sess, ok := s.sessions[strings.ToLower(strings.TrimSpace(id))]
	if !ok {
		return nil, time.Time{}, ErrSessionNotFound
	}
	now := s.now()
	s.advance(sess, now)
	return sess, now, nil
}

// StopSession stops a session as an operator would in the VB365 console.
// Stopping a stopped session is not an error.
func (s *Simulator) StopSession(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, now, err := s.sessionNow(id)
	if err != nil {
		return err
	}
	s.stop(sess, now, "console")
	return nil
}

// Sessions returns every restore session ever created, oldest first.
func (s *Simulator) Sessions() []SessionView {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := make([]SessionView, 0, len(s.order))
	for _, sess := range s.order {
		s.advance(sess, now)
		v := SessionView{
			ID: sess.id, Name: sess.name, Organization: sess.org.name, OrganizationID: sess.org.id,
			Type: sess.typ, State: "Working", Result: sess.result, InitiatedBy: sess.initiatedBy,
			CreationTime: sess.created, APIVersion: sess.version, EventCount: len(sess.events), CreatedBy: sess.account,
			RequestedPointInTime: sess.requested,
		}
		if sess.stopped {
			v.State = "Stopped"
			end := sess.endTime
			v.EndTime = &end
		}
		if sess.point != nil {
			p := *sess.point
			v.RestorePoint = &p
		}
		out = append(out, v)
	}
	return out
}
