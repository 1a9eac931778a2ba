package playbook

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/workflows"
)

// TestPlaybookRefusesBadRestoreEntries: a restore entry with an unknown field
// or a value of the wrong JSON type, as any client may send it (here raw
// JSON, not the Go struct), fails its row InvalidRequest naming the field,
// and starts no child; the good entry runs.
func TestPlaybookRefusesBadRestoreEntries(t *testing.T) {
	env := newEnv(t)
	in := map[string]any{"name": "drill", "maxConcurrent": 2, "restores": []any{
		map[string]any{"organizationId": org, "type": "vet", "restorePoint": "2020-10-30T10:29:05Z"},
		map[string]any{"organizationId": org, "type": "vex", "showDeleted": "yes"},
		map[string]any{"organizationId": org, "type": "veod"},
	}}
	started := 0
	env.SetOnChildWorkflowStartedListener(func(*workflow.Info, workflow.Context, converter.EncodedValues) { started++ })
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(workflows.SignalStop, workflows.StopRequest{}) }, time.Minute)
	env.ExecuteWorkflow(WorkflowName, in)
	require.NoError(t, env.GetWorkflowError())
	var rep Report
	require.NoError(t, env.GetWorkflowResult(&rep))
	require.Equal(t, RowFailed, rep.Rows[0].State)
	require.Equal(t, workflows.ErrInvalidRequest, rep.Rows[0].ErrorType)
	require.Contains(t, rep.Rows[0].Error, "restores[0].restorePoint")
	require.Contains(t, rep.Rows[0].Error, "unknown field")
	require.Equal(t, RowFailed, rep.Rows[1].State)
	require.Equal(t, workflows.ErrInvalidRequest, rep.Rows[1].ErrorType)
	require.Contains(t, rep.Rows[1].Error, "restores[1].showDeleted")
	require.Contains(t, rep.Rows[1].Error, "wrong JSON type")
	require.Equal(t, RowDone, rep.Rows[2].State)
	require.Equal(t, 1, started, "no child for a refused entry")
}
