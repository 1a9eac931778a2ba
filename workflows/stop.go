package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// maxFinalFetches bounded the calls that read the events after a stop
// (each reads up to 500) before changeContinueOnHistorySize: histories of
// earlier releases replay with it. Newer runs read to the end, continuing as
// new when the history is full.
const maxFinalFetches = 20

// errContinueEnding is fetchFinalEvents asking to continue as new.
var errContinueEnding = errors.New("continue as new to read the rest of the final events")

// finish ends the restore actions (a running one canceled, and awaited
// until its cancellation is recorded; see endActions), stops the session
// (unless VB365 already did), records the events up to the stop and
// returns the report. The stop, the final fetch and the
// upsert run on a disconnected context: a cancel that arrives while the stop
// is scheduled or retrying must not abandon it and leave the session open.
// If the workflow was cancelled (before or meanwhile), it ends as cancelled
// once the session is stopped. The report cannot be the result of a
// cancelled workflow, so it travels as the CanceledError's details (in the
// history's cancel event), the log and the current details.
func (r *restoreRun) finish(ctx workflow.Context, reason EndReason) (RestoreReport, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	r.endReason = reason
	r.phase = PhaseStopping
	r.publishDetails(ctx)
	r.endActions(ctx, reason)
	r.logger.Info("ending restore session", "endReason", reason)
	if err := r.stopSession(dctx); err != nil {
		if isStopUnconfirmed(err) {
			return r.endUnconfirmed(dctx, err)
		}
		if ctx.Err() != nil {
			r.logger.Error("cancelled, but the restore session could not be stopped", "error", err)
		}
		return RestoreReport{}, err
	}
	if workflow.GetVersion(ctx, changeStopUpdateAnswersWhenStopped, workflow.DefaultVersion, 1) >= 1 {
		r.stopped = true
	}
	return r.afterStop(ctx, false)
}

// afterStop records the events up to the stop and ends the workflow (see
// finish); wasCanceled carries a cancel from an earlier run.
func (r *restoreRun) afterStop(ctx workflow.Context, wasCanceled bool) (RestoreReport, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	finalErr := r.fetchFinalEvents(dctx, func() bool {
		return r.historyFull(dctx) && workflow.AllHandlersFinished(dctx)
	})
	canceled := wasCanceled || ctx.Err() != nil
	if errors.Is(finalErr, errContinueEnding) {
		return RestoreReport{}, r.continueAsNew(dctx, &Ending{EndReason: r.endReason, Stop: r.stopReq, Canceled: canceled})
	}
	r.upsertSearchAttributes(dctx, false)
	if canceled {
		r.endReason = EndReasonCanceled
	}
	r.phase = PhaseDone
	report := r.report()
	if finalErr != nil {
		report.FinalEventsError = finalErr.Error()
	}
	if canceled {
		r.logger.Info("restore cancelled; session stopped",
			"state", report.Session.State, "eventsRecorded", report.EventCounts.Total)
		return RestoreReport{}, temporal.NewCanceledError(report)
	}
	r.logger.Info("restore session ended", "endReason", r.endReason, "eventsRecorded", r.state.Events.Counts.Total)
	return report, nil
}

// cancel is the ending of a cancelled workflow (see finish).
func (r *restoreRun) cancel(ctx workflow.Context) (RestoreReport, error) {
	return r.finish(ctx, EndReasonCanceled)
}

// failAfterStopping is the exit for a failure while the session is open: the
// actions are ended and the session is stopped first, because an open
// session holds VB365 resources.
func (r *restoreRun) failAfterStopping(ctx workflow.Context, cause error) (RestoreReport, error) {
	r.logger.Error("restore failed; stopping the session", "error", cause)
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	r.endReason = EndReasonFailed
	r.endActions(ctx, r.endReason)
	if err := r.stopSession(dctx); err != nil {
		if isStopUnconfirmed(err) {
			var appErr *temporal.ApplicationError
			_ = errors.As(err, &appErr)
			return RestoreReport{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("%v; then %s", cause, appErr.Message()), ErrSessionStopUnconfirmed, cause)
		}
		return RestoreReport{}, withNote(cause, fmt.Sprintf("and stopping the session failed: %v", err))
	}
	return RestoreReport{}, cause
}

// sessionEnded: VB365 reports the session Stopped, or no longer knows it.
func (r *restoreRun) sessionEnded() bool {
	return r.state.SessionMissing || r.state.Session.Stopped()
}

// endUnconfirmed ends a restore whose session VB365 never confirmed
// Stopped (stopSession gave up after Options.StopConfirmBound): it records
// the events it can read, then fails SessionStopUnconfirmed with the report
// as the failure's details, saying which events may be missing (those after
// the last recorded one: the session may still write more). A cancelled
// workflow ends the same way: its session is not known to be stopped.
func (r *restoreRun) endUnconfirmed(dctx workflow.Context, stopErr error) (RestoreReport, error) {
	finalErr := r.fetchFinalEvents(dctx, nil)
	r.upsertSearchAttributes(dctx, false)
	r.phase = PhaseDone
	var appErr *temporal.ApplicationError
	_ = errors.As(stopErr, &appErr)
	report := r.report()
	report.StopUnconfirmed = appErr.Message()
	report.FinalEventsError = fmt.Sprintf("events after order %d may be missing: the session is %q in VB365, which may still add or end events",
		r.state.Events.LastOrder, r.state.Session.State)
	if finalErr != nil {
		report.FinalEventsError += "; reading the events failed: " + finalErr.Error()
	}
	r.logger.Error("restore session not confirmed stopped; it may still be open in VB365",
		"endReason", r.endReason, "state", r.state.Session.State, "eventsRecorded", r.state.Events.Counts.Total, "error", stopErr)
	return RestoreReport{}, temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("%s (%s)", appErr.Message(), report.FinalEventsError), ErrSessionStopUnconfirmed, appErr.Unwrap(), report)
}

func (r *restoreRun) stopSession(ctx workflow.Context) error {
	if r.state.SessionMissing || r.state.Session.Stopped() {
		return nil
	}
	what := fmt.Sprintf("stop restore session %s", r.state.Session.ID)
	bounded := workflow.GetVersion(ctx, changeStopConfirmBound, workflow.DefaultVersion, 1) >= 1
	actx := withStop(ctx, what)
	if bounded {
		actx = withStopBounded(ctx, r.opts.StopConfirmBound, what)
	}
	var res activities.StopRestoreSessionResult
	err := workflow.ExecuteActivity(actx, acts.StopRestoreSession,
		activities.StopRestoreSessionInput{SessionID: r.state.Session.ID}).Get(ctx, &res)
	if err != nil {
		if bounded && !isCanceled(err) {
			// Whatever the last failure (VB365 accepting stops and not
			// stopping, or refusing them, or down), the session is not
			// known to be stopped.
			return temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("restore session %q not confirmed Stopped after stopping it for up to %s: %s",
					r.state.Session.ID, r.opts.StopConfirmBound, lastFailure(err)), ErrSessionStopUnconfirmed, err)
		}
		return activityFailure(fmt.Sprintf("stop restore session %q", r.state.Session.ID), err)
	}
	switch {
	case res.Missing:
		r.state.SessionMissing = true
	case res.Session != nil:
		r.state.Session = *res.Session
	}
	if !r.sessionEnded() {
		if bounded {
			return temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("restore session %q still %q after a stop VB365 accepted", r.state.Session.ID, r.state.Session.State),
				ErrSessionStopUnconfirmed, nil)
		}
		// VB365 accepted the stop but still reports the old state; record
		// what it said, the report shows it.
		r.logger.Warn("restore session not yet reported stopped", "state", r.state.Session.State)
	}
	return nil
}

// fetchFinalEvents reads the events after the cursor, so the report holds
// every event up to the stop. A failure is returned for the report
// (FinalEventsError), not fatal: the session is already stopped. It reads to
// the end, but returns errContinueEnding between two reads when
// mayContinue (nil: never) says the run should continue as new. Histories
// of earlier releases stopped after maxFinalFetches reads.
func (r *restoreRun) fetchFinalEvents(ctx workflow.Context, mayContinue func() bool) error {
	if r.state.SessionMissing {
		return nil
	}
	toTheEnd := workflow.GetVersion(ctx, changeContinueOnHistorySize, workflow.DefaultVersion, 1) >= 1
	for n := 0; toTheEnd || n < maxFinalFetches; n++ {
		if toTheEnd && n > 0 && mayContinue != nil && mayContinue() {
			return errContinueEnding
		}
		var res activities.SessionEventsResult
		err := workflow.ExecuteActivity(withFetch(ctx, fmt.Sprintf("read final events of restore session %s", r.state.Session.ID)),
			acts.FetchSessionEvents, activities.FetchSessionEventsInput{SessionCursor: r.cursor()}).Get(ctx, &res)
		if err != nil {
			r.logger.Warn("could not read the final events", "error", err)
			return fmt.Errorf("read final events of restore session %q: %w", r.state.Session.ID, err)
		}
		r.applyBatch(ctx, &res) // keeps the stopped session when the fetch read none
		if !res.More || len(res.Events) == 0 {
			return nil
		}
	}
	err := fmt.Errorf("events after order %d not read: the final fetch stopped after %d reads of up to 500 events while VB365 still reported more (they remain in VB365)",
		r.state.Events.LastOrder, maxFinalFetches)
	r.logger.Warn("final events not all read", "error", err)
	return err
}

// report is the audit record of the run so far.
func (r *restoreRun) report() RestoreReport {
	rep := RestoreReport{
		Organization:         r.state.Organization,
		RequestedPointInTime: r.state.RequestedPointInTime,
		EffectivePointInTime: r.state.EffectivePointInTime,
		ClampedToLatest:      r.state.ClampedToLatest,
		Session:              r.state.Session,
		EventsDropped:        r.state.Events.Dropped,
		EndReason:            r.endReason,
		SessionAdopted:       r.state.SessionAdopted,
	}
	rep.Events, rep.EventCounts = r.state.Events.withPending()
	rep.Actions, rep.ActionCounts = r.actionRows()
	if rep.Events == nil {
		rep.Events = []vb365.RestoreSessionEvent{}
	}
	if r.stopReq != nil {
		rep.StopRequestedBy, rep.StopReason = r.stopReq.RequestedBy, r.stopReq.Reason
	}
	return rep
}
