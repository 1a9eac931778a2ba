package playbook

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/workflows"
)

// TestRowOfARestoreNotConfirmedStoppedCountsItsActions: a restore that
// fails SessionStopUnconfirmed carries its report as the failure's details;
// its row takes the actions' counts from it. A failure whose report has no
// counts leaves those the row had (from a progress signal).
func TestRowOfARestoreNotConfirmedStoppedCountsItsActions(t *testing.T) {
	counts := &workflows.ActionCounts{Total: 2, Succeeded: 1, Failed: 1}
	var row Row
	(&run{}).applyResult(&row, workflows.RestoreReport{}, temporal.NewNonRetryableApplicationError(
		"not confirmed Stopped", workflows.ErrSessionStopUnconfirmed, nil, workflows.RestoreReport{ActionCounts: counts}))
	require.Equal(t, RowFailed, row.State)
	require.Equal(t, workflows.ErrSessionStopUnconfirmed, row.ErrorType)
	require.Equal(t, counts, row.Actions, "the counts of the report in the failure's details")

	earlier := &workflows.ActionCounts{Total: 2, Succeeded: 1, Running: 1}
	row = Row{Actions: earlier}
	(&run{}).applyResult(&row, workflows.RestoreReport{}, temporal.NewNonRetryableApplicationError(
		"not confirmed Stopped", workflows.ErrSessionStopUnconfirmed, nil, workflows.RestoreReport{}))
	require.Equal(t, earlier, row.Actions, "a report without counts keeps the row's")
}
