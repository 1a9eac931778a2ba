package vb365sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// event is a materialized event of a session. Its status is final once
// start+duration has passed; before that it is Running (Cancelled if the
// session stopped first).
type event struct {
	id       string
	order    int
	start    time.Time
	duration time.Duration // < 0: runs until the session stops
	typ      string
	status   string
	title    string
	message  string
	itemName string
	itemType string
	size     int64
	source   string
	target   string
}

// EventInput is an event appended with AppendEvent or POST
// /_sim/sessions/{id}/events. Type defaults to None, Status to Success;
// enums are matched ignoring case. Status Running makes an event that runs
// until the session stops.
type EventInput struct {
	Type          string        `json:"type"`
	Status        string        `json:"status"`
	Title         string        `json:"title,omitempty"`
	Message       string        `json:"message"`
	ItemName      string        `json:"itemName,omitempty"`
	ItemType      string        `json:"itemType,omitempty"`
	ItemSizeBytes int64         `json:"itemSizeBytes,omitempty"`
	Source        string        `json:"source,omitempty"`
	Target        string        `json:"target,omitempty"`
	Duration      time.Duration `json:"-"`
	DurationMs    int           `json:"durationMs,omitempty"`
}

func (s *session) newEvent(start time.Time) *event {
	order := len(s.events) + 1
	id := uuid.NewSHA1(uuid.MustParse(s.id), []byte(strconv.Itoa(order)))
	e := &event{id: id.String(), order: order, start: start}
	s.events = append(s.events, e)
	return e
}

// materialize turns the script's due events (up to now, or the session's
// end) into events, in offset order; called with s.mu held.
func (s *Simulator) materialize(sess *session, now time.Time) {
	limit := now
	if sess.stopped && sess.endTime.Before(limit) {
		limit = sess.endTime
	}
	repl := strings.NewReplacer("{org}", sess.org.name, "{type}", typeWords[sess.typ], "{session}", sess.id)
	for sess.nextScript < len(sess.script) {
		se := sess.script[sess.nextScript]
		start := sess.created.Add(se.Offset.D())
		if start.After(limit) {
			return
		}
		e := sess.newEvent(start)
		e.duration = se.Duration.D()
		if se.Status == "Running" {
			e.duration = -1
		}
		e.typ, e.status = se.Type, se.Status
		e.title, e.message = repl.Replace(se.Title), repl.Replace(se.Message)
		e.itemName, e.itemType, e.size = repl.Replace(se.ItemName), se.ItemType, se.ItemSizeBytes
		e.source, e.target = repl.Replace(se.Source), repl.Replace(se.Target)
		sess.nextScript++
	}
}

// view renders the event's status, end time (nil while running) and
// duration at now.
func (e *event) view(sess *session, now time.Time) (string, *time.Time, time.Duration) {
	cutoff := now
	late := sess.stopped && !e.start.Before(sess.endTime) // appended after the stop
	if sess.stopped && !late && sess.endTime.Before(cutoff) {
		cutoff = sess.endTime
	}
	if e.duration >= 0 {
		end := e.start.Add(e.duration)
		if !end.After(cutoff) {
			return e.status, &end, e.duration
		}
	}
	if sess.stopped && !late {
		end := sess.endTime
		if end.Before(e.start) {
			end = e.start
		}
		return "Cancelled", &end, end.Sub(e.start)
	}
	return "Running", nil, now.Sub(e.start)
}

func (s *Simulator) eventWire(c *call, sess *session, e *event, now time.Time) wireEvent {
	status, end, dur := e.view(sess, now)
	w := wireEvent{
		ID: e.id, Type: e.typ, Status: status, Title: e.title, Message: e.message,
		StartTime: fmtTime(e.start), Duration: fmtTimeSpan(dur), Order: e.order,
		ItemName: e.itemName, ItemType: e.itemType, Source: e.source, Target: e.target,
	}
	if end != nil {
		w.EndTime = jsonTime(tv(*end))
	}
	if e.size > 0 {
		size := e.size
		w.ItemSizeBytes = &size
	}
	if c.vn >= 8 {
		w.OrganizationID = sess.org.id
	}
	base := "/RestoreSessions/" + sess.id
	w.Links = wireLinks{{"self", c.link(base + "/Events/" + e.id)}, {"restoreSession", c.link(base)}}
	return w
}

func (s *Simulator) handleEventList(c *call) response {
	sess, resp, ok := s.lookupSession(c)
	if !ok {
		return resp
	}
	offset, limit, resp, ok := paging(c)
	if !ok {
		return resp
	}
	now := s.now()
	s.advance(sess, now)
	all := make([]wireEvent, 0, len(sess.events))
	for _, e := range sess.events {
		all = append(all, s.eventWire(c, sess, e, now))
	}
	p := page(c, "/RestoreSessions/"+sess.id+"/Events", all, offset, limit)
	p.Links = append(p.Links, namedLink{"restoreSession", c.link("/RestoreSessions/" + sess.id)})
	return jsonResponse(http.StatusOK, p)
}

func (s *Simulator) handleEventGet(c *call) response {
	sess, resp, ok := s.lookupSession(c)
	if !ok {
		return resp
	}
	now := s.now()
	s.advance(sess, now)
	raw := c.params["eventId"]
	id, err := uuid.Parse(raw)
	if err != nil {
		return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The value '"+raw+"' is not a valid event ID.")
	}
	for _, e := range sess.events {
		if e.id == id.String() {
			return jsonResponse(http.StatusOK, s.eventWire(c, sess, e, now))
		}
	}
	return errorResponse(c.vn, http.StatusNotFound, "ResourceNotFound", "Event with ID "+id.String()+" was not found in restore session "+sess.id+".")
}

// AppendEvent adds an event to a session now, after its due scripted events.
func (s *Simulator) AppendEvent(sessionID string, in EventInput) error {
	typ, status := "None", "Success"
	if in.Type != "" {
		if typ = canonical(eventTypes, in.Type); typ == "" {
			return fmt.Errorf("vb365sim: event type %q is not one of %v", in.Type, eventTypes)
		}
	}
	if in.Status != "" {
		if status = canonical(eventStatuses, in.Status); status == "" {
			return fmt.Errorf("vb365sim: event status %q is not one of %v", in.Status, eventStatuses)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[strings.ToLower(strings.TrimSpace(sessionID))]
	if !ok {
		return ErrSessionNotFound
	}
	now := s.now()
	s.advance(sess, now)
	e := sess.newEvent(now)
	e.duration = in.Duration
	if in.DurationMs > 0 && e.duration == 0 {
		e.duration = time.Duration(in.DurationMs) * time.Millisecond
	}
	if status == "Running" {
		e.duration = -1
	}
	e.typ, e.status, e.title, e.message = typ, status, in.Title, in.Message
	if e.message == "" {
		e.message = typ + " " + strings.ToLower(status)
	}
	e.itemName, e.itemType, e.size, e.source, e.target = in.ItemName, in.ItemType, in.ItemSizeBytes, in.Source, in.Target
	return nil
}
