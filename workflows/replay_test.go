package workflows

import (
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/internal/historytest"
)

// replay replays one history file with wf registered as the restore
// workflow, run with the Options of the worker that recorded the file.
func replay(wf historytest.Workflow[RestoreInput, Options, RestoreReport], file string) error {
	r := worker.NewWorkflowReplayer()
	opts := recordOptions(file).withDefaults()
	r.RegisterWorkflowWithOptions(func(ctx workflow.Context, in RestoreInput) (RestoreReport, error) { return wf(ctx, in, opts) },
		workflowRegisterOptions())
	return r.ReplayWorkflowHistoryFromJSONFile(nil, file)
}

// recordOptions are the Options of the worker that records a path's
// histories (record_test.go), and so of their replays.
func recordOptions(path string) Options {
	b := historytest.RecordedRestoreBounds(path)
	return Options{BatchesPerRun: b.BatchesPerRun, StopConfirmBound: b.StopConfirmBound}
}

// TestReplay replays every recorded history against the current workflow
// code: a change that would break the restores a deploy finds running
// (non-determinism) fails here. Histories of earlier releases stay in
// testdata for good.
func TestReplay(t *testing.T) {
	historytest.RequireReplays(t, historytest.Files(t, "./workflows/"), restoreSessionWorkflow, replay)
}

// TestReplayCatchesUnversionedCommand proves TestReplay can fail: a command
// added without GetVersion breaks the replay of every recorded history with
// a non-determinism error, and the same command behind GetVersion replays.
func TestReplayCatchesUnversionedCommand(t *testing.T) {
	historytest.RequireReplayCatchesUnversionedCommand(t, historytest.Files(t, "./workflows/"), restoreSessionWorkflow, replay)
}
