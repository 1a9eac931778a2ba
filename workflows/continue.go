package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// shouldContinueAsNew: when the server suggests it (history size or length),
// or after a bounded number of batches in this run, whichever comes first.
func (r *restoreRun) shouldContinueAsNew(ctx workflow.Context) bool {
	limit := r.in.ContinueAsNewAfterBatches
	if limit <= 0 {
		limit = defaultBatchesPerRun
	}
	return r.batchesThisRun >= limit || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
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
// and creation. The deadline goes along unchanged.
func (r *restoreRun) continueAsNew(ctx workflow.Context) error {
	next := r.in
	st := r.st
	st.Runs++
	next.Continuation = &st
	r.logger.Info("continuing as new", "eventsRecorded", st.Events.Counts.Total, "batchesThisRun", r.batchesThisRun,
		"historyLength", workflow.GetInfo(ctx).GetCurrentHistoryLength())
	return workflow.NewContinueAsNewError(ctx, RestoreSessionWorkflowName, next)
}
