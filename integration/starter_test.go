package integration

import (
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// The operators' command line as the README shows it, against the real
// server and worker: restore --follow prints events until the restore is
// stopped with `starter stop`, then exits 0; a restore before the first
// backup exits 1 naming the error type.
func TestStarterCommandLine(t *testing.T) {
	s := newStack(t, vb365sim.Options{})
	root, err := testenv.ModuleRoot()
	require.NoError(t, err)
	bin, err := testenv.Build(root, t.TempDir(), "./starter")
	require.NoError(t, err)
	env := []string{
		"TEMPORAL_ADDRESS=" + devServer.Server.HostPort,
		"TEMPORAL_NAMESPACE=" + devServer.Server.Namespace,
		"TEMPORAL_TASK_QUEUE=" + s.taskQueue,
	}
	starter := func(ctx context.Context, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = env
		return cmd
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	var out testenv.SyncBuffer
	follow := starter(ctx, "restore", "--org", seedOrg, "--at", "2020-10-30T10:54:40Z", "--type", "vet",
		"--poll-interval", "1s", "--follow")
	follow.Stdout, follow.Stderr = &out, &out
	require.NoError(t, follow.Start())
	done := make(chan error, 1)
	go func() { done <- follow.Wait() }()

	idPattern := regexp.MustCompile(`Workflow ID: (\S+)`)
	var id string
	waitFor(t, time.Minute, "the workflow id and a first event printed", func() bool {
		m := idPattern.FindStringSubmatch(out.String())
		if m != nil {
			id = m[1]
		}
		return id != "" && strings.Contains(out.String(), "#1 ")
	})
	stopOut, err := starter(ctx, "stop", id, "--reason", "test over").CombinedOutput()
	require.NoError(t, err, string(stopOut))
	require.Contains(t, string(stopOut), "is Stopped")

	select {
	case err := <-done:
		require.NoError(t, err, "restore --follow exits 0 on success:\n%s", out.String())
	case <-ctx.Done():
		t.Fatalf("restore --follow did not end:\n%s", out.String())
	}
	got := out.String()
	require.Contains(t, got, "phase: session-open")
	require.Contains(t, got, "Teams restore (Entire organization - 10/30/2020 10:29:05 AM)")
	require.Contains(t, got, "done: stop-requested")
	require.Empty(t, testenv.WorkingSessions(s.sim))

	failed := starter(ctx, "restore", "--org", seedOrg, "--at", "2001-01-01T00:00:00Z", "--type", "vex", "--follow")
	failOut, err := failed.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, string(failOut))
	require.Equal(t, 1, exit.ExitCode(), string(failOut))
	require.Contains(t, string(failOut), "PointInTimeBeforeFirstBackup")
	require.Len(t, s.sim.Sessions(), 1, "the rejected restore opened no session")
}
