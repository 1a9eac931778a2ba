package playbook

import (
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/workflows"
)

// RestorePlaybookWorkflow runs each restore of the playbook as a child
// RestoreSessionWorkflow, at most MaxConcurrent being created at once, and
// returns one report with a row per restore. One failing restore does not
// stop the others. Stop (update or signal) stops every open session;
// cancellation cancels the children, which stop their sessions. A playbook
// continues as new when its history grows (changeContinueAsNew), keeping
// its rows, its children, stop and cancellation. It runs with the default
// Options; a worker registers it with its own through RegisterWithOptions.
func RestorePlaybookWorkflow(ctx workflow.Context, in Input) (Report, error) {
	return playbookWorkflow(ctx, in, Options{}.withDefaults())
}

func playbookWorkflow(ctx workflow.Context, in Input, opts Options) (Report, error) {
	if in.Continuation != nil && workflow.GetInfo(ctx).ContinuedExecutionRunID == "" {
		// A caller must not hand a run rows (and so children's ids) of its own.
		return Report{}, temporal.NewNonRetryableApplicationError(
			"continuation: internal to the playbook (it carries a run's rows into the next when it continues as new); leave it out",
			workflows.ErrInvalidRequest, nil)
	}
	if err := validate(&in); err != nil {
		return Report{}, err
	}
	r := newRun(ctx, in)
	r.opts = opts
	if c := in.Continuation; c != nil {
		r.continues = true
		r.rows, r.next, r.runs = c.Rows, c.Next, c.Runs
		r.byID = map[string]int{}
		for i, row := range r.rows {
			r.byID[row.WorkflowID] = i
			if row.State == RowCreating {
				r.creating++
			}
		}
		r.in.Continuation = nil
	} else {
		r.continues = workflow.GetVersion(ctx, changeContinueAsNew, workflow.DefaultVersion, 1) >= 1
	}
	if err := r.registerHandlers(ctx); err != nil {
		return Report{}, fmt.Errorf("register handlers: %w", err)
	}
	r.publish(ctx)

	err := r.loop(ctx)
	var can *workflow.ContinueAsNewError
	if errors.As(err, &can) {
		return Report{}, err
	}
	r.publish(ctx)
	if err != nil {
		return r.report(), err
	}
	// Let a pending stop update return its answer before completing.
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return r.report(), nil
}

// run is the state of one playbook execution.
type run struct {
	in            Input
	rows          []Row
	byID          map[string]int
	futures       map[int]workflow.ChildWorkflowFuture
	creating      int
	next          int // index of the next restore to start
	stopRequested bool
	stopRequest   workflows.StopRequest
	logger        log.Logger

	opts Options
	// gone: rows ended by childGone, which a late SignalSessionEnded
	// still completes.
	gone map[int]bool
	// continues: this playbook may continue as new (changeContinueAsNew);
	// its children outlive its runs and report their end by signal.
	continues bool
	// starting counts children whose start the server has not confirmed:
	// a run continues as new only when it is zero, so that every child of
	// an earlier run exists and can be reached by id.
	starting int
	runs     int
}

func newRun(ctx workflow.Context, in Input) *run {
	info := workflow.GetInfo(ctx)
	ids := childWorkflowIDs(info.WorkflowExecution.ID, in)
	r := &run{in: in, byID: map[string]int{}, futures: map[int]workflow.ChildWorkflowFuture{}, logger: workflow.GetLogger(ctx)}
	for i, ri := range in.Restores {
		r.rows = append(r.rows, Row{Index: i, WorkflowID: ids[i], OrganizationID: ri.OrganizationID, Type: ri.Type, State: RowPending})
		r.byID[ids[i]] = i
	}
	return r
}

func (r *run) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, workflows.QueryStatus, func() (Report, error) { return r.report(), nil }); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, workflows.UpdateStop,
		func(ctx workflow.Context, req workflows.StopRequest) (Report, error) {
			r.requestStop(ctx, req)
			// Answer once every session is stopped: that is what the caller waits for.
			if err := workflow.Await(ctx, r.allEnded); err != nil {
				return Report{}, err
			}
			return r.report(), nil
		},
		workflow.UpdateHandlerOptions{Validator: func(req workflows.StopRequest) error {
			if r.allEnded() {
				return errors.New("every restore of this playbook has already ended")
			}
			return nil
		}})
}

// loop starts children as slots free up and reacts to their signals and
// results until every row has ended.
func (r *run) loop(ctx workflow.Context) error {
	ready := workflow.GetSignalChannel(ctx, workflows.SignalSessionReady)
	progress := workflow.GetSignalChannel(ctx, workflows.SignalSessionProgress)
	stop := workflow.GetSignalChannel(ctx, workflows.SignalStop)
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(ready, func(c workflow.ReceiveChannel, _ bool) {
		var s workflows.SessionReady
		c.Receive(ctx, &s)
		r.onReady(s)
	})
	sel.AddReceive(progress, func(c workflow.ReceiveChannel, _ bool) {
		var p workflows.SessionProgress
		c.Receive(ctx, &p)
		r.onProgress(p)
	})
	sel.AddReceive(stop, func(c workflow.ReceiveChannel, _ bool) {
		var req workflows.StopRequest
		c.Receive(ctx, &req)
		r.requestStop(ctx, req)
	})
	endedCh := workflow.GetSignalChannel(ctx, workflows.SignalSessionEnded)
	if r.continues {
		sel.AddReceive(endedCh, func(c workflow.ReceiveChannel, _ bool) {
			var e workflows.SessionEnded
			c.Receive(ctx, &e)
			r.onEnded(e)
		})
	}
	canceled := false
	sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) { canceled = true })

	for !r.allEnded() {
		r.startChildren(ctx, sel)
		if r.allEnded() {
			break
		}
		sel.Select(ctx)
		r.publish(ctx)
		if canceled {
			return r.drainAfterCancel(ctx, endedCh)
		}
		if r.shouldContinueAsNew(ctx) {
			if err := r.prepareContinueAsNew(ctx, ready, progress, stop, endedCh); err != nil {
				return err
			}
			if ctx.Err() != nil {
				return r.drainAfterCancel(ctx, endedCh)
			}
			if !r.stopRequested && !r.allEnded() {
				return r.continueAsNew(ctx)
			}
		}
	}
	return nil
}

// shouldContinueAsNew: a playbook that may (changeContinueAsNew), not
// stopping (the stop ends it soon), with every child's start confirmed,
// once its history reached Options.EventsPerRun or the server suggests it.
func (r *run) shouldContinueAsNew(ctx workflow.Context) bool {
	if !r.continues || r.stopRequested || r.starting > 0 {
		return false
	}
	info := workflow.GetInfo(ctx)
	return info.GetCurrentHistoryLength() >= r.opts.EventsPerRun || info.GetContinueAsNewSuggested()
}

// prepareContinueAsNew applies the signals already delivered (a signal left
// in a channel would be lost with this run) and waits for running handlers;
// a stop update arriving meanwhile makes the caller stop instead. Pending
// entries the strict decoding refused fail now: what it found does not
// survive the JSON of the next run's input.
func (r *run) prepareContinueAsNew(ctx workflow.Context, ready, progress, stop, ended workflow.ReceiveChannel) error {
	for {
		var s workflows.SessionReady
		var p workflows.SessionProgress
		var e workflows.SessionEnded
		var req workflows.StopRequest
		switch {
		case ready.ReceiveAsync(&s):
			r.onReady(s)
		case progress.ReceiveAsync(&p):
			r.onProgress(p)
		case ended.ReceiveAsync(&e):
			r.onEnded(e)
		case stop.ReceiveAsync(&req):
			r.requestStop(ctx, req)
		default:
			for i := r.next; i < len(r.rows); i++ {
				r.refuseInvalid(ctx, i)
			}
			err := workflow.Await(ctx, func() bool { return r.stopRequested || workflow.AllHandlersFinished(ctx) })
			if err != nil && ctx.Err() != nil {
				return nil // the caller drains after the cancel
			}
			return err
		}
	}
}

// continueAsNew carries the rows into the next run. The children, started
// with PARENT_CLOSE_POLICY_ABANDON, run on; the next run reaches them by id.
func (r *run) continueAsNew(ctx workflow.Context) error {
	next := r.in
	next.Continuation = &Continuation{Rows: r.rows, Next: r.next, Runs: r.runs + 1}
	r.logger.Info("playbook continuing as new", "run", r.runs+1, "historyLength", workflow.GetInfo(ctx).GetCurrentHistoryLength())
	return workflow.NewContinueAsNewError(ctx, WorkflowName, next)
}

// startChildren starts restores while creation slots are free.
func (r *run) startChildren(ctx workflow.Context, sel workflow.Selector) {
	for r.next < len(r.rows) && r.creating < r.in.MaxConcurrent {
		i := r.next
		r.next++
		if r.stopRequested {
			r.rows[i].State = RowSkipped
			continue
		}
		if r.refuseInvalid(ctx, i) {
			continue
		}
		in := r.in.Restores[i]
		in.NotifyParent = true
		// Terminating the playbook must not leave sessions open: ask the
		// children to cancel (they stop their session first). A playbook
		// that continues as new abandons them instead, or its first
		// continue-as-new would cancel them all; it cancels them by id
		// when it is cancelled.
		policy := enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL
		if r.continues {
			policy = enumspb.PARENT_CLOSE_POLICY_ABANDON
		}
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:          r.rows[i].WorkflowID,
			ParentClosePolicy:   policy,
			WaitForCancellation: true,
			StaticSummary:       fmt.Sprintf("%s: %s restore of %s", r.in.Name, in.Type, in.OrganizationID),
		})
		f := workflow.ExecuteChildWorkflow(cctx, workflows.RestoreSessionWorkflowName, in)
		r.futures[i] = f
		r.rows[i].State = RowCreating
		r.creating++
		sel.AddFuture(f, func(f workflow.Future) { r.onChildDone(ctx, i, f) })
		if r.continues {
			r.starting++
			sel.AddFuture(f.GetChildWorkflowExecution(), func(workflow.Future) { r.starting-- })
		}
	}
	// Anything never started is skipped once a stop was asked for.
	if r.stopRequested {
		for ; r.next < len(r.rows); r.next++ {
			r.rows[r.next].State = RowSkipped
		}
	}
}

// refuseInvalid fails row i, and says so, when its entry fails the restore
// workflow's own validation: the child would never see what the strict
// decoding refused (an unknown field is not sent on), and a bad entry needs
// no child to fail with the error it would give, naming the field.
func (r *run) refuseInvalid(ctx workflow.Context, i int) bool {
	if r.rows[i].State != RowPending {
		return false
	}
	_, err := workflows.ValidateInput(r.in.Restores[i], workflow.Now(ctx))
	if err == nil || workflow.GetVersion(ctx, changeValidateRestoreEntries, workflow.DefaultVersion, 1) < 1 {
		return false
	}
	r.applyResult(&r.rows[i], workflows.RestoreReport{}, restoreInputError(i, err))
	r.logger.Warn("restore entry refused", "index", i, "error", err)
	return true
}

// childGone ends the row of a child of an earlier run that a stop or a
// cancel could not reach: it is closed, and if it had ended by itself its
// SignalSessionEnded would have come first (it is delivered before the
// child closes). A child terminated or timed out sends none: without this
// its row would stay open and the playbook wait for ever. A signal that
// still arrives completes the row (onEnded).
func (r *run) childGone(id string, err error) {
	i, ok := r.byID[id]
	if !ok || ended(r.rows[i].State) {
		return
	}
	row := &r.rows[i]
	if row.State == RowCreating {
		r.creating--
	}
	row.State = RowFailed
	row.Error = workflows.Clip("the restore workflow closed without telling the playbook how it ended (terminated or timed out?): "+err.Error(), maxRowError)
	if r.gone == nil {
		r.gone = map[int]bool{}
	}
	r.gone[i] = true
}

// maxRowError bounds a row's error text (from a child's result or signal): the rows
// travel in every continue-as-new input, so 200 of them must stay far under
// the server's 2 MB payload limit.
const maxRowError = 1000

// onEnded applies a child's SignalSessionEnded. Its result future (in the
// run that started it) says the same; whichever comes first counts.
func (r *run) onEnded(e workflows.SessionEnded) {
	i, ok := r.byID[e.WorkflowID]
	if !ok || (ended(r.rows[i].State) && !r.gone[i]) {
		return
	}
	delete(r.gone, i)
	row := &r.rows[i]
	if row.State == RowCreating {
		r.creating--
	}
	if e.OrganizationName != "" {
		row.OrganizationName = e.OrganizationName
	}
	if e.EffectivePointInTime != nil {
		row.EffectivePointInTime = e.EffectivePointInTime
	}
	if e.Session.ID != "" {
		row.SessionID, row.SessionName, row.SessionState = e.Session.ID, e.Session.Name, e.Session.State
	}
	row.EventCounts = e.EventCounts
	row.EndReason = e.EndReason
	if e.ActionCounts != nil {
		row.Actions = e.ActionCounts
	}
	switch {
	case e.Canceled:
		row.State, row.EndReason, row.Error = RowCanceled, workflows.EndReasonCanceled, workflows.Clip(e.Error, maxRowError)
	case e.Error != "":
		row.State, row.ErrorType, row.Error = RowFailed, e.ErrorType, workflows.Clip(e.Error, maxRowError)
	default:
		row.State = RowDone
	}
}

func (r *run) onReady(s workflows.SessionReady) {
	i, ok := r.byID[s.WorkflowID]
	if !ok {
		r.logger.Info("session-ready signal from an unknown workflow; ignored", "workflowId", s.WorkflowID)
		return
	}
	row := &r.rows[i]
	t := s.EffectivePointInTime
	row.EffectivePointInTime = &t
	row.SessionID, row.SessionName = s.SessionID, s.SessionName
	if row.SessionState == "" {
		row.SessionState = "Working"
	}
	if row.State == RowCreating {
		row.State = RowOpen
		r.creating--
	}
}

func (r *run) onProgress(p workflows.SessionProgress) {
	i, ok := r.byID[p.WorkflowID]
	if !ok {
		return
	}
	row := &r.rows[i]
	if p.SessionID != "" {
		row.SessionID = p.SessionID
	}
	row.SessionState = p.SessionState
	row.EventCounts = p.EventCounts
	if p.ActionCounts != nil {
		row.Actions = p.ActionCounts
	}
}

func (r *run) onChildDone(ctx workflow.Context, i int, f workflow.Future) {
	row := &r.rows[i]
	if ended(row.State) {
		return // its SignalSessionEnded came first
	}
	if row.State == RowCreating {
		r.creating--
	}
	var rep workflows.RestoreReport
	err := f.Get(ctx, &rep)
	r.applyResult(row, rep, err)
}

func (r *run) applyResult(row *Row, rep workflows.RestoreReport, err error) {
	var appErr *temporal.ApplicationError
	var canceledErr *temporal.CanceledError
	switch {
	case err == nil:
		row.State = RowDone
		row.OrganizationName = rep.Organization.Name
		t := rep.EffectivePointInTime
		row.EffectivePointInTime = &t
		row.SessionID, row.SessionName, row.SessionState = rep.Session.ID, rep.Session.Name, rep.Session.State
		row.EventCounts = rep.EventCounts
		row.EndReason = rep.EndReason
		row.Actions = rep.ActionCounts
	case errors.As(err, &canceledErr):
		row.State = RowCanceled
		row.EndReason = workflows.EndReasonCanceled
		row.Error = workflows.Clip(err.Error(), maxRowError)
		// A cancelled restore's report travels as its error's details.
		if canceledErr.HasDetails() && canceledErr.Details(&rep) == nil && rep.ActionCounts != nil {
			row.Actions = rep.ActionCounts
		}
	case errors.As(err, &appErr):
		row.State = RowFailed
		row.ErrorType = appErr.Type()
		row.Error = workflows.Clip(appErr.Error(), maxRowError)
		// SessionStopUnconfirmed carries the report as its details.
		if appErr.HasDetails() && appErr.Details(&rep) == nil && rep.ActionCounts != nil {
			row.Actions = rep.ActionCounts
		}
	default:
		row.State = RowFailed
		row.Error = workflows.Clip(err.Error(), maxRowError)
	}
}

// requestStop asks every started child to stop its session; restores not
// started yet are skipped.
func (r *run) requestStop(ctx workflow.Context, req workflows.StopRequest) {
	if r.stopRequested {
		return
	}
	r.stopRequested, r.stopRequest = true, req
	for i := range r.rows {
		if r.rows[i].State == RowPending {
			r.rows[i].State = RowSkipped
			continue
		}
		if ended(r.rows[i].State) {
			continue
		}
		f, started := r.futures[i]
		if !started {
			// A child of an earlier run of this playbook: reach it by id
			// (an empty run id reaches its current run).
			id := r.rows[i].WorkflowID
			workflow.Go(ctx, func(ctx workflow.Context) {
				if err := workflow.SignalExternalWorkflow(ctx, id, "", workflows.SignalStop, req).Get(ctx, nil); err != nil {
					r.logger.Info("could not signal stop to a restore (it may have ended)", "workflowId", id, "error", err)
					r.childGone(id, err)
				}
			})
			continue
		}
		// SignalChildWorkflow blocks until the child has started, so send
		// each signal from its own coroutine.
		workflow.Go(ctx, func(ctx workflow.Context) {
			if err := f.SignalChildWorkflow(ctx, workflows.SignalStop, req).Get(ctx, nil); err != nil {
				r.logger.Info("could not signal stop to a restore (it may have ended)", "workflowId", r.rows[i].WorkflowID, "error", err)
			}
		})
	}
	r.next = len(r.rows)
}

// drainAfterCancel waits, on a disconnected context, for the canceled
// children to stop their sessions and end, so the report says how each ended.
//
// The children of this run are cancelled with it (their context is ctx);
// those of an earlier run are cancelled by id here, and their end arrives as
// SignalSessionEnded.
func (r *run) drainAfterCancel(ctx workflow.Context, endedCh workflow.ReceiveChannel) error {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	for i := range r.rows {
		if r.rows[i].State == RowPending {
			r.rows[i].State = RowSkipped
		}
	}
	if r.continues {
		return r.drainAll(dctx, endedCh)
	}
	// By index, not by ranging over the map: workflow code must be deterministic.
	for i := range r.rows {
		f, started := r.futures[i]
		if !started || ended(r.rows[i].State) {
			continue
		}
		var rep workflows.RestoreReport
		err := f.Get(dctx, &rep)
		r.applyResult(&r.rows[i], rep, err)
	}
	r.publish(dctx)
	return temporal.NewCanceledError("playbook canceled")
}

// drainAll is drainAfterCancel for a playbook that continues as new: it
// cancels the children of earlier runs by id, then takes each child's end
// from its result or its SignalSessionEnded, whichever comes first.
func (r *run) drainAll(dctx workflow.Context, endedCh workflow.ReceiveChannel) error {
	sel := workflow.NewSelector(dctx)
	sel.AddReceive(endedCh, func(c workflow.ReceiveChannel, _ bool) {
		var e workflows.SessionEnded
		c.Receive(dctx, &e)
		r.onEnded(e)
	})
	for i := range r.rows {
		if ended(r.rows[i].State) {
			continue
		}
		if f, started := r.futures[i]; started {
			sel.AddFuture(f, func(f workflow.Future) { r.onChildDone(dctx, i, f) })
			continue
		}
		id := r.rows[i].WorkflowID
		workflow.Go(dctx, func(ctx workflow.Context) {
			if err := workflow.RequestCancelExternalWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
				r.logger.Info("could not cancel a restore (it may have ended)", "workflowId", id, "error", err)
				r.childGone(id, err)
			}
		})
	}
	for !r.allEnded() {
		sel.Select(dctx)
	}
	r.publish(dctx)
	return temporal.NewCanceledError("playbook canceled")
}

// restoreInputError is a restore entry's InvalidRequest, its field named by
// its place in the playbook (restores[i].field).
func restoreInputError(i int, err error) error {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return err
	}
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("restores[%d].%s", i, appErr.Message()), appErr.Type(), nil)
}

func ended(state RowState) bool {
	switch state {
	case RowDone, RowFailed, RowCanceled, RowSkipped:
		return true
	}
	return false
}

func (r *run) allEnded() bool {
	for _, row := range r.rows {
		if !ended(row.State) {
			return false
		}
	}
	return true
}

func (r *run) report() Report {
	rep := Report{Name: r.in.Name, StopRequested: r.stopRequested, Rows: append([]Row(nil), r.rows...), Counts: map[RowState]int{}, Runs: r.runs}
	for _, row := range r.rows {
		rep.Counts[row.State]++
		if row.Actions != nil {
			if rep.ActionCounts == nil {
				rep.ActionCounts = &workflows.ActionCounts{}
			}
			rep.ActionCounts.Add(*row.Actions)
		}
	}
	return rep
}

// publish refreshes the Markdown details shown in the Web UI.
func (r *run) publish(ctx workflow.Context) {
	workflow.SetCurrentDetails(ctx, markdown(r.report(), workflow.Now(ctx)))
}
