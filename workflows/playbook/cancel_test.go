package playbook

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/workflows"
)

// TestPlaybookCancellationDrainsChildrenBeforeContinueAsNew: a playbook that
// started before changeContinueAsNew keeps its children bound to its run and
// learns their end only from their results. Cancelled, it must still wait
// for each child's result and report how the child ended: the first child
// cancelled with its session stopped (its own report), the second failed
// because its stop failed, the third cancelled while creating its session,
// the fourth skipped. A playbook that ended without draining would leave the
// first three rows open or creating. One creation slot: each restore starts
// when the one before has its session (10 s); the cancel comes at 25 s.
func TestPlaybookCancellationDrainsChildrenBeforeContinueAsNew(t *testing.T) {
	env := newEnv(t)
	env.OnGetVersion(changeContinueAsNew, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	in := drill(workflows.RestoreInput{OrganizationID: org, Type: "vet"},
		workflows.RestoreInput{OrganizationID: org, Type: "vex", PointInTime: stopFails},
		workflows.RestoreInput{OrganizationID: org, Type: "veod"},
		workflows.RestoreInput{OrganizationID: org, Type: "vesp"})
	in.MaxConcurrent = 1
	children := recordChildOptions(env)
	env.RegisterDelayedCallback(env.CancelWorkflow, 25*time.Second)
	env.ExecuteWorkflow(RestorePlaybookWorkflow, in)
	var canceled *temporal.CanceledError
	require.ErrorAs(t, env.GetWorkflowError(), &canceled)

	res, err := env.QueryWorkflow(workflows.QueryStatus)
	require.NoError(t, err)
	var rep Report
	require.NoError(t, res.Get(&rep))
	require.Equal(t, RowCanceled, rep.Rows[0].State, "%+v", rep.Rows)
	require.Equal(t, workflows.EndReasonCanceled, rep.Rows[0].EndReason)
	require.Equal(t, RowFailed, rep.Rows[1].State, "its stop failed: %+v", rep.Rows[1])
	require.Equal(t, "VB365Error", rep.Rows[1].ErrorType)
	require.Equal(t, RowCanceled, rep.Rows[2].State, "cancelled while creating its session: %+v", rep.Rows[2])
	require.Equal(t, RowSkipped, rep.Rows[3].State)
	require.Equal(t, map[RowState]int{RowCanceled: 2, RowFailed: 1, RowSkipped: 1}, rep.Counts)
	requireWaitsForCancelledChildren(t, children, rep.Rows[:3])
}

// requireWaitsForCancelledChildren: every row's child was started asking the
// server to wait for it once cancelled (see childOptions).
func requireWaitsForCancelledChildren(t *testing.T, children map[string]workflow.ChildWorkflowOptions, rows []Row) {
	t.Helper()
	require.Len(t, children, len(rows))
	for _, row := range rows {
		opts, ok := children[row.WorkflowID]
		require.True(t, ok, "no child started for %s", row.WorkflowID)
		require.True(t, opts.WaitForCancellation, "%s: a cancelled playbook must wait for this child to stop its session", row.WorkflowID)
	}
}

// childOptions records the options each child workflow is started with, by
// workflow id. The test environment always waits for a cancelled child, so a
// playbook that did not ask the server to wait (WaitForCancellation false)
// would pass any test of its timing there; against a server it would end
// while its children still stop their sessions, its rows unfinished.
type childOptions struct {
	interceptor.WorkerInterceptorBase
	byID map[string]workflow.ChildWorkflowOptions
}

func (c *childOptions) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &childOptionsInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, rec: c}
}

type childOptionsInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	rec *childOptions
}

func (i *childOptionsInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&childOptionsOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, rec: i.rec})
}

type childOptionsOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	rec *childOptions
}

func (o *childOptionsOutbound) ExecuteChildWorkflow(ctx workflow.Context, childWorkflowType string, args ...interface{}) workflow.ChildWorkflowFuture {
	opts := workflow.GetChildWorkflowOptions(ctx)
	o.rec.byID[opts.WorkflowID] = opts
	return o.Next.ExecuteChildWorkflow(ctx, childWorkflowType, args...)
}

// recordChildOptions makes env record the options of every child started.
func recordChildOptions(env *testsuite.TestWorkflowEnvironment) map[string]workflow.ChildWorkflowOptions {
	rec := &childOptions{byID: map[string]workflow.ChildWorkflowOptions{}}
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{rec}})
	return rec.byID
}
