package vb365sim

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The change feed, v8's GET /Events: a log of what changed on the server,
// read from a change token on. The simulator logs one kind of change,
// RestoreSessionUpdate with the session's new eTag, whenever a session is
// created, stops, or one of its events is added or ends (changes its
// status). Events that the scenario makes appear, or end, as time passes
// are logged when the server next looks at the session (any request that
// names it, and every read of the feed), at the latest when a long poll of
// the feed wakes for them.

// changeLogRetention is how many changes the log keeps: a token older than
// the oldest kept is outdated.
const changeLogRetention = 100_000

// maxChangeWait bounds timeoutSeconds.
const maxChangeWait = time.Hour

type changeEntry struct {
	sessionID string
	etag      int64
}

// changeLog is the feed's state, under Simulator.mu. A token is
// "<epoch>.<n>": read from the n-th change of the log on. The epoch is
// fresh for every Simulator and whenever the feed is turned back on, so a
// token of another run, or of before a gap, is refused.
type changeLog struct {
	epoch   string
	base    int // the number of the first kept entry
	entries []changeEntry
	// notify is closed (and replaced) when a change is logged, waking the
	// long polls.
	notify chan struct{}
}

func newChangeLog() changeLog {
	return changeLog{epoch: uuid.NewString()[:8], notify: make(chan struct{})}
}

func (l *changeLog) next() int { return l.base + len(l.entries) }

func (l *changeLog) token(n int) string { return l.epoch + "." + strconv.Itoa(n) }

// position reads a token: the number of the next change to read, or false
// when the token is not one this log can serve.
func (l *changeLog) position(tok string) (int, bool) {
	if strings.EqualFold(tok, "latest") {
		return l.next(), true
	}
	epoch, num, ok := strings.Cut(tok, ".")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || epoch != l.epoch || n < l.base || n > l.next() {
		return 0, false
	}
	return n, true
}

func (l *changeLog) add(e changeEntry) {
	l.entries = append(l.entries, e)
	// Trimmed in steps of a quarter, not one entry at a time.
	if over := len(l.entries) - changeLogRetention; over > changeLogRetention/4 {
		l.entries = append([]changeEntry(nil), l.entries[over:]...)
		l.base += over
	}
	close(l.notify)
	l.notify = make(chan struct{})
}

// logged is what the change log last recorded of a session.
type logged struct {
	events  int
	stopped bool
	// running are the events last seen Running: one that ends is a change.
	running []*event
}

// logCreated logs a new session, at eTag 1; with s.mu held.
func (s *Simulator) logCreated(sess *session, now time.Time) {
	sess.etag = 1
	sess.logged = logged{}
	s.trackEvents(sess, now)
	s.changes.add(changeEntry{sessionID: sess.id, etag: sess.etag})
}

// trackEvents notes the session's events since the last look, keeps those
// still running, and says whether any of them ended; with s.mu held.
func (s *Simulator) trackEvents(sess *session, now time.Time) (ended bool) {
	for _, e := range sess.events[sess.logged.events:] {
		if st, _, _ := e.view(sess, now); st == "Running" {
			sess.logged.running = append(sess.logged.running, e)
		}
	}
	kept := sess.logged.running[:0]
	for _, e := range sess.logged.running {
		if st, _, _ := e.view(sess, now); st == "Running" {
			kept = append(kept, e)
		} else {
			ended = true
		}
	}
	clear(sess.logged.running[len(kept):])
	sess.logged.running = kept
	sess.logged.events = len(sess.events)
	return ended
}

// noteChange bumps the session's eTag and logs a RestoreSessionUpdate when
// it changed since the last look: events added or ended, or it stopped.
// Idempotent; with s.mu held.
func (s *Simulator) noteChange(sess *session, now time.Time) {
	added := len(sess.events) != sess.logged.events
	stopped := sess.stopped != sess.logged.stopped
	ended := s.trackEvents(sess, now)
	sess.logged.stopped = sess.stopped
	if !added && !stopped && !ended {
		return
	}
	sess.etag++
	s.changes.add(changeEntry{sessionID: sess.id, etag: sess.etag})
}

// nextChangeDue is the earliest time after now at which something the
// scenario scheduled changes a session by itself (an event appears or ends,
// the session stops); zero when nothing is due. With s.mu held.
func (s *Simulator) nextChangeDue(now time.Time) time.Time {
	var due time.Time
	at := func(t time.Time) {
		if t.After(now) && (due.IsZero() || t.Before(due)) {
			due = t
		}
	}
	for _, sess := range s.order {
		if sess.stopped {
			continue
		}
		if sess.nextScript < len(sess.script) {
			at(sess.created.Add(sess.script[sess.nextScript].Offset.D()))
		}
		for _, e := range sess.logged.running {
			if e.duration >= 0 {
				at(e.start.Add(e.duration))
			}
		}
		if !sess.stopAt.IsZero() {
			at(sess.stopAt)
		}
		if !sess.pendingStop.IsZero() {
			at(sess.pendingStop)
		}
		if idle := s.idleTimeoutFor(sess.org); idle > 0 {
			at(sess.lastTouch.Add(idle))
		}
	}
	return due
}

// handleChanges is v8's GET /Events?from&limit&timeoutSeconds. With the
// feed turned off (Behaviour.ChangeFeedOff) it answers as a server without
// the route. A token the log cannot serve answers 400 OutdatedChangeToken;
// "latest" reads from the end of the log (no change already logged).
func (s *Simulator) handleChanges(c *call) response {
	if s.beh.changeFeedOff {
		return errorResponse(c.vn, http.StatusNotFound, "ResourceNotFound",
			"No HTTP resource was found that matches the request URI '"+c.r.URL.Path+"'.")
	}
	q := lowerQuery(c.r)
	from, ok := q["from"]
	if !ok || strings.TrimSpace(from) == "" {
		return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The from parameter is required: a change token or latest.")
	}
	limit := defaultLimit
	if raw, ok := q["limit"]; ok {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The value '"+raw+"' is not valid for limit.")
		}
		if n > 0 {
			limit = min(n, maxLimit)
		}
	}
	var wait time.Duration
	if raw, ok := q["timeoutseconds"]; ok {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The value '"+raw+"' is not valid for timeoutSeconds.")
		}
		wait = min(time.Duration(n)*time.Second, maxChangeWait)
	}
	pos, ok := s.changes.position(from)
	if !ok {
		return errorResponse(c.vn, http.StatusBadRequest, "OutdatedChangeToken", "The change token is outdated or unknown; read again from latest.")
	}
	epoch := s.changes.epoch
	now := s.now()
	s.advanceAll(now)
	if s.changes.next() > pos || wait <= 0 {
		return s.changesPage(c, pos, limit)
	}
	deadline := time.Now().Add(wait)
	return response{block: func(ctx context.Context) response {
		for {
			s.mu.Lock()
			now := s.now()
			s.advanceAll(now)
			switch {
			case s.beh.changeFeedOff:
				s.mu.Unlock()
				return errorResponse(c.vn, http.StatusNotFound, "ResourceNotFound",
					"No HTTP resource was found that matches the request URI '"+c.r.URL.Path+"'.")
			case s.changes.epoch != epoch:
				s.mu.Unlock()
				return errorResponse(c.vn, http.StatusBadRequest, "OutdatedChangeToken", "The change token is outdated or unknown; read again from latest.")
			}
			left := time.Until(deadline)
			if s.changes.next() > pos || left <= 0 {
				resp := s.changesPage(c, pos, limit)
				s.mu.Unlock()
				return resp
			}
			if due := s.nextChangeDue(now); !due.IsZero() {
				left = min(left, due.Sub(now)+time.Millisecond)
			}
			notify := s.changes.notify
			s.mu.Unlock()
			t := time.NewTimer(left)
			select {
			case <-notify:
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return response{status: http.StatusServiceUnavailable}
			case <-s.closed:
				deadline = time.Now()
			}
			t.Stop()
		}
	}}
}

// advanceAll applies what time did to every session (due events, stops)
// and logs it; with s.mu held.
func (s *Simulator) advanceAll(now time.Time) {
	for _, sess := range s.order {
		s.advance(sess, now)
	}
}

// changesPage answers the changes from pos on, at most limit of them; with
// s.mu held.
func (s *Simulator) changesPage(c *call, pos, limit int) response {
	end := min(s.changes.next(), pos+limit)
	results := make([]wireChange, 0, end-pos)
	for _, e := range s.changes.entries[pos-s.changes.base : end-s.changes.base] {
		results = append(results, wireChange{EventType: "RestoreSessionUpdate", ID: e.sessionID, ETag: e.etag})
	}
	return jsonResponse(http.StatusOK, wireChangesPage{
		NextChangeToken: s.changes.token(end),
		Limit:           limit,
		SetID:           uuid.NewString(),
		Results:         results,
		Links:           wireLinks{{"self", c.link("/Events?from=" + s.changes.token(pos))}},
	})
}

// wireChangesPage is v8's Events_GetResponse.
type wireChangesPage struct {
	NextChangeToken string       `json:"nextChangeToken"`
	Limit           int          `json:"limit"`
	SetID           string       `json:"setId"`
	Results         []wireChange `json:"results"`
	Links           wireLinks    `json:"_links"`
}

// wireChange is v8's RESTRestoreSessionUpdateEvent.
type wireChange struct {
	EventType string `json:"eventType"`
	ID        string `json:"id"`
	ETag      int64  `json:"eTag"`
}
