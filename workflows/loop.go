package workflows

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// deadlineSlack treats a deadline this close as reached, so a wait that the
// activity's clock ended a little early does not cost another round.
const deadlineSlack = time.Second

// loop records the session's events until something ends it. Each round is
// one WaitForSessionEvents activity that returns only with news or at the
// deadline, so an idle session adds no history; a round costs about six
// history events (activity scheduled/started/completed, one workflow task).
func (r *restoreRun) loop(ctx workflow.Context) (RestoreReport, error) {
	r.initPastRunning(ctx)
	var deadline workflow.Future
	deadlineFired := false
	if rem := r.remaining(ctx); rem > 0 {
		deadline = workflow.NewTimerWithOptions(ctx, rem, workflow.TimerOptions{Summary: "maxSessionDuration"})
	}
	r.publishDetails(ctx)

	for {
		switch {
		case ctx.Err() != nil:
			return r.cancel(ctx)
		case r.stopReq != nil:
			return r.finish(ctx, EndReasonStopRequested)
		case r.state.SessionMissing || r.state.Session.Stopped():
			return r.finish(ctx, EndReasonStoppedInVB365)
		case deadlineFired || r.remaining(ctx) < deadlineSlack:
			return r.finish(ctx, EndReasonMaxDuration)
		case r.shouldContinueAsNew(ctx):
			if err := r.prepareContinueAsNew(ctx); err != nil {
				return RestoreReport{}, err
			}
			if r.stopReq == nil && ctx.Err() == nil {
				return RestoreReport{}, r.continueAsNew(ctx, nil)
			}
			continue // a stop or a cancel came in while draining: handle it
		}

		// Nothing ends the session now: its actions may start.
		r.startActions(ctx)
		waitCtx, cancelWait := workflow.WithCancel(ctx)
		rem := r.remaining(ctx)
		if due, ok := r.progressDue(ctx); ok {
			// Return in time to send the counts held back from the parent.
			rem = min(rem, max(due.Sub(workflow.Now(ctx)), time.Second))
		}
		wait := workflow.ExecuteActivity(
			withWait(waitCtx, rem, fmt.Sprintf("wait for events of restore session %s", r.state.Session.ID)),
			acts.WaitForSessionEvents, activities.WaitForSessionEventsInput{
				SessionCursor: r.cursor(),
				KnownState:    r.state.Session.State,
				PollInterval:  r.state.PollInterval,
				MaxWait:       rem,
			})
		var (
			res     activities.SessionEventsResult
			waitErr error
			got     bool
		)
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(wait, func(f workflow.Future) { got, waitErr = true, f.Get(ctx, &res) })
		sel.AddReceive(r.signals, func(c workflow.ReceiveChannel, _ bool) {
			var req StopRequest
			c.Receive(ctx, &req)
			r.requestStop(req, "signal")
		})
		sel.AddReceive(r.wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		if deadline != nil && !deadlineFired {
			sel.AddFuture(deadline, func(f workflow.Future) { deadlineFired = f.Get(ctx, nil) == nil })
		}
		sel.Select(ctx)

		if !got {
			// A stop, the deadline or a cancel: abandon the wait. Nothing is
			// lost: the final fetch reads from the same cursor.
			cancelWait()
			continue
		}
		cancelWait()
		if waitErr != nil {
			if ctx.Err() != nil || isCanceled(waitErr) {
				continue
			}
			return r.failAfterStopping(ctx, activityFailure(fmt.Sprintf("wait for events of restore session %q", r.state.Session.ID), waitErr))
		}
		r.applyBatch(ctx, &res)
	}
}

// remaining is the time left until the deadline on the workflow's clock.
func (r *restoreRun) remaining(ctx workflow.Context) time.Duration {
	return r.state.Deadline.Sub(workflow.Now(ctx))
}

// cursor tells the activities what is already recorded.
func (r *restoreRun) cursor() activities.SessionCursor {
	c := activities.SessionCursor{SessionID: r.state.Session.ID,
		RecordedCount: r.state.Events.Counts.Total + len(r.state.Events.Pending), AfterOrder: r.state.Events.LastOrder,
		PastRunning: r.pastRunning}
	for _, p := range r.state.Events.Pending {
		c.Pending = append(c.Pending, activities.PendingRef{Order: p.Event.Order, Offset: p.Offset})
	}
	return c
}

// initPastRunning decides, once per run, whether the activities return the
// events after a running one (changeRecordPastRunning); a run that carries
// pending events always reads them.
func (r *restoreRun) initPastRunning(ctx workflow.Context) {
	r.pastRunning = len(r.state.Events.Pending) > 0 ||
		workflow.GetVersion(ctx, changeRecordPastRunning, workflow.DefaultVersion, 1) >= 1
}

// applyBatch records a wait's or a fetch's result.
func (r *restoreRun) applyBatch(ctx workflow.Context, res *activities.SessionEventsResult) {
	r.batchesThisRun++
	var added int
	if r.pastRunning {
		added = r.state.Events.apply(res.Events, res.Running, res.Ended)
	} else {
		added = r.state.Events.record(res.Events)
	}
	stateChanged := false
	if res.Missing {
		r.state.SessionMissing = true
	} else if res.Session != nil {
		stateChanged = res.Session.State != r.state.Session.State
		r.state.Session = *res.Session
	}
	if added > 0 || stateChanged || res.Missing {
		r.logger.Info("restore session news", "newEvents", added, "eventsRecorded", r.state.Events.Counts.Total,
			"state", r.state.Session.State, "missing", r.state.SessionMissing)
	}
	if stateChanged {
		r.upsertSearchAttributes(ctx, false)
	}
	r.notifyParentProgress(ctx, stateChanged)
	r.publishDetails(ctx)
}

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
	// Actions are the restore's action rows (changeRestoreActions): a next
	// run starts only those still pending, so none runs twice.
	Actions []ActionReport `json:"actions,omitempty"`
}

// Ending is how a restore that continued as new after its stop ends.
type Ending struct {
	EndReason EndReason    `json:"endReason"`
	Stop      *StopRequest `json:"stop,omitempty"`
	// Canceled: the workflow was cancelled; it ends cancelled.
	Canceled bool `json:"canceled,omitempty"`
}

// shouldContinueAsNew: when the server suggests it (history size or length),
// or after a bounded number of batches in this run, whichever comes first;
// never while restore actions run (an action must not run twice).
func (r *restoreRun) shouldContinueAsNew(ctx workflow.Context) bool {
	if r.actions.busy {
		return false
	}
	return r.batchesThisRun >= r.opts.BatchesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() || r.historyFull(ctx)
}

// historyFull: this run's history reached Options.HistoryBytesPerRun. Event
// batches are bounded by bytes (maxBatchBytes), so one more batch keeps it
// well under Temporal's warning.
func (r *restoreRun) historyFull(ctx workflow.Context) bool {
	if workflow.GetInfo(ctx).GetCurrentHistorySize() < r.opts.HistoryBytesPerRun {
		return false
	}
	return workflow.GetVersion(ctx, changeContinueOnHistorySize, workflow.DefaultVersion, 1) >= 1
}

// prepareContinueAsNew moves buffered stop signals into the state (a signal
// left in the channel would be lost with this run) and waits for running
// handlers. A stop update arriving meanwhile makes the caller stop instead.
func (r *restoreRun) prepareContinueAsNew(ctx workflow.Context) error {
	var req StopRequest
	for r.signals.ReceiveAsync(&req) {
		r.requestStop(req, "signal")
	}
	return workflow.Await(ctx, func() bool {
		return r.stopReq != nil || workflow.AllHandlersFinished(ctx)
	})
}

// continueAsNew carries the state into the next run, which skips validation
// and creation; the deadline goes along unchanged. With ending (the session
// is stopped and the events after the stop are still being read), the next
// run only reads the rest of them and ends as this one would have.
func (r *restoreRun) continueAsNew(ctx workflow.Context, ending *Ending) error {
	next, carried := r.in, r.state
	carried.Runs++
	carried.Ending = ending
	next.Continuation = &carried
	info := workflow.GetInfo(ctx)
	r.logger.Info("continuing as new", "eventsRecorded", carried.Events.Counts.Total, "batchesThisRun", r.batchesThisRun,
		"historyLength", info.GetCurrentHistoryLength(), "historySize", info.GetCurrentHistorySize(), "readingFinalEvents", ending != nil)
	return workflow.NewContinueAsNewError(ctx, RestoreSessionWorkflowName, next)
}

// Bounds of what the workflow keeps in memory and returns. Every event is in
// the history anyway (in the activity results); these bound the report, the
// query answer and the continue-as-new payload.
const (
	reportEventBound = 1000
	statusEventBound = 10
	// eventTextBound clips the free-text fields of a recorded event
	// (Message, ItemName, Title, Source, Target), in runes.
	eventTextBound = 1000
	// latestSizeBound bounds EventLog.Latest by an estimate of its size in
	// bytes, well under the server's 2 MB payload limit (the continue-as-new
	// input, the result and a cancel's details each carry it), leaving room
	// for JSON escaping.
	latestSizeBound = 1 << 20
)

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
