package playbook

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Options are a worker's bounds of RestorePlaybookWorkflow. The zero value
// takes the defaults, which production uses; tests lower them. Every worker
// of a task queue must use the same options: EventsPerRun decides when a run
// continues as new, so a worker replaying with another value would take
// another path.
type Options struct {
	// EventsPerRun continues a playbook as new once its run's history has
	// this many events (default DefaultEventsPerRun), or sooner when the
	// server suggests it.
	EventsPerRun int
}

// DefaultEventsPerRun is the default Options.EventsPerRun: a fifth of
// Temporal's 51,200-event limit and under its 10,240-event warning.
const DefaultEventsPerRun = 10000

func (o Options) withDefaults() Options {
	if o.EventsPerRun <= 0 {
		o.EventsPerRun = DefaultEventsPerRun
	}
	return o
}

// Register registers RestorePlaybookWorkflow under WorkflowName. The restore
// workflow it starts as children is registered by workflows.Register.
func Register(r worker.Registry) { RegisterWithOptions(r, Options{}) }

// RegisterWithOptions is Register with a worker's bounds (Options).
func RegisterWithOptions(r worker.Registry, o Options) {
	o = o.withDefaults()
	r.RegisterWorkflowWithOptions(func(ctx workflow.Context, in Input) (Report, error) {
		return playbookWorkflow(ctx, in, o)
	}, workflow.RegisterOptions{Name: WorkflowName})
}
