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
	// eventTextBound clips the free-text fields of a recorded event
	// (Message, ItemName, Title, Source, Target), in runes.
	eventTextBound = 1000
	// latestSizeBound bounds EventLog.Latest by an estimate of its size in
	// bytes, well under the server's 2 MB payload limit (the continue-as-new
	// input, the result and a cancel's details each carry it), leaving room
	// for JSON escaping.
	latestSizeBound = 1 << 20
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
	// Latest are the last recorded events: at most reportEventBound, and at
	// most about latestSizeBound bytes; their Message, ItemName, Title,
	// Source and Target are clipped to eventTextBound runes (ending in "…").
	// The history keeps every event as VB365 sent it (in the activities'
	// results). Dropped counts the older ones left out.
	Latest  []vb365.RestoreSessionEvent `json:"latest,omitempty"`
	Dropped int                         `json:"dropped,omitempty"`
	Counts  EventCounts                 `json:"counts"`
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
		l.Latest = append(l.Latest, clipEvent(e))
		added++
	}
	over := len(l.Latest) - reportEventBound
	size := 0
	for i := len(l.Latest) - 1; i >= max(over, 0); i-- {
		if size += eventSize(l.Latest[i]); size > latestSizeBound {
			over = i + 1
			break
		}
	}
	if over > 0 {
		l.Latest = append([]vb365.RestoreSessionEvent(nil), l.Latest[over:]...)
		l.Dropped += over
	}
	return added
}

// clipEvent bounds the free-text fields of an event (eventTextBound).
func clipEvent(e vb365.RestoreSessionEvent) vb365.RestoreSessionEvent {
	for _, f := range []*string{&e.Message, &e.ItemName, &e.Title, &e.Source, &e.Target} {
		*f = Clip(*f, eventTextBound)
	}
	return e
}

// eventSize estimates an event's size in JSON: its strings plus the field
// names, times and numbers.
func eventSize(e vb365.RestoreSessionEvent) int {
	return 300 + len(e.ID) + len(e.Type) + len(e.Status) + len(e.Title) + len(e.Message) + len(e.Duration) +
		len(e.ItemName) + len(e.ItemType) + len(e.Source) + len(e.Target)
}

// tail returns the last n events.
func (l *EventLog) tail(n int) []vb365.RestoreSessionEvent {
	if len(l.Latest) <= n {
		return l.Latest
	}
	return l.Latest[len(l.Latest)-n:]
}
