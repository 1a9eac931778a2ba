// Package childworkflow shows how another workflow uses RestoreSessionWorkflow
// as a child: once through this module's typed API, once by name with plain
// JSON-shaped input (what a Python, TypeScript or Java workflow would send).
//
// The parent opens a restore session, waits until it exists, lets a step of
// its own work inside it (here: an activity that would, say, ask an operator
// to check a mailbox), then stops the session and returns the child's report.
package childworkflow

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/workflows"
)

// VerifyInput names what to open and check.
type VerifyInput struct {
	OrganizationID string `json:"organizationId"`
	PointInTime    string `json:"pointInTime"`
	Type           string `json:"type"`
}

// VerifyResult is what the parent returns: the session it worked in and the
// child's audit report.
type VerifyResult struct {
	Ready  workflows.SessionReady  `json:"ready"`
	Report workflows.RestoreReport `json:"report"`
}

// VerifyRestoreWorkflow uses the typed API: RestoreInput and the names
// exported by package workflows.
func VerifyRestoreWorkflow(ctx workflow.Context, in VerifyInput) (VerifyResult, error) {
	child := workflow.ExecuteChildWorkflow(childContext(ctx), workflows.RestoreSessionWorkflowName, workflows.RestoreInput{
		OrganizationID: in.OrganizationID,
		PointInTime:    in.PointInTime,
		Type:           in.Type,
		NotifyParent:   true, // signal us SignalSessionReady as soon as the session exists
	})
	return verifyInside(ctx, child)
}

// VerifyRestoreByNameWorkflow does the same with untyped, JSON-shaped input:
// the exact document any SDK would pass to the workflow type
// "RestoreSessionWorkflow" on task queue "vb365-restore".
func VerifyRestoreByNameWorkflow(ctx workflow.Context, in VerifyInput) (VerifyResult, error) {
	child := workflow.ExecuteChildWorkflow(childContext(ctx), "RestoreSessionWorkflow", map[string]any{
		"organizationId": in.OrganizationID,
		"pointInTime":    in.PointInTime,
		"type":           in.Type,
		"notifyParent":   true,
	})
	return verifyInside(ctx, child)
}

func childContext(ctx workflow.Context) workflow.Context {
	return workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID + "/restore",
		TaskQueue:  workflows.DefaultTaskQueue,
		// If this parent is terminated, the child is asked to cancel, and a
		// canceled restore stops its VB365 session first: nothing stays open.
		ParentClosePolicy:   enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		WaitForCancellation: true,
	})
}

// verifyInside waits for the session, does the parent's own step in it, then
// stops the session through the child's stop signal and collects its report.
func verifyInside(ctx workflow.Context, child workflow.ChildWorkflowFuture) (VerifyResult, error) {
	var res VerifyResult
	ready := workflow.GetSignalChannel(ctx, workflows.SignalSessionReady)
	sel := workflow.NewSelector(ctx)
	var childErr error
	childEnded := false
	sel.AddReceive(ready, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &res.Ready) })
	// The child may fail validation before any session exists.
	sel.AddFuture(child, func(f workflow.Future) { childEnded, childErr = true, f.Get(ctx, &res.Report) })
	sel.Select(ctx)
	if childEnded {
		if childErr != nil {
			return res, fmt.Errorf("restore session workflow: %w", childErr)
		}
		return res, nil
	}

	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	if err := workflow.ExecuteActivity(actx, CheckRestoredItems, res.Ready).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("check inside the session failed; stopping it anyway", "error", err)
	}

	stop := workflows.StopRequest{Reason: "verification done", RequestedBy: workflow.GetInfo(ctx).WorkflowType.Name}
	if err := child.SignalChildWorkflow(ctx, workflows.SignalStop, stop).Get(ctx, nil); err != nil {
		return res, fmt.Errorf("signal stop to the restore: %w", err)
	}
	if err := child.Get(ctx, &res.Report); err != nil {
		return res, fmt.Errorf("restore session workflow: %w", err)
	}
	return res, nil
}

// CheckRestoredItems stands for the parent's own work inside the session
// (browse, restore, compare). Here it only logs which session it would use.
func CheckRestoredItems(ctx context.Context, ready workflows.SessionReady) error {
	activity.GetLogger(ctx).Info("checking restored items", "sessionId", ready.SessionID, "sessionName", ready.SessionName)
	return nil
}
