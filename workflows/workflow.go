package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// RestoreSessionWorkflow opens a VB365 restore session, records its events
// until it is stopped (by the stop update or signal, in VB365, or after
// maxSessionDuration) and returns the audit report. A cancelled workflow
// stops its session first. It runs with the default Options; a worker
// registers it with its own through RegisterWithOptions.
func RestoreSessionWorkflow(ctx workflow.Context, in RestoreInput) (RestoreReport, error) {
	return restoreSessionWorkflow(ctx, in, Options{}.withDefaults())
}

// restoreRun is one run of RestoreSessionWorkflow: the state it carries
// into the next run (state) plus what only this run needs.
type restoreRun struct {
	opts   Options
	in     RestoreInput
	state  Continuation
	logger log.Logger

	// phase is where the run stands; PhaseDone once its outcome is known
	// (outcome is that outcome's error, if any), and the stop update waits
	// for that. endReason says why the session is being stopped or was.
	phase     Phase
	outcome   error
	endReason EndReason
	stopReq   *StopRequest
	// stopped is set once the session is stopped for good; the stop update
	// answers then.
	stopped bool
	// pastRunning: the activities return the events after a running one
	// (see initPastRunning).
	pastRunning bool

	signals workflow.ReceiveChannel
	// wake lets the stop update interrupt the session loop's selector.
	wake workflow.Channel
	// batchesThisRun counts wait results in this run, for continue-as-new.
	batchesThisRun int
	// progress is what the last SignalSessionProgress of this run carried
	// (see notifyParentProgress); it does not survive continue-as-new.
	progress sentProgress
	// actions is what this run knows of its restore actions beyond the
	// carried rows (state.Actions); see actions.go.
	actions actionRun
}

func restoreSessionWorkflow(ctx workflow.Context, in RestoreInput, opts Options) (RestoreReport, error) {
	r := &restoreRun{
		opts:   opts,
		in:     in,
		phase:  PhaseValidating,
		logger: log.With(workflow.GetLogger(ctx), "organizationId", in.OrganizationID),
		state:  Continuation{Events: newEventLog()},
	}
	if in.Continuation != nil {
		// Only a run this workflow continued as new may adopt a session from
		// its input: a caller must not make a run take over any session id.
		if workflow.GetInfo(ctx).ContinuedExecutionRunID == "" {
			err := invalid("continuation", in.Continuation.Session.ID,
				"internal to the workflow (it carries a run's state into the next when it continues as new); leave it out")
			r.logger.Warn("invalid restore request", "error", err)
			return RestoreReport{}, err
		}
		r.state = *in.Continuation
		r.phase = PhaseOpen
		if e := r.state.Ending; e != nil {
			r.endReason, r.stopReq, r.phase, r.stopped = e.EndReason, e.Stop, PhaseStopping, true
		}
	}
	if err := r.registerHandlers(ctx); err != nil {
		return RestoreReport{}, err
	}
	r.publishDetails(ctx)

	report, err := r.execute(ctx)

	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		r.phase, r.outcome = PhaseDone, err
		r.publishDetails(ctx)
	}
	// Let a stop update see the outcome before the workflow closes. On
	// cancellation ctx is done, so wait on a disconnected one.
	waitCtx, _ := workflow.NewDisconnectedContext(ctx)
	_ = workflow.Await(waitCtx, func() bool { return workflow.AllHandlersFinished(waitCtx) })
	if !errors.As(err, &can) {
		r.notifyParentEnded(waitCtx, report, err)
	}
	return report, err
}

// execute is the restore's story. A first run validates the input, checks
// the backup window and creates the session once (open); a run continued as
// new resumes where the previous one stopped. Then the run records the
// session's events until a stop, VB365, the deadline or a cancel ends it
// (loop, in loop.go), and stops the session (finish, in stop.go).
func (r *restoreRun) execute(ctx workflow.Context) (RestoreReport, error) {
	if r.in.Continuation == nil {
		if err := r.open(ctx); err != nil {
			return RestoreReport{}, err
		}
		r.logger = log.With(r.logger, "sessionId", r.state.Session.ID)
		if ctx.Err() != nil {
			return r.cancel(ctx)
		}
		return r.loop(ctx)
	}
	r.logger = log.With(r.logger, "sessionId", r.state.Session.ID)
	if e := r.state.Ending; e != nil {
		r.logger.Info("continuing to read the final events", "run", r.state.Runs+1, "eventsRecorded", r.state.Events.Counts.Total)
		r.state.Ending = nil
		r.initPastRunning(ctx)
		return r.afterStop(ctx, e.Canceled)
	}
	r.logger.Info("continuing restore session", "run", r.state.Runs+1, "eventsRecorded", r.state.Events.Counts.Total)
	// Counts the previous run held back from the parent go now.
	r.notifyParentProgress(ctx, false)
	return r.loop(ctx)
}

// registerHandlers installs the status query and the stop signal and update.
// They exist from the first workflow task, so a stop sent while the session
// is being created is honoured as soon as it exists.
func (r *restoreRun) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (Status, error) { return r.status(), nil }); err != nil {
		return fmt.Errorf("register query %q: %w", QueryStatus, err)
	}
	r.signals = workflow.GetSignalChannel(ctx, SignalStop)
	r.wake = workflow.NewBufferedChannel(ctx, 1)
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateStop,
		func(ctx workflow.Context, req StopRequest) (vb365.RestoreSession, error) {
			r.requestStop(req, "update")
			r.wake.SendAsync(true)
			waitCtx, answerStopped := ctx, false
			if workflow.GetVersion(ctx, changeStopUpdateOutlivesCancel, workflow.DefaultVersion, 1) >= 1 {
				// A cancel of the workflow must not answer the caller before
				// the session is stopped: the cancelled workflow stops it
				// first, and the caller asked for exactly that.
				waitCtx, _ = workflow.NewDisconnectedContext(ctx)
				answerStopped = true
			}
			if err := workflow.Await(waitCtx, func() bool { return r.done() || r.stopped }); err != nil {
				return vb365.RestoreSession{}, err
			}
			if r.stopped {
				return r.state.Session, nil
			}
			if r.outcome != nil && !(answerStopped && r.sessionEnded() && isCanceled(r.outcome)) {
				return r.state.Session, r.outcome
			}
			return r.state.Session, nil
		},
		workflow.UpdateHandlerOptions{
			Validator:   func(_ workflow.Context, req StopRequest) error { return r.validateStop(req) },
			Description: "Stop the restore session and end the workflow; returns the stopped session.",
		})
	if err != nil {
		return fmt.Errorf("register update %q: %w", UpdateStop, err)
	}
	return nil
}

// validateStop rejects a stop update once the run's outcome is known: there is
// nothing left to stop, and an accepted update would wait for a run that ended.
func (r *restoreRun) validateStop(StopRequest) error {
	if r.done() {
		return fmt.Errorf("restore already done (endReason %q): nothing to stop", r.endReason)
	}
	return nil
}

// done reports whether the run's outcome is known (PhaseDone).
func (r *restoreRun) done() bool { return r.phase == PhaseDone }

// requestStop records the first stop request; later ones only wait.
func (r *restoreRun) requestStop(req StopRequest, via string) {
	if r.stopReq != nil {
		return
	}
	r.stopReq = &req
	r.logger.Info("stop requested", "via", via, "requestedBy", req.RequestedBy, "reason", req.Reason)
}

// open validates the input, checks the backup window and creates the session.
func (r *restoreRun) open(ctx workflow.Context) error {
	req, err := ValidateInput(r.in, workflow.Now(ctx))
	if err != nil {
		r.logger.Warn("invalid restore request", "error", err)
		return err
	}
	r.state.PollInterval = req.PollInterval
	r.state.RequestedPointInTime = req.PointInTime
	r.state.Organization.ID = req.OrganizationID

	var org vb365.Organization
	if err := workflow.ExecuteActivity(withGetOrganization(ctx, req.OrganizationID), acts.GetOrganization, req.OrganizationID).
		Get(ctx, &org); err != nil {
		return activityFailure(fmt.Sprintf("read organization %q", req.OrganizationID), err)
	}
	r.state.Organization = OrganizationInfo{ID: req.OrganizationID, Name: org.Name,
		FirstBackupTime: org.FirstBackupTime, LastBackupTime: org.LastBackupTime}
	choice, err := resolveWindow(org, req.PointInTime, req.AllowBeforeFirstBackup)
	if err != nil {
		r.logger.Warn("point in time outside the backup window", "error", err)
		return err
	}
	r.state.EffectivePointInTime, r.state.ClampedToLatest = choice.Effective, choice.ClampedToLatest

	// A local activity, so the answer is in the history: replays decide the
	// same way whatever the replaying worker is configured with.
	if err := workflow.ExecuteLocalActivity(withCheckSearchAttributes(ctx), acts.CheckSearchAttributes).
		Get(ctx, &r.state.SearchAttributes); err != nil {
		r.logger.Warn("could not check search attributes; not using them", "error", err)
		r.state.SearchAttributes = false
	}
	if ctx.Err() != nil && workflow.GetVersion(ctx, changeNoCreateAfterCancel, workflow.DefaultVersion, 1) >= 1 {
		// Cancelled before the creation: there is no session to stop, so
		// none is created.
		r.logger.Info("restore cancelled before its session was created")
		r.endReason = EndReasonCanceled
		return temporal.NewCanceledError(r.report())
	}

	r.phase = PhaseCreating
	r.publishDetails(ctx)
	// Creation runs on a disconnected context: cancelling the workflow while
	// a POST is in flight must not lose track of the session it creates;
	// the caller stops it right after.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	var created activities.CreateRestoreSessionResult
	createIn := activities.CreateRestoreSessionInput{
		OrganizationID: req.OrganizationID, OrganizationName: org.Name,
		DateTime: choice.Send, Type: req.Type,
		ShowDeleted: req.ShowDeleted, ShowAllVersions: req.ShowAllVersions,
	}
	err = workflow.ExecuteActivity(
		withCreate(dctx, fmt.Sprintf("create %s restore session for %s", req.Type.Workload(), org.Name)),
		acts.CreateRestoreSession, createIn).Get(dctx, &created)
	if err != nil {
		failure := activityFailure(fmt.Sprintf("create %s restore session for organization %q", req.Type, org.Name), err)
		return withNote(failure, r.releaseLostSession(dctx, createIn, err))
	}
	r.state.Session, r.state.SessionAdopted = created.Session, created.Adopted
	r.state.Deadline = workflow.Now(ctx).Add(req.MaxSessionDuration)
	r.phase = PhaseOpen
	r.logger.Info("restore session open", "sessionId", created.Session.ID, "sessionName", created.Session.Name,
		"adopted", created.Adopted, "effectivePointInTime", choice.Effective, "clampedToLatest", choice.ClampedToLatest)
	r.upsertSearchAttributes(dctx, true)
	r.notifyParent(dctx)
	r.publishDetails(ctx)
	return nil
}

// releaseLostSession runs after the creation failed for good: when a POST
// of it may have created a session whose response was lost (its progress
// says so), it stops that session, best effort. It returns what happened,
// for the workflow's error message; "" when there was nothing to do.
func (r *restoreRun) releaseLostSession(ctx workflow.Context, in activities.CreateRestoreSessionInput, createErr error) string {
	if isCanceled(createErr) {
		return ""
	}
	prog, ok := createProgressOf(createErr)
	if !ok || prog.Posts <= 0 {
		return ""
	}
	r.logger.Warn("restore session creation failed after a POST; releasing any session it left open", "posts", prog.Posts, "error", createErr)
	var res activities.ReleaseLostSessionResult
	err := workflow.ExecuteActivity(withRelease(ctx, fmt.Sprintf("release a %s restore session left by a failed creation for %s", in.Type.Workload(), in.OrganizationName)),
		acts.ReleaseLostSession, activities.ReleaseLostSessionInput{Create: in, Progress: prog}).Get(ctx, &res)
	switch {
	case err != nil:
		r.logger.Error("could not release the restore session a failed creation may have left open", "error", err)
		return fmt.Sprintf("a session created by one of its %d POSTs may be left open: looking for it failed: %v", prog.Posts, err)
	case res.SessionID == "":
		r.logger.Info("no restore session left open by the failed creation")
		return fmt.Sprintf("no session left open by its %d POSTs was found", prog.Posts)
	default:
		r.logger.Warn("stopped the restore session a lost POST had created", "lostSessionId", res.SessionID)
		return fmt.Sprintf("the session %s a lost POST had created was stopped", res.SessionID)
	}
}

// createProgressOf recovers the progress of a failed CreateRestoreSession:
// the last heartbeat details of a timeout, or the details the activity put
// on its ApplicationError.
func createProgressOf(err error) (activities.CreateProgress, bool) {
	var prog activities.CreateProgress
	var te *temporal.TimeoutError
	if errors.As(err, &te) && te.HasLastHeartbeatDetails() && te.LastHeartbeatDetails(&prog) == nil && prog.Posts > 0 {
		return prog, true
	}
	prog = activities.CreateProgress{}
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && ae.HasDetails() && ae.Details(&prog) == nil {
		return prog, true
	}
	return activities.CreateProgress{}, false
}
