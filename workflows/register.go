package workflows

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
)

// Register registers RestoreSessionWorkflow and its activities on a worker
// (or a test environment), under the names the workflow calls them by, and
// the session claim workflow the activities start (SessionClaimWorkflowName).
func Register(r worker.Registry, a *activities.Activities) {
	r.RegisterWorkflowWithOptions(RestoreSessionWorkflow, workflowRegisterOptions())
	r.RegisterWorkflowWithOptions(activities.SessionClaimWorkflow, workflow.RegisterOptions{Name: SessionClaimWorkflowName})
	for name, fn := range map[string]any{
		activities.GetOrganizationName:       a.GetOrganization,
		activities.CheckSearchAttributesName: a.CheckSearchAttributes,
		activities.CreateRestoreSessionName:  a.CreateRestoreSession,
		activities.WaitForSessionEventsName:  a.WaitForSessionEvents,
		activities.FetchSessionEventsName:    a.FetchSessionEvents,
		activities.StopRestoreSessionName:    a.StopRestoreSession,
		activities.ReleaseLostSessionName:    a.ReleaseLostSession,
	} {
		r.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

// workflowRegisterOptions are shared by the worker and the replay tests.
func workflowRegisterOptions() workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: RestoreSessionWorkflowName}
}
