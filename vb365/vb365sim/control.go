package vb365sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// serveControl answers the control endpoints (no auth, case-insensitive):
//
//	GET    /_sim/sessions               every account's sessions, API representation + eventCount, createdBy
//	POST   /_sim/sessions/{id}/events   append an event (EventInput; "count": N appends N)
//	PATCH  /_sim/sessions/{id}/events/{order}  end a running event: {"status":"Success"}
//	POST   /_sim/sessions/{id}/stop     stop as if from the VB365 console
//	GET    /_sim/behaviour              the real-world switches (BehaviourSettings)
//	PUT    /_sim/behaviour              change any subset of them
//	GET    /_sim/faults                 armed faults
//	POST   /_sim/faults                 add a Fault
//	DELETE /_sim/faults                 clear faults
//	GET    /_sim/stats                  Stats
//	DELETE /_sim/stats                  reset Stats
func (s *Simulator) serveControl(w http.ResponseWriter, r *http.Request) {
	segs := splitPath(strings.ToLower(r.URL.Path))[1:]
	rawSegs := splitPath(r.URL.Path)[1:]
	fail := func(status int, msg string) { writeResponse(w, errorResponse(0, status, "", msg)) }
	is := func(method string, path ...string) bool {
		if r.Method != method || len(path) != len(segs) {
			return false
		}
		for i, p := range path {
			if p != "*" && p != segs[i] {
				return false
			}
		}
		return true
	}
	decode := func(v any) bool {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err == nil {
			err = json.Unmarshal(b, v)
		}
		if err != nil {
			fail(http.StatusBadRequest, "The request body is not valid JSON: "+err.Error())
			return false
		}
		return true
	}
	if s.serveRestoreControl(w, r, segs) {
		return
	}
	switch {
	case is("GET", "sessions"):
		writeResponse(w, jsonResponse(http.StatusOK, s.controlSessions(r)))
	case is("POST", "sessions", "*", "events"):
		var in EventInput
		if !decode(&in) {
			return
		}
		if err := s.AppendEvent(rawSegs[1], in); err != nil {
			if errors.Is(err, ErrSessionNotFound) {
				fail(http.StatusNotFound, err.Error())
			} else {
				fail(http.StatusBadRequest, err.Error())
			}
			return
		}
		writeResponse(w, response{status: http.StatusNoContent})
	case is("PATCH", "sessions", "*", "events", "*"):
		var in struct {
			Status string `json:"status"`
		}
		if !decode(&in) {
			return
		}
		order, err := strconv.Atoi(rawSegs[3])
		if err != nil {
			fail(http.StatusBadRequest, "The event order '"+rawSegs[3]+"' is not a number.")
			return
		}
		if err := s.SetEventStatus(rawSegs[1], order, in.Status); err != nil {
			switch {
			case errors.Is(err, ErrSessionNotFound), errors.Is(err, ErrEventNotFound):
				fail(http.StatusNotFound, err.Error())
			case errors.Is(err, ErrEventNotRunning):
				fail(http.StatusConflict, err.Error())
			default:
				fail(http.StatusBadRequest, err.Error())
			}
			return
		}
		writeResponse(w, response{status: http.StatusNoContent})
	case is("GET", "behaviour"):
		writeResponse(w, jsonResponse(http.StatusOK, s.Settings()))
	case is("PUT", "behaviour"):
		var in BehaviourSettings
		if err := decodeStrict(r, &in); err != nil {
			fail(http.StatusBadRequest, "The request body is not valid: "+err.Error())
			return
		}
		if err := s.SetSettings(in); err != nil {
			status := http.StatusBadRequest
			if errors.Is(err, ErrOrganizationNotFound) {
				status = http.StatusNotFound
			}
			fail(status, err.Error())
			return
		}
		writeResponse(w, jsonResponse(http.StatusOK, s.Settings()))
	case is("POST", "sessions", "*", "stop"):
		if err := s.StopSession(rawSegs[1]); err != nil {
			fail(http.StatusNotFound, err.Error())
			return
		}
		writeResponse(w, response{status: http.StatusNoContent})
	case is("GET", "faults"):
		writeResponse(w, jsonResponse(http.StatusOK, s.Faults()))
	case is("POST", "faults"):
		var f Fault
		if !decode(&f) {
			return
		}
		if err := f.Validate(); err != nil {
			fail(http.StatusBadRequest, err.Error())
			return
		}
		s.AddFault(f)
		writeResponse(w, response{status: http.StatusNoContent})
	case is("DELETE", "faults"):
		s.ClearFaults()
		writeResponse(w, response{status: http.StatusNoContent})
	case is("GET", "stats"):
		writeResponse(w, jsonResponse(http.StatusOK, s.Stats()))
	case is("DELETE", "stats"):
		s.ResetStats()
		writeResponse(w, response{status: http.StatusNoContent})
	default:
		fail(http.StatusNotFound, "No control endpoint "+r.Method+" "+r.URL.Path+".")
	}
}

// controlSessions renders every session as the API version that created it
// would, plus organizationId and eventCount.
func (s *Simulator) controlSessions(r *http.Request) []wireSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := make([]wireSession, 0, len(s.order))
	for _, sess := range s.order {
		c := &call{r: r, ver: sess.version, vn: int(sess.version[1] - '0'), scheme: s.opts.LinkScheme}
		w := s.sessionWire(c, sess, now)
		n := len(sess.events)
		w.EventCount = &n
		w.OrganizationID = sess.org.id
		w.CreatedBy = sess.account
		out = append(out, w)
	}
	return out
}

// decodeStrict reads a control request's JSON body (up to 1 MiB) into v,
// refusing fields v does not have: a misspelt setting must not be ignored.
func decodeStrict(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
