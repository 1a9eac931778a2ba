package playbook

import (
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/workflows"
)

// RestorePlaybookWorkflow runs each restore of the playbook as a child
// RestoreSessionWorkflow, at most MaxConcurrent being created at once, and
// returns one report with a row per restore. One failing restore does not
// stop the others. Stop (update or signal) stops every open session;
// cancellation cancels the children, which stop their sessions.
func RestorePlaybookWorkflow(ctx workflow.Context, in Input) (Report, error) {
	if err := validate(&in); err != nil {
		return Report{}, err
	}
	r := newRun(ctx, in)
	if err := r.registerHandlers(ctx); err != nil {
		return Report{}, fmt.Errorf("register handlers: %w", err)
	}
	r.publish(ctx)

	err := r.loop(ctx)
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
	logger        interface{ Info(string, ...any) }
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
			return r.drainAfterCancel(ctx)
		}
	}
	return nil
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
		in := r.in.Restores[i]
		if _, err := workflows.ValidateInput(in, workflow.Now(ctx)); err != nil &&
			workflow.GetVersion(ctx, changeValidateRestoreEntries, workflow.DefaultVersion, 1) >= 1 {
			// The restore workflow's own validation, here: the child would
			// never see what the strict decoding refused (an unknown field
			// is not sent on), and a bad entry needs no child to fail with
			// the error it would give, naming the field.
			r.applyResult(&r.rows[i], workflows.RestoreReport{}, restoreInputError(i, err))
			r.logger.Info("Restore entry refused", "Index", i, "Error", err)
			continue
		}
		in.NotifyParent = true
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID: r.rows[i].WorkflowID,
			// Terminating the playbook must not leave sessions open: ask the
			// children to cancel (they stop their session first).
			ParentClosePolicy:   enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
			WaitForCancellation: true,
			StaticSummary:       fmt.Sprintf("%s: %s restore of %s", r.in.Name, in.Type, in.OrganizationID),
		})
		f := workflow.ExecuteChildWorkflow(cctx, workflows.RestoreSessionWorkflowName, in)
		r.futures[i] = f
		r.rows[i].State = RowCreating
		r.creating++
		sel.AddFuture(f, func(f workflow.Future) { r.onChildDone(ctx, i, f) })
	}
	// Anything never started is skipped once a stop was asked for.
	if r.stopRequested {
		for ; r.next < len(r.rows); r.next++ {
			r.rows[r.next].State = RowSkipped
		}
	}
}

func (r *run) onReady(s workflows.SessionReady) {
	i, ok := r.byID[s.WorkflowID]
	if !ok {
		r.logger.Info("Session-ready signal from an unknown workflow; ignored", "WorkflowID", s.WorkflowID)
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
}

func (r *run) onChildDone(ctx workflow.Context, i int, f workflow.Future) {
	row := &r.rows[i]
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
	case errors.As(err, &canceledErr):
		row.State = RowCanceled
		row.EndReason = workflows.EndReasonCanceled
		row.Error = err.Error()
	case errors.As(err, &appErr):
		row.State = RowFailed
		row.ErrorType = appErr.Type()
		row.Error = appErr.Error()
	default:
		row.State = RowFailed
		row.Error = err.Error()
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
		f, started := r.futures[i]
		if !started {
			if r.rows[i].State == RowPending {
				r.rows[i].State = RowSkipped
			}
			continue
		}
		if ended(r.rows[i].State) {
			continue
		}
		// SignalChildWorkflow blocks until the child has started, so send
		// each signal from its own coroutine.
		workflow.Go(ctx, func(ctx workflow.Context) {
			if err := f.SignalChildWorkflow(ctx, workflows.SignalStop, req).Get(ctx, nil); err != nil {
				r.logger.Info("Could not signal stop to a restore (it may have ended)", "WorkflowID", r.rows[i].WorkflowID, "Error", err)
			}
		})
	}
	r.next = len(r.rows)
}

// drainAfterCancel waits, on a disconnected context, for the canceled
// children to stop their sessions and end, so the report says how each ended.
func (r *run) drainAfterCancel(ctx workflow.Context) error {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	for i := range r.rows {
		if r.rows[i].State == RowPending {
			r.rows[i].State = RowSkipped
		}
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

// restoreInputError is a restore entry's InvalidRequest, its field named by
// its place in the playbook (restores[i].field).
func restoreInputError(i int, err error) error {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return err
	}
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf("restores[%d].%s", i, appErr.Message()), appErr.Type(), nil)
}

func ended(state string) bool {
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
	rep := Report{Name: r.in.Name, StopRequested: r.stopRequested, Rows: append([]Row(nil), r.rows...), Counts: map[string]int{}}
	for _, row := range r.rows {
		rep.Counts[row.State]++
	}
	return rep
}

// publish refreshes the Markdown details shown in the Web UI.
func (r *run) publish(ctx workflow.Context) {
	workflow.SetCurrentDetails(ctx, markdown(r.report(), workflow.Now(ctx)))
}
