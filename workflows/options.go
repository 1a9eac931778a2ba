package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
)

// Options are a worker's bounds of RestoreSessionWorkflow. The zero value
// takes the defaults, which production uses; tests lower them to reach a
// bound in seconds. Every worker of a task queue must use the same options:
// BatchesPerRun and HistoryBytesPerRun decide when a run continues as new,
// so a worker replaying with other values would take another path.
type Options struct {
	// StopConfirmBound is how long the workflow keeps stopping a session
	// VB365 does not confirm Stopped before it fails SessionStopUnconfirmed
	// (default DefaultStopConfirmBound).
	StopConfirmBound time.Duration
	// BatchesPerRun continues as new after this many event batches in one
	// run (default defaultBatchesPerRun), or sooner when the server suggests
	// it or the history reaches HistoryBytesPerRun.
	BatchesPerRun int
	// HistoryBytesPerRun continues as new once a run's history is this large
	// (default defaultHistoryBytesPerRun).
	HistoryBytesPerRun int
	// ProgressInterval is the least time between two SignalSessionProgress
	// of a child whose state did not change (default ProgressInterval).
	ProgressInterval time.Duration
	// PlaybookEventsPerRun is the playbook's bound (EventsPerRun of its
	// Options, which the worker passes on): it continues as new once a run's
	// history has this many events. Carried here so that one worker setting
	// reaches both workflows.
	PlaybookEventsPerRun int
}

// Defaults of the bounds on a run, for continue-as-new.
const (
	// defaultBatchesPerRun continues as new after this many event batches,
	// whatever the server suggests (about 6 history events per batch).
	defaultBatchesPerRun = 500
	// defaultHistoryBytesPerRun continues as new once a run's history is
	// this large: well under Temporal's 10 MB warning (50 MB limit), and
	// before the server's own suggestion, so that a burst of large batches
	// (up to maxBatchBytes each) never reaches the warning.
	defaultHistoryBytesPerRun = 4 << 20
)

// DefaultStopConfirmBound is the default Options.StopConfirmBound: long
// enough to ride out a VB365 that stops sessions late or ignores a few stops,
// short enough that an operator hears of a session left open the same hour.
const DefaultStopConfirmBound = 30 * time.Minute

func (o Options) withDefaults() Options {
	if o.StopConfirmBound <= 0 {
		o.StopConfirmBound = DefaultStopConfirmBound
	}
	if o.BatchesPerRun <= 0 {
		o.BatchesPerRun = defaultBatchesPerRun
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = ProgressInterval
	}
	if o.HistoryBytesPerRun <= 0 {
		o.HistoryBytesPerRun = defaultHistoryBytesPerRun
	}
	return o
}

// Register registers RestoreSessionWorkflow and its activities on a worker
// (or a test environment), under the names the workflow calls them by, and
// the session claim workflow the activities start (SessionClaimWorkflowName).
func Register(r worker.Registry, a *activities.Activities) { RegisterWithOptions(r, a, Options{}) }

// RegisterWithOptions is Register with a worker's bounds (Options).
func RegisterWithOptions(r worker.Registry, a *activities.Activities, o Options) {
	RegisterWorkflowWithOptions(r, o)
	r.RegisterWorkflowWithOptions(activities.SessionClaimWorkflow, workflow.RegisterOptions{Name: SessionClaimWorkflowName})
	for name, fn := range map[string]any{
		activities.GetOrganizationName:       a.GetOrganization,
		activities.CheckSearchAttributesName: a.CheckSearchAttributes,
		activities.CreateRestoreSessionName:  a.CreateRestoreSession,
		activities.WaitForSessionEventsName:  a.WaitForSessionEvents,
		activities.FetchSessionEventsName:    a.FetchSessionEvents,
		activities.StopRestoreSessionName:    a.StopRestoreSession,
		activities.ReleaseLostSessionName:    a.ReleaseLostSession,
		activities.RestoreActionName:         a.RestoreAction,
	} {
		r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

// RegisterWorkflowWithOptions registers RestoreSessionWorkflow alone with
// a worker's bounds: what a replayer, which runs no activity, needs.
func RegisterWorkflowWithOptions(r worker.WorkflowRegistry, o Options) {
	o = o.withDefaults()
	r.RegisterWorkflowWithOptions(func(ctx workflow.Context, in RestoreInput) (RestoreReport, error) {
		return restoreSessionWorkflow(ctx, in, o)
	}, workflowRegisterOptions())
}

// workflowRegisterOptions are shared by the worker and the replay tests.
func workflowRegisterOptions() workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: RestoreSessionWorkflowName}
}

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

// actionHeartbeatTimeout is the heartbeat timeout of a restore action. A
// stop or cancel reaches a running action only through a heartbeat's
// answer, and the SDK sends at most one heartbeat per 0.8 of this timeout:
// 20s lets a stop cancel the action within about 16s, and a crashed
// worker's action is retried elsewhere as soon; a restore runs for minutes
// or hours, rarely, so its ~225 heartbeats an hour are cheap. The activity
// heartbeats at least 4 times per timeout (actionPollInterval).
const actionHeartbeatTimeout = 20 * time.Second

// actionPollInterval bounds how often a running restore is read (and the
// action heartbeats): at least 4 times per actionHeartbeatTimeout.
const actionPollInterval = actionHeartbeatTimeout / 4

// withRestoreAction runs one restore action for at most bound (the time
// left before maxSessionDuration stops the session; the action cannot
// outlive it) plus a margin for the session's stop to cancel it first:
//   - v6 and v7 answer the restore request only when the restore is done,
//     possibly hours later, so one attempt's start-to-close is the whole
//     bound, and the activity heartbeats while the request runs;
//   - v8 answers at once and the activity follows the restore by reading
//     it, heartbeating, within the same bound;
//   - retries (transient VB365 failures, a crashed worker) fit in the same
//     bound (schedule-to-close); the activity itself never sends a restore
//     request twice. Its permanent error types are not retried;
//   - WaitForCancellation: a stop or cancel waits until the activity has
//     acknowledged its cancellation, so the report says it was canceled
//     only once it is, and the session is stopped after.
func withRestoreAction(ctx workflow.Context, bound time.Duration, s string) workflow.Context {
	policy := backoff()
	policy.NonRetryableErrorTypes = append(slices.Clone(policy.NonRetryableErrorTypes), actionErrorTypes...)
	timeout := max(bound, 0) + actionMargin
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    timeout,
		ScheduleToCloseTimeout: timeout,
		HeartbeatTimeout:       actionHeartbeatTimeout,
		WaitForCancellation:    true,
		RetryPolicy:            policy,
		Summary:                summary(s),
	})
}

// actionMargin is what a restore action's timeouts add to the time left
// in the session: the session's stop cancels a running action first.
const actionMargin = 10 * time.Minute

// actionErrorTypes are a restore action's permanent error types: a bad
// action, a target the session does not hold, a restore whose outcome is
// unknown (retrying could restore twice).
var actionErrorTypes = []string{activities.ErrTypeInvalidRequest, activities.ErrTypeRestoreTargetNotFound,
	activities.ErrTypeRestoreActionOutcomeUnknown}

func withCheckSearchAttributes(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		Summary:             "check VB365 search attributes are registered",
	})
}
