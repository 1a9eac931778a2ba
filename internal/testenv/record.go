package testenv

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// Recording is one path of a workflow that a recorder drives on a real
// server, through the production worker and the simulator.
type Recording struct {
	Name string
	// Scenario is the simulator's (nil: ShortScenario) and Options the
	// worker's bounds of the restore workflow (zero: the defaults).
	Scenario *vb365sim.Scenario
	Options  workflows.Options
	// Run drives the path, asserts that it really happened and names the
	// runs whose histories to write.
	Run func(t *testing.T, s *RecordStack) []Recorded
}

// RecordStack is what a Recording's Run drives: the dev server's client
// and a stack serving the task queue "<prefix><name>" alone.
type RecordStack struct {
	Ctx    context.Context
	Client client.Client
	*Stack
}

// Recorded is one run whose history a recording writes, to
// testdata/<release>-<File>.json.
type Recorded struct {
	File              string
	WorkflowID, RunID string // RunID "": the latest run
	// LastEvent is how the run must end.
	LastEvent enumspb.EventType
	// Check, optional, asserts what the history must show.
	Check func(*testing.T, *historypb.History)
}

// RecordHistories runs every recording, in parallel, on one dev server and
// writes the histories testdata lacks as testdata/<release>-<file>.json
// (EnvRecordHistory=overwrite rewrites them), each at most maxEvents long.
// It skips unless EnvRecordHistory is set; it needs the Temporal CLI
// (TEMPORAL_CLI, default the project's cached build).
func RecordHistories(t *testing.T, release, queuePrefix string, maxEvents int, recs []Recording) {
	if os.Getenv(EnvRecordHistory) == "" {
		t.Skipf("set %s=1 to record testdata histories on a dev server", EnvRecordHistory)
	}
	// Cleanups, not defers: the parallel subtests run after this function returns.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	t.Cleanup(cancel)
	srv, err := StartTemporal(ctx, "")
	require.NoError(t, err)
	t.Cleanup(srv.Stop)

	for _, rec := range recs {
		t.Run(rec.Name, func(t *testing.T) {
			t.Parallel()
			sc := rec.Scenario
			if sc == nil {
				sc = ShortScenario()
			}
			dir := t.TempDir()
			creds, err := RestoreCredentialsEnv(dir) // the restore actions' profile
			require.NoError(t, err)
			st, err := StartStackWith(srv, vb365sim.Options{Scenario: sc}, rec.Options, dir, queuePrefix+rec.Name, creds)
			require.NoError(t, err)
			defer func() { require.NoError(t, st.Stop()) }()
			for _, out := range rec.Run(t, &RecordStack{Ctx: ctx, Client: srv.Client, Stack: st}) {
				h, err := History(ctx, srv.Client, out.WorkflowID, out.RunID)
				require.NoError(t, err)
				n := len(h.Events)
				require.LessOrEqual(t, n, maxEvents, "%s: history too long", out.File)
				require.Equal(t, out.LastEvent, h.Events[n-1].GetEventType(), "%s: how the run ended", out.File)
				if out.Check != nil {
					out.Check(t, h)
				}
				path := filepath.Join("testdata", release+"-"+out.File+".json")
				wrote, err := WriteHistory(h, path)
				require.NoError(t, err)
				t.Logf("%s: %d history events (written: %t; an existing file is kept)", path, n, wrote)
			}
		})
	}
}

// Result waits for run's result, which must be a success.
func Result[T any](t testing.TB, ctx context.Context, run client.WorkflowRun) T {
	t.Helper()
	var v T
	require.NoError(t, run.Get(ctx, &v))
	return v
}
