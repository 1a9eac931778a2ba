package vb365sim

import (
	"errors"
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
	restore  *restoreItem // the object of a restore this event reports; nil for others
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
	// Count appends that many copies (0: one), in one step.
	Count int `json:"count,omitempty"`
}

// ErrEventNotFound is returned by SetEventStatus for an unknown event order.
var ErrEventNotFound = errors.New("vb365sim: restore session event not found")

// ErrEventNotRunning is returned by SetEventStatus for an event that has
// already ended.
var ErrEventNotRunning = errors.New("vb365sim: restore session event is not running")

// newEvent appends an event. Orders count from 0, the session's start
// marker, as in Veeam's example of an events list.
func (s *session) newEvent(start time.Time) *event {
	order := len(s.events)
	id := uuid.NewSHA1(uuid.MustParse(s.id), []byte(strconv.Itoa(order)))
	e := &event{id: id.String(), order: order, start: start}
	s.events = append(s.events, e)
	s.eventByID[e.id] = e
	return e
}

// markerEvent appends the None event VB365 writes when a session starts and
// when it stops.
func (s *session) markerEvent(t time.Time, text string) {
	e := s.newEvent(t)
	e.typ, e.status, e.title, e.message = "None", "Success", text, text
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
		for range max(se.Count, 1) {
			e := sess.newEvent(start)
			e.duration = se.Duration.D()
			if se.Status == "Running" {
				e.duration = -1
			}
			e.typ, e.status = se.Type, se.Status
			e.title, e.message = repl.Replace(se.Title), repl.Replace(se.Message)
			e.itemName, e.itemType, e.size = repl.Replace(se.ItemName), se.ItemType, se.ItemSizeBytes
			e.source, e.target = repl.Replace(se.Source), repl.Replace(se.Target)
		}
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
	size := e.size // written when 0 too, as in Veeam's examples
	w := wireEvent{
		ID: e.id, Type: e.typ, Status: status, Title: e.title, Message: e.message,
		StartTime: s.fmtEventTime(e.start), Duration: fmtTimeSpan(dur), Order: e.order,
		ItemName: e.itemName, ItemType: e.itemType, Source: e.source, Target: e.target,
		ItemSizeBytes: &size,
	}
	if end != nil {
		w.EndTime = marshalNoEscape(s.fmtEventTime(*end))
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
	start, end := pageBounds(len(sess.events), offset, limit)
	results := make([]wireEvent, 0, end-start)
	for _, e := range sess.events[start:end] {
		results = append(results, s.eventWire(c, sess, e, now))
	}
	p := pageOf(c, "/RestoreSessions/"+sess.id+"/Events", results, len(sess.events), offset, limit)
	p.Links = append(p.Links, namedLink{"restoreSession", c.link("/RestoreSessions/" + sess.id)})
	return jsonResponse(http.StatusOK, p)
}

func (s *Simulator) handleEventGet(c *call) response {
	sess, resp, ok := s.lookupSession(c)
	if !ok {
		return resp
	}
	now := s.now()
	raw := c.params["eventId"]
	id, err := uuid.Parse(raw)
	if err != nil {
		return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The value '"+raw+"' is not a valid event ID.")
	}
	if e, ok := sess.eventByID[id.String()]; ok {
		return jsonResponse(http.StatusOK, s.eventWire(c, sess, e, now))
	}
	return errorResponse(c.vn, http.StatusNotFound, "ResourceNotFound", "Event with ID "+id.String()+" was not found in restore session "+sess.id+".")
}

// AppendEvent adds an event to a session now, after its due scripted
// events; in.Count copies of it when Count > 1.
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
	if in.Count < 0 || in.Count > 1_000_000 {
		return fmt.Errorf("vb365sim: event count %d is not between 0 and 1000000", in.Count)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, now, err := s.sessionNow(sessionID)
	if err != nil {
		return err
	}
	dur := in.Duration
	if in.DurationMs > 0 && dur == 0 {
		dur = time.Duration(in.DurationMs) * time.Millisecond
	}
	if status == "Running" {
		dur = -1
	}
	msg := in.Message
	if msg == "" {
		msg = typ + " " + strings.ToLower(status)
	}
	for range max(in.Count, 1) {
		e := sess.newEvent(now)
		e.duration = dur
		e.typ, e.status, e.title, e.message = typ, status, in.Title, msg
		e.itemName, e.itemType, e.size, e.source, e.target = in.ItemName, in.ItemType, in.ItemSizeBytes, in.Source, in.Target
	}
	s.noteChange(sess, now)
	return nil
}

// SetEventStatus ends a running event of a session now with status (one of
// the final statuses: Success, Warning, Failed, Cancelled, Skipped), e.g.
// an event that stayed Running for hours while later ones completed.
func (s *Simulator) SetEventStatus(sessionID string, order int, status string) error {
	st := canonical(eventStatuses, status)
	if st == "" || st == "Running" {
		return fmt.Errorf("vb365sim: event status %q is not one of Success, Warning, Failed, Cancelled, Skipped", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, now, err := s.sessionNow(sessionID)
	if err != nil {
		return err
	}
	if order < 0 || order >= len(sess.events) {
		return fmt.Errorf("%w: order %d (the session has orders 0 to %d)", ErrEventNotFound, order, len(sess.events)-1)
	}
	e := sess.events[order]
	if cur, _, _ := e.view(sess, now); cur != "Running" {
		return fmt.Errorf("%w: order %d is %s", ErrEventNotRunning, order, cur)
	}
	e.status, e.duration = st, now.Sub(e.start)
	s.noteChange(sess, now)
	return nil
}

// handleStatistics is v8's GET /RestoreSessions/{id}/Statistics, derived
// from the session's item events (Restore, Save, Export, Send): restored
// are those that ended Success or Warning, failed Failed, skipped Skipped;
// warnings and errors are the messages of Warning and Failed ones.
func (s *Simulator) handleStatistics(c *call) response {
	sess, resp, ok := s.lookupSession(c)
	if !ok {
		return resp
	}
	now := s.now()
	st := wireStatistics{Warnings: []string{}, Errors: []string{}, Items: []wireItemDetails{}}
	for _, e := range sess.events {
		if e.restore != nil {
			status, _, _ := e.view(sess, now)
			e.restore.addStatistics(&st, e, status, now)
			continue
		}
		switch e.typ {
		case "Restore", "Save", "Export", "Send":
		default:
			continue
		}
		st.TotalItemsCount++
		switch status, _, _ := e.view(sess, now); status {
		case "Success":
			st.RestoredItemsCount++
		case "Warning":
			st.RestoredItemsCount++
			st.Warnings = append(st.Warnings, e.message)
		case "Failed":
			st.FailedItemsCount++
			st.Errors = append(st.Errors, e.message)
		case "Skipped":
			st.SkippedItemsCount++
		}
	}
	return jsonResponse(http.StatusOK, st)
}
