package playbook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/internal/historytest"
)

// HistoryWorkflowID is the workflow id the playbook of a history file was
// recorded under: <release>-<path>.json holds the run of
// record-playbook-<path>. The replay needs it because the children's ids
// (commands in the history) derive from the playbook's id. A
// <path>-final-run file is the last run of record-playbook-<path>.
func HistoryWorkflowID(file string) string {
	name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(file), ".json"), "-final-run")
	_, path, _ := strings.Cut(name, "-")
	return "record-playbook-" + path
}

// replay replays one playbook history with wf registered as the playbook.
// The children are commands in the playbook's history, not code it runs:
// the restore workflow need not be registered.
func replay(wf historytest.Workflow[Input, Options, Report], file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return err
	}
	r := worker.NewWorkflowReplayer()
	opts := replayOptions(file)
	r.RegisterWorkflowWithOptions(func(ctx workflow.Context, in Input) (Report, error) { return wf(ctx, in, opts) },
		workflow.RegisterOptions{Name: WorkflowName})
	return r.ReplayWorkflowHistoryWithOptions(nil, h, worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: HistoryWorkflowID(file)}})
}

// recordEventsPerRun is the Options.EventsPerRun of the worker that
// recorded the continue-as-new histories: a replay must decide as it did.
const recordEventsPerRun = 40

// replayOptions are the playbook's Options of the worker that recorded file.
func replayOptions(file string) Options {
	if strings.Contains(filepath.Base(file), "continue-as-new") {
		return Options{EventsPerRun: recordEventsPerRun}.withDefaults()
	}
	return Options{}.withDefaults()
}

// TestReplay replays every recorded playbook history against the current
// code: a change that would break the playbooks a deploy finds running
// fails here.
func TestReplay(t *testing.T) {
	historytest.RequireReplays(t, historytest.Files(t, "./workflows/playbook/"), playbookWorkflow, replay)
}

// TestReplayCatchesUnversionedCommand proves TestReplay can fail: a command
// added without GetVersion breaks the replay of every recorded history with
// a non-determinism error, and the same command behind GetVersion replays.
func TestReplayCatchesUnversionedCommand(t *testing.T) {
	historytest.RequireReplayCatchesUnversionedCommand(t, historytest.Files(t, "./workflows/playbook/"), playbookWorkflow, replay)
}
