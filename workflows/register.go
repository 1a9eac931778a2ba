package workflows

import (
	"time"

	"go.temporal.io/sdk/activity"
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
	// run (default defaultBatchesPerRun).
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
	o = o.withDefaults()
	r.RegisterWorkflowWithOptions(func(ctx workflow.Context, in RestoreInput) (RestoreReport, error) {
		return restoreSessionWorkflow(ctx, in, o)
	}, workflowRegisterOptions())
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

// workflowRegisterOptions are shared by the worker and the replay tests.
func workflowRegisterOptions() workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: RestoreSessionWorkflowName}
}
