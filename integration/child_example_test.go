package integration

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/examples/childworkflow"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// The child-workflow example, typed and by name, against the real restore
// workflow: the parent runs on a task queue of its own (as another team's
// worker would), the child on the restore worker's queue.
func TestChildWorkflowExample(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   any
	}{
		{"typed", childworkflow.VerifyRestoreWorkflow},
		{"by-name", childworkflow.VerifyRestoreByNameWorkflow},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newStack(t, vb365sim.Options{}, "TEMPORAL_TASK_QUEUE="+workflows.DefaultTaskQueue)
			parentQueue := "it-parent-" + c.name
			w := worker.New(devServer.Client, parentQueue, worker.Options{})
			w.RegisterWorkflowWithOptions(c.fn, workflow.RegisterOptions{Name: "Verify-" + c.name})
			w.RegisterActivity(childworkflow.CheckRestoredItems)
			require.NoError(t, w.Start())
			t.Cleanup(w.Stop)

			run, err := devServer.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
				ID: "it-parent-" + uuid.NewString(), TaskQueue: parentQueue, WorkflowExecutionTimeout: 5 * time.Minute,
			}, "Verify-"+c.name, childworkflow.VerifyInput{OrganizationID: seedOrg, PointInTime: "2020-10-30T10:54:40Z", Type: "vet"})
			require.NoError(t, err)
			var res childworkflow.VerifyResult
			require.NoError(t, run.Get(context.Background(), &res))
			require.NotEmpty(t, res.Ready.SessionID)
			require.Equal(t, res.Ready.SessionID, res.Report.Session.ID)
			require.Equal(t, workflows.EndReasonStopRequested, res.Report.EndReason)
			require.Equal(t, "Verify-"+c.name, res.Report.StopRequestedBy)
			s.checkClean(1, res.Report)
		})
	}
}
