package workflows

import (
	"maps"
	"slices"
	"time"

	"github.com/vb365-restore/vb365-restore/activities"
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
	// defaultHistoryBytesPerRun continues as new once a run's history is
	// this large: well under Temporal's 10 MB warning (50 MB limit), and
	// before the server's own suggestion, so that a burst of large batches
	// (up to maxBatchBytes each) never reaches the warning.
	defaultHistoryBytesPerRun = 4 << 20
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
	// Ending is set when a run continued as new while reading the events
	// after the stop: the session is stopped, the next run only reads the
	// rest of its events and ends.
	Ending *Ending `json:"ending,omitempty"`
}

// Ending is how a restore that continued as new after its stop ends.
type Ending struct {
	EndReason string       `json:"endReason"`
	Stop      *StopRequest `json:"stop,omitempty"`
	// Canceled: the workflow was cancelled; it ends cancelled.
	Canceled bool `json:"canceled,omitempty"`
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
	// Pending are the events seen Running and not recorded yet, in order,
	// as last read (clipped like Latest): each is recorded, once, with its
	// final status when it ends. LastOrder counts them as seen, so the
	// events after them are recorded meanwhile.
	Pending []activities.RunningEvent `json:"pending,omitempty"`
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
		l.count(e)
		l.Latest = append(l.Latest, clipEvent(e))
		added++
	}
	l.trim()
	return added
}

// apply records a batch read with PastRunning and returns how many events
// it recorded: first the pending events that ended (each once, with its
// final status, in its place by order), then the events after the cursor
// in order: finished ones recorded, running ones held in Pending (a pending
// one read again only refreshes its last status).
func (l *EventLog) apply(settled []vb365.RestoreSessionEvent, running []activities.RunningEvent, ended []vb365.RestoreSessionEvent) int {
	added := 0
	for _, e := range ended {
		i := slices.IndexFunc(l.Pending, func(p activities.RunningEvent) bool { return p.Event.Order == e.Order })
		if i < 0 {
			continue
		}
		l.Pending = slices.Delete(l.Pending, i, i+1)
		l.count(e)
		l.insertLatest(clipEvent(e))
		added++
	}
	items := make([]activities.RunningEvent, 0, len(settled)+len(running))
	for _, e := range settled {
		items = append(items, activities.RunningEvent{Event: e, Offset: -2}) // -2: finished
	}
	items = append(items, running...)
	slices.SortStableFunc(items, func(a, b activities.RunningEvent) int { return int(a.Event.Order) - int(b.Event.Order) })
	for _, it := range items {
		e, isRunning := it.Event, it.Offset != -2
		if e.Order <= l.LastOrder {
			if i := slices.IndexFunc(l.Pending, func(p activities.RunningEvent) bool { return p.Event.Order == e.Order }); i >= 0 && isRunning {
				l.Pending[i].Event = clipEvent(e)
			}
			continue
		}
		l.LastOrder = e.Order
		if isRunning {
			l.Pending = append(l.Pending, activities.RunningEvent{Event: clipEvent(e), Offset: it.Offset})
			continue
		}
		l.count(e)
		l.Latest = append(l.Latest, clipEvent(e))
		added++
	}
	l.trim()
	return added
}

// count counts a recorded event by its status.
func (l *EventLog) count(e vb365.RestoreSessionEvent) {
	l.Counts.Total++
	if l.Counts.ByStatus == nil {
		l.Counts.ByStatus = map[string]int{}
	}
	l.Counts.ByStatus[statusOf(e)]++
}

func statusOf(e vb365.RestoreSessionEvent) string {
	if e.Status == "" {
		return "Unknown"
	}
	return e.Status
}

// insertLatest puts an event recorded late (it ended after later ones) in
// its place by order; one older than every event kept counts as dropped.
func (l *EventLog) insertLatest(e vb365.RestoreSessionEvent) {
	i, _ := slices.BinarySearchFunc(l.Latest, e.Order, func(x vb365.RestoreSessionEvent, o int32) int { return int(x.Order) - int(o) })
	if i == 0 && l.Dropped > 0 {
		l.Dropped++
		return
	}
	l.Latest = slices.Insert(l.Latest, i, e)
}

// trim keeps Latest within reportEventBound events and latestSizeBound bytes.
func (l *EventLog) trim() {
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
}

// withPending is what a report shows: the recorded events with the pending
// ones in their place by order, each with its last status, and the counts
// of both.
func (l *EventLog) withPending() ([]vb365.RestoreSessionEvent, EventCounts) {
	if len(l.Pending) == 0 {
		return l.Latest, l.Counts
	}
	events := slices.Clone(l.Latest)
	counts := EventCounts{Total: l.Counts.Total, ByStatus: maps.Clone(l.Counts.ByStatus)}
	if counts.ByStatus == nil {
		counts.ByStatus = map[string]int{}
	}
	for _, p := range l.Pending {
		i, _ := slices.BinarySearchFunc(events, p.Event.Order, func(x vb365.RestoreSessionEvent, o int32) int { return int(x.Order) - int(o) })
		events = slices.Insert(events, i, p.Event)
		counts.Total++
		counts.ByStatus[statusOf(p.Event)]++
	}
	return events, counts
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
