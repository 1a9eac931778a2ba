package integration

import (
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/internal/gomodule"
	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

// The operators' command line as the README shows it, against the real
// server and worker: restore --follow prints events until the restore is
// stopped with `starter stop`, then exits 0; a restore before the first
// backup exits 1 naming the error type.
// buildDir holds binaries built once for the package's tests; TestMain
// removes it.
var buildDir string

// starterBinary is the starter built once for the package's tests.
var starterBinary = sync.OnceValues(func() (string, error) {
	root, err := gomodule.Root()
	if err != nil {
		return "", err
	}
	return testenv.Build(root, buildDir, "./starter")
})

// starterCommand returns a function that makes a starter command line
// against the test server and s's task queue.
func starterCommand(t *testing.T, s *stack) func(ctx context.Context, args ...string) *exec.Cmd {
	t.Helper()
	bin, err := starterBinary()
	require.NoError(t, err)
	env := []string{
		"TEMPORAL_ADDRESS=" + devServer.Server.HostPort,
		"TEMPORAL_NAMESPACE=" + devServer.Server.Namespace,
		"TEMPORAL_TASK_QUEUE=" + s.taskQueue,
	}
	return func(ctx context.Context, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = env
		return cmd
	}
}

func TestStarterCommandLine(t *testing.T) {
	s := newStack(t, vb365sim.Options{})
	starter := starterCommand(t, s)
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

// starter status and starter stop on a real playbook print the playbook's
// own answers (its rows), not a restore's.
func TestStarterStatusAndStopOnAPlaybook(t *testing.T) {
	s := newStack(t, vb365sim.Options{})
	starter := starterCommand(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := s.startPlaybook(playbook.Input{Name: "cli drill", Restores: []workflows.RestoreInput{
		{OrganizationID: seedOrg, Type: "vet", PollInterval: "1s"},
		{OrganizationID: seedOrg, Type: "vex", PollInterval: "1s"},
	}})
	waitFor(t, time.Minute, "both sessions open", func() bool {
		rep, err := playbookStatus(t, run.GetID())
		return err == nil && rep.Counts[playbook.RowOpen] == 2
	})

	out, err := starter(ctx, "status", run.GetID()).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "Playbook:  cli drill ("+run.GetID()+")")
	require.Contains(t, string(out), "Restores:  2: 2 open")
	require.Contains(t, string(out), "[1] "+seedOrg+" vet: open")
	require.Contains(t, string(out), "[2] "+seedOrg+" vex: open")

	out, err = starter(ctx, "status", run.GetID(), "--json").Output()
	require.NoError(t, err, string(out))
	var rep playbook.Report
	require.NoError(t, json.Unmarshal(out, &rep), string(out))
	require.Equal(t, "cli drill", rep.Name)
	require.Len(t, rep.Rows, 2)
	require.NotEmpty(t, rep.Rows[0].SessionID)

	out, err = starter(ctx, "stop", run.GetID(), "--reason", "drill over").CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "Stopped: 2 done")
	require.Contains(t, string(out), "[1] "+seedOrg+" vet: done")
	require.Contains(t, string(out), "(Stopped)")
	require.NoError(t, run.Get(ctx, nil))
	require.Empty(t, testenv.WorkingSessions(s.sim))
}
