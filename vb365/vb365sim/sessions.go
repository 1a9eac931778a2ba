package vb365sim

import (
	"net/http"
	"sort"
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
	stopped     bool
	endTime     time.Time
	stopAt      time.Time // zero: never stops by itself
	result      string
	etag        int64
	script      []ScriptedEvent
	nextScript  int
	events      []*event
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
	CreationTime   time.Time  `json:"creationTime"`
	EndTime        *time.Time `json:"endTime,omitempty"`
	RestorePoint   *time.Time `json:"restorePoint,omitempty"` // nil: opened with no backup data
	APIVersion     string     `json:"apiVersion"`
	EventCount     int        `json:"eventCount"`
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
		result:      "Success",
		etag:        1,
		script:      o.script,
	}
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
	s.stats.created++
	s.log.Info("restore session created", zap.String("id", sess.id), zap.String("name", sess.name),
		zap.String("organization", o.name), zap.String("version", c.ver), zap.String("user", c.user))
	return sess
}

// stop ends the session at t (idempotent); called with s.mu held.
func (s *Simulator) stop(sess *session, t time.Time, why string) {
	if sess.stopped {
		return
	}
	s.materialize(sess, t)
	sess.stopped = true
	sess.endTime = t
	sess.etag++
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
	s.log.Info("restore session stopped", zap.String("id", sess.id), zap.String("by", why), zap.String("result", sess.result))
}

// advance applies a due self-stop and materializes due events; with s.mu held.
func (s *Simulator) advance(sess *session, now time.Time) {
	if !sess.stopped && !sess.stopAt.IsZero() && !now.Before(sess.stopAt) {
		s.stop(sess, sess.stopAt, "itself (scenario)")
	}
	s.materialize(sess, now)
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
		// As the seed's example: endTime equals creationTime while Working.
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
	raw := c.params["restoreSessionId"]
	id, err := uuid.Parse(raw)
	if err != nil {
		return nil, errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The value '"+raw+"' is not a valid restore session ID."), false
	}
	sess, ok := s.sessions[id.String()]
	if !ok {
		return nil, errorResponse(c.vn, http.StatusNotFound, "ResourceNotFound", "Restore session with ID "+id.String()+" was not found."), false
	}
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
	var picked []*session
	for _, sess := range s.order {
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
	if c.vn >= 8 && strings.EqualFold(q["orderby"], "EndTime") {
		sort.SliceStable(picked, func(i, j int) bool {
			a, b := picked[i], picked[j]
			if a.stopped != b.stopped {
				return a.stopped
			}
			return a.endTime.Before(b.endTime)
		})
	}
	if c.vn >= 8 && strings.EqualFold(q["orderasc"], "false") {
		for i, j := 0, len(picked)-1; i < j; i, j = i+1, j-1 {
			picked[i], picked[j] = picked[j], picked[i]
		}
	}
	all := make([]wireSession, 0, len(picked))
	for _, sess := range picked {
		all = append(all, s.sessionWire(c, sess, now))
	}
	return jsonResponse(http.StatusOK, page(c, "/RestoreSessions", all, offset, limit))
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
	s.stop(sess, s.now(), c.user+" (API)")
	return response{status: http.StatusOK}
}

// handleSessionStop is v6+'s POST /RestoreSessions/{id}/Stop: 200 on v6/v7,
// 204 on v8. Stopping a stopped session succeeds.
func (s *Simulator) handleSessionStop(c *call) response {
	sess, resp, ok := s.lookupSession(c)
	if !ok {
		return resp
	}
	s.advance(sess, s.now())
	s.stop(sess, s.now(), c.user+" (API)")
	if c.vn >= 8 {
		return response{status: http.StatusNoContent}
	}
	return response{status: http.StatusOK}
}

// StopSession stops a session as an operator would in the VB365 console.
// Stopping a stopped session is not an error.
func (s *Simulator) StopSession(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[strings.ToLower(strings.TrimSpace(id))]
	if !ok {
		return ErrSessionNotFound
	}
	now := s.now()
	s.advance(sess, now)
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
			CreationTime: sess.created, APIVersion: sess.version, EventCount: len(sess.events),
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
