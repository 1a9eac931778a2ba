package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// shouldContinueAsNew: when the server suggests it (history size or length),
// or after a bounded number of batches in this run, whichever comes first.
func (r *restoreRun) shouldContinueAsNew(ctx workflow.Context) bool {
	limit := r.in.ContinueAsNewAfterBatches
	if limit <= 0 {
		limit = r.opts.BatchesPerRun
	}
	return r.batchesThisRun >= limit || workflow.GetInfo(ctx).GetContinueAsNewSuggested() || r.historyFull(ctx)
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

// continueEnding continues as new while the events after the stop are read:
// the next run reads the rest and ends as this one would have.
func (r *restoreRun) continueEnding(ctx workflow.Context, canceled bool) error {
	next := r.in
	st := r.st
	st.Runs++
	st.Ending = &Ending{EndReason: r.endReason, Stop: r.stopReq, Canceled: canceled}
	next.Continuation = &st
	r.logger.Info("continuing as new while reading the final events", "eventsRecorded", st.Events.Counts.Total,
		"historySize", workflow.GetInfo(ctx).GetCurrentHistorySize())
	return workflow.NewContinueAsNewError(ctx, RestoreSessionWorkflowName, next)
}
