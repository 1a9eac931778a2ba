package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// heartbeatThrottle is what the Go SDK lets through to the server for the
// product's wait activity: 0.8 x its heartbeat timeout (workflows/options.go
// withWait). The activity heartbeats every 10 s; the SDK sends the first and
// then at most one per throttle interval. fetchHistory checks the timeout
// against the one the workflow really scheduled, so this cannot drift.
const (
	waitHeartbeatTimeout = time.Minute
	heartbeatThrottle    = waitHeartbeatTimeout * 8 / 10
)

// histStats is what one workflow's history says.
type histStats struct {
	Events int `json:"events"`
	// Actions are the billable actions visible in the history (see
	// countActions); heartbeats are not in the history.
	Actions    int `json:"actions"`
	Activities int `json:"activities"`
	Timers     int `json:"timers"`
	// Waits are the product's WaitForSessionEvents activities that completed
	// (each is one batch); WaitDurations their schedule-to-close times.
	Waits int `json:"waits"`
	// Versioning are the events of workflow.GetVersion: a marker, and the
	// upsert of TemporalChangeVersion that the Go SDK adds, per change.
	// Temporal Cloud bills neither as an action.
	Versioning    int             `json:"versioning"`
	WaitDurations []time.Duration `json:"-"`
	// Polls are the naive anchor's poll activities.
	Polls          int       `json:"polls"`
	Started        time.Time `json:"-"`
	SessionCreated time.Time `json:"-"`
	Closed         time.Time `json:"-"`
}

// versionMarker is the name of the markers workflow.GetVersion records;
// changeVersionAttribute the search attribute the Go SDK upserts with each.
const (
	versionMarker          = "Version"
	changeVersionAttribute = "TemporalChangeVersion"
)

// fetchHistory reads a closed workflow's history (the latest run).
func fetchHistory(ctx context.Context, c client.Client, workflowID string) (histStats, error) {
	var st histStats
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	actType := map[int64]string{}
	scheduled := map[int64]time.Time{}
	lastWFTCompleted, lastMarkerWFT := int64(-1), int64(-2)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return st, err
		}
		st.Events++
		at := e.GetEventTime().AsTime()
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			st.Actions++
			st.Started = at
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			lastWFTCompleted = e.GetEventId()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			st.Activities++
			attrs := e.GetActivityTaskScheduledEventAttributes()
			actType[e.GetEventId()] = attrs.GetActivityType().GetName()
			scheduled[e.GetEventId()] = at
			if hb := attrs.GetHeartbeatTimeout().AsDuration(); actType[e.GetEventId()] == "WaitForSessionEvents" && hb != waitHeartbeatTimeout {
				return st, fmt.Errorf("the workflow schedules WaitForSessionEvents with a %s heartbeat timeout, the bench computes heartbeats for %s: update waitHeartbeatTimeout", hb, waitHeartbeatTimeout)
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			// Every attempt is an action; the event records the last one.
			st.Actions += max(1, int(e.GetActivityTaskStartedEventAttributes().GetAttempt()))
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			id := e.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()
			name := actType[id]
			switch {
			case name == "WaitForSessionEvents":
				st.Waits++
				st.WaitDurations = append(st.WaitDurations, at.Sub(scheduled[id]))
			case name == "NaivePoll":
				st.Polls++
			case strings.HasSuffix(name, "Create") || name == "CreateRestoreSession":
				st.SessionCreated = at
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			id := e.GetActivityTaskCanceledEventAttributes().GetScheduledEventId()
			if actType[id] == "WaitForSessionEvents" {
				st.WaitDurations = append(st.WaitDurations, at.Sub(scheduled[id]))
			}
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			st.Timers++
			st.Actions++
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			if fields := e.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields(); len(fields) == 1 && fields[changeVersionAttribute] != nil {
				st.Versioning++
			} else {
				st.Actions++
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
			enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
			enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
			enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
			st.Actions++
		case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
			st.Actions += 2
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if e.GetMarkerRecordedEventAttributes().GetMarkerName() == versionMarker {
				st.Versioning++
				break
			}
			// Local activities: all markers of one workflow task are one action.
			if lastMarkerWFT != lastWFTCompleted {
				st.Actions++
				lastMarkerWFT = lastWFTCompleted
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
			enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
			enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
			st.Closed = at
		}
	}
	return st, nil
}

// heartbeatActions estimates the heartbeats that reach the server for the
// product's waits, with each wait's duration multiplied by scale (the
// history scenario runs at 1/scale of real time).
func heartbeatActions(waits []time.Duration, scale float64) int {
	n := 0
	for _, d := range waits {
		n += heartbeatsFor(time.Duration(float64(d) * scale))
	}
	return n
}

// firstHeartbeat is when the wait heartbeats first: one heartbeat interval
// (a fifth of its timeout, at most 10 s) after it starts (activities/events.go).
const firstHeartbeat = min(waitHeartbeatTimeout/5, 10*time.Second)

// heartbeatsFor is the number of heartbeats a wait of d sends to the server:
// none before firstHeartbeat, then one per throttle interval.
func heartbeatsFor(d time.Duration) int {
	if d < firstHeartbeat {
		return 0
	}
	return 1 + int((d-firstHeartbeat)/heartbeatThrottle)
}
