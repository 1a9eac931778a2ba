package workflows

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/internal/historytest"
)

// replay replays one history file with wf registered as the restore
// workflow, run with the Options of the worker that recorded the file.
func replay(wf historytest.Workflow[RestoreInput, Options, RestoreReport], file string) error {
	r := worker.NewWorkflowReplayer()
	opts := recordOptions(historyPath(file)).withDefaults()
	r.RegisterWorkflowWithOptions(func(ctx workflow.Context, in RestoreInput) (RestoreReport, error) { return wf(ctx, in, opts) },
		workflowRegisterOptions())
	return r.ReplayWorkflowHistoryFromJSONFile(nil, file)
}

// historyPath is the path a history file was recorded for: its name without
// the release prefix and the run suffix ("continue-as-new" for
// release1-continue-as-new-run2.json).
func historyPath(file string) string {
	name := strings.TrimSuffix(filepath.Base(file), ".json")
	if _, rest, ok := strings.Cut(name, "-"); ok && strings.HasPrefix(name, "release") {
		name = rest
	}
	return strings.TrimSuffix(strings.TrimSuffix(name, "-run1"), "-run2")
}

// recordOptions are the Options (zero: the defaults) of the worker that
// records a path's histories (record_test.go), and so of its replay: a
// bound that decides when a run continues as new or gives up must be the
// same, or the replay takes another path.
func recordOptions(path string) Options {
	switch path {
	case "continue-as-new":
		return Options{BatchesPerRun: 2}
	case "stop-unconfirmed":
		return Options{StopConfirmBound: 4 * time.Second}
	}
	return Options{}
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
