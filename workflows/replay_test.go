package workflows

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// recordedHistories lists the histories in testdata: every path of every
// release, recorded on a real server (testdata/README.md says which is
// which, record_test.go records them). It fails the test when there is none.
func recordedHistories(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	if len(files) == 0 {
		t.Fatalf("no recorded history in testdata: run VB365_RECORD_HISTORY=1 go test -run TestRecordHistories ./workflows/")
	}
	return files
}

// replay replays one history file with wf registered as the restore
// workflow, run with the Options of the worker that recorded the file.
func replay(wf func(workflow.Context, RestoreInput, Options) (RestoreReport, error), file string) error {
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
	for _, f := range recordedHistories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			require.NoError(t, replay(restoreSessionWorkflow, f))
		})
	}
}

// withExtraTimer is the restore workflow with one command added before it
// starts: the kind of change a deploy must not make unversioned.
func withExtraTimer(ctx workflow.Context, in RestoreInput, opts Options) (RestoreReport, error) {
	if err := workflow.Sleep(ctx, time.Second); err != nil {
		return RestoreReport{}, err
	}
	return restoreSessionWorkflow(ctx, in, opts)
}

// withVersionedExtraTimer adds the same command behind workflow.GetVersion:
// runs recorded before it take the old path.
func withVersionedExtraTimer(ctx workflow.Context, in RestoreInput, opts Options) (RestoreReport, error) {
	if workflow.GetVersion(ctx, "extra-timer", workflow.DefaultVersion, 1) == 1 {
		if err := workflow.Sleep(ctx, time.Second); err != nil {
			return RestoreReport{}, err
		}
	}
	return restoreSessionWorkflow(ctx, in, opts)
}

// TestReplayCatchesUnversionedCommand proves TestReplay can fail: a command
// added without GetVersion breaks the replay of every recorded history with
// a non-determinism error, and the same command behind GetVersion replays.
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
