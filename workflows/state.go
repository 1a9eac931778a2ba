package workflows

import (
	"time"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// Bounds of what the workflow keeps in memory and returns. Every event is in
// the history anyway (in the activity results); these bound the report, the
// query answer and the continue-as-new payload.
const (
	reportEventBound = 1000
	statusEventBound = 10
	// defaultBatchesPerRun continues as new after this many event batches,
	// whatever the server suggests (about 6 history events per batch).
	defaultBatchesPerRun = 500
)

// Continuation is the state of a restore that continues as new: enough to
// resume the session loop without validating or creating anything.
type Continuation struct {
	Organization         OrganizationInfo     `json:"organization"`
	RequestedPointInTime *time.Time           `json:"requestedPointInTime,omitempty"`
	EffectivePointInTime time.Time            `json:"effectivePointInTime"`
	ClampedToLatest      bool                 `json:"clampedToLatest"`
	Session              vb365.RestoreSession `json:"session"`
	SessionAdopted       bool                 `json:"sessionAdopted,omitempty"`
	// SessionMissing is true once VB365 no longer knows the session.
	SessionMissing bool `json:"sessionMissing,omitempty"`
	// Deadline is when maxSessionDuration elapses, computed once when the
	// session was created.
	Deadline     time.Time     `json:"deadline"`
	PollInterval time.Duration `json:"pollInterval"`
	// SearchAttributes records the CheckSearchAttributes answer.
	SearchAttributes bool     `json:"searchAttributes"`
	Events           EventLog `json:"events"`
	// Runs counts the runs before this one.
	Runs int `json:"runs"`
}

// EventLog is the record of a session's events: the cursor, the counts and a
// bounded tail.
type EventLog struct {
	// LastOrder is the order of the last recorded event, -1 before the first.
	LastOrder int32 `json:"lastOrder"`
	// Latest are the last recorded events (at most reportEventBound);
	// Dropped counts the older ones left out.
	Latest  []vb365.RestoreSessionEvent `json:"latest,omitempty"`
	Dropped int                         `json:"dropped,omitempty"`
	Counts  EventCounts                 `json:"counts"`
	// Batches counts the batches that brought at least one new event.
	Batches int `json:"batches"`
}

func newEventLog() EventLog { return EventLog{LastOrder: -1} }

// record appends the events it has not seen (order greater than LastOrder),
// in the order given (the activities sort them), and returns how many.
func (l *EventLog) record(events []vb365.RestoreSessionEvent) int {
	added := 0
	for _, e := range events {
		if e.Order <= l.LastOrder {
			continue
		}
		l.LastOrder = e.Order
		l.Counts.Total++
		if l.Counts.ByStatus == nil {
			l.Counts.ByStatus = map[string]int{}
		}
		status := e.Status
		if status == "" {
			status = "Unknown"
		}
		l.Counts.ByStatus[status]++
		l.Latest = append(l.Latest, e)
		added++
	}
	if over := len(l.Latest) - reportEventBound; over > 0 {
		l.Latest = append([]vb365.RestoreSessionEvent(nil), l.Latest[over:]...)
		l.Dropped += over
	}
	if added > 0 {
		l.Batches++
	}
	return added
}

// tail returns the last n events.
func (l *EventLog) tail(n int) []vb365.RestoreSessionEvent {
	if len(l.Latest) <= n {
		return l.Latest
	}
	return l.Latest[len(l.Latest)-n:]
}
