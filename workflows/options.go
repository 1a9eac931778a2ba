package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
)

// acts is only used to name activities: calls through a nil *Activities
// resolve to the registered methods by name.
var acts *activities.Activities

// backoff is the retry policy of every VB365 call: 1s doubling to 1m, for as
// long as the activity's schedule-to-close timeout allows, except for the
// activities' permanent error types. Transient errors carry Retry-After as
// the next delay.
func backoff() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        time.Minute,
		NonRetryableErrorTypes: activities.NonRetryableErrorTypes,
	}
}

// summary keeps activity summaries within the UI's 200 bytes.
func summary(s string) string {
	const maxLen = 200
	if len(s) <= maxLen {
		return s
	}
	cut := maxLen - 3
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "..."
}

// queuedAttempt is the start-to-close timeout of an attempt whose VB365
// requests may wait for the worker's request budget (VB365_MAX_RATE,
// VB365_MAX_IN_FLIGHT): waiting is not an error, so the attempt's time
// covers the queue. 2,000 restores started together on one worker queue
// about 6,000 requests to open, 5 minutes at 20 requests/s. Such an
// activity heartbeats while it runs (queuedHeartbeat), so a crashed
// worker's attempt still times out within a minute.
const (
	queuedAttempt   = 10 * time.Minute
	queuedHeartbeat = time.Minute
)

// withGetOrganization: a queued attempt (queuedAttempt), within 15 minutes
// in all.
func withGetOrganization(ctx workflow.Context, orgID string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    queuedAttempt,
		HeartbeatTimeout:       queuedHeartbeat,
		ScheduleToCloseTimeout: 15 * time.Minute,
		RetryPolicy:            backoff(),
		Summary:                summary("read VB365 organization " + orgID),
	})
}

// withCreate: the heartbeat timeout makes a crashed worker's attempt time out
// (its pre-POST heartbeat details survive into the next attempt, which then
// adopts instead of creating). An attempt is a queued one (queuedAttempt):
// its POST may wait for the VB365 budget; the attempt's deadline also ends
// the window in which a later attempt looks for the session of a lost POST
// (CreateProgress.LastPostBy). The schedule-to-close bound lets a restore
// fail rather than hang when VB365 is down for long.
func withCreate(ctx workflow.Context, s string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    queuedAttempt,
		HeartbeatTimeout:       queuedHeartbeat,
		ScheduleToCloseTimeout: 30 * time.Minute,
		RetryPolicy:            backoff(),
		Summary:                summary(s),
	})
}

// withWait: one long attempt that heartbeats; its start-to-close covers the
// maximum wait plus a margin for the last poll. The heartbeat timeout is how
// soon a crashed worker's wait is retried elsewhere; the SDK sends at most
// one heartbeat per 0.8 of it, and each is a server write (and a billable
// action on Temporal Cloud), so an idle session costs ~75 heartbeats an
// hour at 60s rather than ~150 at 30s (docs/performance.md). A stop does
// not wait for the wait's cancellation, so it stays prompt.
func withWait(ctx workflow.Context, maxWait time.Duration, s string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: maxWait + 2*time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         backoff(),
		Summary:             summary(s),
	})
}

// withStop has no overall bound: the workflow's promise is to leave the
// session stopped, so it retries until VB365 answers (or refuses for good).
// An attempt is a queued one (queuedAttempt).
func withStop(ctx workflow.Context, s string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: queuedAttempt,
		HeartbeatTimeout:    queuedHeartbeat,
		RetryPolicy:         backoff(),
		Summary:             summary(s),
	})
}

// withStopBounded is withStop bounded by bound (Options.StopConfirmBound):
// a VB365 that accepts stops and never stops the session must not keep the
// workflow open for ever without a word; the workflow fails
// SessionStopUnconfirmed instead.
func withStopBounded(ctx workflow.Context, bound time.Duration, s string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    queuedAttempt,
		HeartbeatTimeout:       queuedHeartbeat,
		ScheduleToCloseTimeout: bound,
		RetryPolicy:            backoff(),
		Summary:                summary(s),
	})
}

// withRelease: best effort after a failed creation, bounded so that the
// workflow's failure is not held back for long by a VB365 that is down.
func withRelease(ctx workflow.Context, s string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    2 * time.Minute,
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy:            backoff(),
		Summary:                summary(s),
	})
}

// withFetch: a queued attempt (queuedAttempt).
func withFetch(ctx workflow.Context, s string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    queuedAttempt,
		HeartbeatTimeout:       queuedHeartbeat,
		ScheduleToCloseTimeout: 30 * time.Minute,
		RetryPolicy:            backoff(),
		Summary:                summary(s),
	})
}

func withCheckSearchAttributes(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		Summary:             "check VB365 search attributes are registered",
	})
}
