// Package historytest holds what the replay tests of the workflows share:
// the recorded histories in a package's testdata, and the proof that a
// replay catches a change of workflow commands. It imports no workflow, so
// that a workflow package's own tests can use it.
package historytest

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"
)

// Files lists the recorded histories in testdata (testdata/*.json) and fails
// the test when there is none, saying how to record them (pkg: the
// package's path, such as ./workflows/).
func Files(t testing.TB, pkg string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	if len(files) == 0 {
		t.Fatalf("no recorded history in testdata: run VB365_RECORD_HISTORY=1 go test -run TestRecordHistories %s", pkg)
	}
	return files
}

// Workflow is a workflow function with its worker's options: the form a
// replay registers.
type Workflow[In, Opts, Out any] func(workflow.Context, In, Opts) (Out, error)

// WithExtraTimer is wf with one timer added before it starts: the kind of
// change a deploy must not make unversioned. versioned puts the timer
// behind workflow.GetVersion, where runs recorded before take the old path.
func WithExtraTimer[In, Opts, Out any](wf Workflow[In, Opts, Out], versioned bool) Workflow[In, Opts, Out] {
	return func(ctx workflow.Context, in In, opts Opts) (Out, error) {
		if !versioned || workflow.GetVersion(ctx, "extra-timer", workflow.DefaultVersion, 1) == 1 {
			if err := workflow.Sleep(ctx, time.Second); err != nil {
				var zero Out
				return zero, err
			}
		}
		return wf(ctx, in, opts)
	}
}

// RequireReplays replays every file with wf: a change that would break the
// workflows a deploy finds running (non-determinism) fails here.
func RequireReplays[In, Opts, Out any](t *testing.T, files []string, wf Workflow[In, Opts, Out],
	replay func(Workflow[In, Opts, Out], string) error) {
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			require.NoError(t, replay(wf, f))
		})
	}
}

// RequireReplayCatchesUnversionedCommand proves that a replay test can
// fail: with one command added in front of wf, replay fails every file with
// a non-determinism error; with the same command behind GetVersion, every
// file replays.
func RequireReplayCatchesUnversionedCommand[In, Opts, Out any](t *testing.T, files []string, wf Workflow[In, Opts, Out],
	replay func(Workflow[In, Opts, Out], string) error) {
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			err := replay(WithExtraTimer(wf, false), f)
			require.Error(t, err, "an added timer must not replay")
			require.Regexp(t, `TMPRL1100|[Nn]ondeterministic`, err.Error())
			require.NoError(t, replay(WithExtraTimer(wf, true), f))
		})
	}
}

// Path is the path a history file was recorded for: its name without the
// release prefix and the run suffix ("continue-as-new" for
// release1-continue-as-new-run2.json).
func Path(file string) string {
	name := strings.TrimSuffix(filepath.Base(file), ".json")
	if _, rest, ok := strings.Cut(name, "-"); ok && strings.HasPrefix(name, "release") {
		name = rest
	}
	return strings.TrimSuffix(strings.TrimSuffix(name, "-run1"), "-run2")
}

// RestoreBounds are the restore workflow's worker bounds that differ from
// the defaults when a path is recorded. Every replay of its histories (the
// workflow's own, the encrypted ones) needs the same: a bound that decides
// when a run continues as new or gives up on a stop takes another path
// otherwise.
type RestoreBounds struct {
	BatchesPerRun    int
	StopConfirmBound time.Duration
}

// RecordedRestoreBounds are the bounds a restore history file (or a path
// name) was recorded with; zero fields are the defaults.
func RecordedRestoreBounds(file string) RestoreBounds {
	switch Path(file) {
	case "continue-as-new":
		return RestoreBounds{BatchesPerRun: 2}
	case "stop-unconfirmed":
		return RestoreBounds{StopConfirmBound: 4 * time.Second}
	}
	return RestoreBounds{}
}
