package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// maxFinalFetches bounds the calls that read the events after a stop (each
// reads up to 500).
const maxFinalFetches = 20

// finish stops the session (unless VB365 already did), records the events up
// to the stop and returns the report.
func (r *restoreRun) finish(ctx workflow.Context, reason string) (RestoreReport, error) {
	r.endReason = reason
	r.phase = PhaseStopping
	r.publishDetails(ctx)
	r.logger.Info("ending restore session", "endReason", reason)
	if err := r.stopSession(ctx); err != nil {
		return RestoreReport{}, err
	}
	finalErr := r.fetchFinalEvents(ctx)
	r.upsertSearchAttributes(ctx, false)
	r.phase = PhaseDone
	report := r.report()
	if finalErr != nil {
		report.FinalEventsError = finalErr.Error()
	}
	r.logger.Info("restore session ended", "endReason", reason, "eventsRecorded", r.st.Events.Counts.Total)
	return report, nil
}

// cancel runs the same ending from a disconnected context (the workflow's
// own is done), then reports the cancellation. The report cannot be the
// result of a cancelled workflow, so it travels as the CanceledError's
// details (in the history's cancel event), the log and the current details.
func (r *restoreRun) cancel(ctx workflow.Context) (RestoreReport, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	report, err := r.finish(dctx, EndReasonCanceled)
	if err != nil {
		r.logger.Error("cancelled, but the restore session could not be stopped", "error", err)
		return RestoreReport{}, err
	}
	r.logger.Info("restore cancelled; session stopped", "session", report.Session.ID,
		"state", report.Session.State, "eventsRecorded", report.EventCounts.Total)
	return RestoreReport{}, temporal.NewCanceledError(report)
}

// failAfterStopping is the exit for a failure while the session is open: the
// session is stopped first, because an open session holds VB365 resources.
func (r *restoreRun) failAfterStopping(ctx workflow.Context, cause error) (RestoreReport, error) {
	r.logger.Error("restore failed; stopping the session", "error", cause)
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	r.endReason = "failed"
	if err := r.stopSession(dctx); err != nil {
		return RestoreReport{}, fmt.Errorf("%w (and stopping the session failed: %v)", cause, err)
	}
	return RestoreReport{}, cause
}

func (r *restoreRun) stopSession(ctx workflow.Context) error {
	if r.st.SessionMissing || r.st.Session.Stopped() {
		return nil
	}
	var res activities.StopRestoreSessionResult
	err := workflow.ExecuteActivity(withStop(ctx, fmt.Sprintf("stop restore session %s", r.st.Session.ID)),
		acts.StopRestoreSession, activities.StopRestoreSessionInput{SessionID: r.st.Session.ID}).Get(ctx, &res)
	if err != nil {
		return fmt.Errorf("stop restore session %q: %w", r.st.Session.ID, err)
	}
	switch {
	case res.Missing:
		r.st.SessionMissing = true
	case res.Session != nil:
		r.st.Session = *res.Session
	}
	if !r.st.SessionMissing && !r.st.Session.Stopped() {
		// VB365 accepted the stop but still reports the old state; record
		// what it said, the report shows it.
		r.logger.Warn("restore session not yet reported stopped", "state", r.st.Session.State)
	}
	return nil
}

// fetchFinalEvents reads the events after the cursor, so the report holds
// every event up to the stop. A failure is returned for the report, not
// fatal: the session is already stopped.
func (r *restoreRun) fetchFinalEvents(ctx workflow.Context) error {
	if r.st.SessionMissing {
		return nil
	}
	for range maxFinalFetches {
		var res activities.SessionEventsResult
		err := workflow.ExecuteActivity(withFetch(ctx, fmt.Sprintf("read final events of restore session %s", r.st.Session.ID)),
			acts.FetchSessionEvents, activities.FetchSessionEventsInput{SessionCursor: r.cursor()}).Get(ctx, &res)
		if err != nil {
			r.logger.Warn("could not read the final events", "error", err)
			return fmt.Errorf("read final events of restore session %q: %w", r.st.Session.ID, err)
		}
		stopped := r.st.Session
		r.applyBatch(ctx, &res)
		if res.Session == nil && !res.Missing {
			r.st.Session = stopped
		}
		if !res.More || len(res.Events) == 0 {
			return nil
		}
	}
	return nil
}

// report is the audit record of the run so far.
func (r *restoreRun) report() RestoreReport {
	rep := RestoreReport{
		Organization:         r.st.Organization,
		RequestedPointInTime: r.st.RequestedPointInTime,
		EffectivePointInTime: r.st.EffectivePointInTime,
		ClampedToLatest:      r.st.ClampedToLatest,
		Session:              r.st.Session,
		Events:               r.st.Events.Latest,
		EventsDropped:        r.st.Events.Dropped,
		EventCounts:          r.st.Events.Counts,
		EndReason:            r.endReason,
		SessionAdopted:       r.st.SessionAdopted,
	}
	if rep.Events == nil {
		rep.Events = []vb365.RestoreSessionEvent{}
	}
	if r.stopReq != nil {
		rep.StopRequestedBy, rep.StopReason = r.stopReq.RequestedBy, r.stopReq.Reason
	}
	return rep
}
