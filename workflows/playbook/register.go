package playbook

import (
	"go.temporal.io/sdk/workflow"

	"go.temporal.io/sdk/worker"
)

// Register registers RestorePlaybookWorkflow under WorkflowName. The restore
// workflow it starts as children is registered by workflows.Register.
func Register(r worker.Registry) {
	r.RegisterWorkflowWithOptions(RestorePlaybookWorkflow, workflow.RegisterOptions{Name: WorkflowName})
}
