package playbook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// recordedHistories lists the playbook histories in testdata (README.md
// there says which path and release each is); none fails the test.
func recordedHistories(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	if len(files) == 0 {
		t.Fatalf("no recorded history in testdata: run VB365_RECORD_HISTORY=1 go test -run TestRecordHistories ./workflows/playbook/")
	}
	return files
}

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
func replay(wf func(workflow.Context, Input, Options) (Report, error), file string) error {
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
	for _, f := range recordedHistories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			require.NoError(t, replay(playbookWorkflow, f))
		})
	}
}

// withExtraTimer is the playbook with one command added before it starts.
func withExtraTimer(ctx workflow.Context, in Input, opts Options) (Report, error) {
	if err := workflow.Sleep(ctx, time.Second); err != nil {
		return Report{}, err
	}
	return playbookWorkflow(ctx, in, opts)
}

// withVersionedExtraTimer adds the same command behind workflow.GetVersion.
func withVersionedExtraTimer(ctx workflow.Context, in Input, opts Options) (Report, error) {
	if workflow.GetVersion(ctx, "extra-timer", workflow.DefaultVersion, 1) == 1 {
		if err := workflow.Sleep(ctx, time.Second); err != nil {
			return Report{}, err
		}
	}
	return playbookWorkflow(ctx, in, opts)
}

// TestReplayCatchesUnversionedCommand proves TestReplay can fail: an added
// command breaks the replay of every recorded playbook history, the same
// command behind GetVersion replays.
func TestReplayCatchesUnversionedCommand(t *testing.T) {
	for _, f := range recordedHistories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			err := replay(withExtraTimer, f)
			require.Error(t, err, "an added timer must not replay")
			require.Regexp(t, `TMPRL1100|[Nn]ondeterministic`, err.Error())
			require.NoError(t, replay(withVersionedExtraTimer, f))
		})
	}
}
