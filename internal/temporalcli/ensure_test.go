package temporalcli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"github.com/stretchr/testify/require"
)

// fakeGo puts a `go` on PATH that "builds" a fake temporal binary into
// $GOBIN and records each call in the returned file.
func fakeGo(t *testing.T) (calls string) {
	t.Helper()
	dir := t.TempDir()
	calls = filepath.Join(dir, "calls")
	script := `#!/bin/sh
echo "$PWD|$GOFLAGS|$GOWORK|$*" >> "` + calls + `"
echo "go: downloading github.com/temporalio/cli ` + Version + `"
echo "github.com/temporalio/cli/temporalcli"
sleep 0.3
printf '#!/bin/sh\necho "temporal version 0.0.0-test"\n' > "$GOBIN/temporal"
chmod +x "$GOBIN/temporal"
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go"), []byte(script), 0o755))
	t.Setenv("PATH", dir+string(os.PathListSeparator)+"/bin"+string(os.PathListSeparator)+"/usr/bin")
	return calls
}

// isolatedCache points Path at an empty cache folder.
func isolatedCache(t *testing.T) string {
	t.Helper()
	t.Setenv(EnvPath, "")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	return Path()
}

func TestPathHonoursEnv(t *testing.T) {
	t.Setenv(EnvPath, "/opt/temporal")
	require.Equal(t, "/opt/temporal", Path())

	p := isolatedCache(t)
	require.True(t, strings.HasSuffix(p, filepath.Join("vb365-restore", "temporal-cli-v1.5.1", "temporal")), p)
}

func TestEnsureIsNoOpWhenBinaryExists(t *testing.T) {
	p := isolatedCache(t)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755))
	t.Setenv("PATH", t.TempDir()) // no go: building would fail

	var progress bytes.Buffer
	got, err := Ensure(context.Background(), &progress)
	require.NoError(t, err)
	require.Equal(t, p, got)
	require.Empty(t, progress.String())
}

func TestEnsureRejectsMissingOverride(t *testing.T) {
	t.Setenv(EnvPath, filepath.Join(t.TempDir(), "nope"))
	_, err := Ensure(context.Background(), nil)
	require.ErrorContains(t, err, EnvPath)
}

func TestEnsureBuildsOnceWithProgress(t *testing.T) {
	p := isolatedCache(t)
	calls := fakeGo(t)

	var mu sync.Mutex
	var printed bytes.Buffer
	w := writerFunc(func(b []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return printed.Write(b) })

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := ensure(context.Background(), progress{w: w, every: 50 * time.Millisecond})
			require.NoError(t, err)
			require.Equal(t, p, got)
		}()
	}
	wg.Wait()

	log, err := os.ReadFile(calls)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	require.Len(t, lines, 1, "built more than once: %s", log)
	fields := strings.Split(lines[0], "|")
	require.NotEqual(t, filepath.Dir(p), fields[0], "go install must run outside the cache folder")
	require.NoFileExists(t, filepath.Join(fields[0], "go.mod"))
	require.Equal(t, "-mod=mod", fields[1])
	require.Equal(t, "off", fields[2])
	require.Equal(t, "install -v github.com/temporalio/cli/cmd/temporal@"+Version, fields[3])

	out := printed.String()
	require.Contains(t, out, "once per machine")
	require.Contains(t, out, "five minutes")
	require.Contains(t, out, "go: downloading")
	require.NotContains(t, out, "  github.com/temporalio/cli/temporalcli\n", "package lines are counted, not printed")
	require.Contains(t, out, "elapsed")
	require.Contains(t, out, "temporal version 0.0.0-test")

	entries, err := os.ReadDir(filepath.Dir(p))
	require.NoError(t, err)
	for _, e := range entries {
		require.False(t, strings.HasPrefix(e.Name(), ".staging-"), "staging folder left behind")
	}
}

func TestEnsureWaitsForAnotherProcessBuild(t *testing.T) {
	p := isolatedCache(t)
	calls := fakeGo(t)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	other := flock.New(filepath.Join(filepath.Dir(p), ".build.lock"))
	locked, err := other.TryLock()
	require.NoError(t, err)
	require.True(t, locked)

	var progress bytes.Buffer
	done := make(chan error, 1)
	go func() { _, err := Ensure(context.Background(), &progress); done <- err }()

	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Ensure returned while another build held the lock: %v", err)
	default:
	}
	// The "other process" finishes its build.
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\necho temporal version x\n"), 0o755))
	require.NoError(t, other.Unlock())

	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Ensure did not return after the lock was released")
	}
	require.Contains(t, progress.String(), "Another process is building")
	require.NoFileExists(t, calls, "must not build again")
}

func TestEnsureReportsBuildFailure(t *testing.T) {
	isolatedCache(t)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go"), []byte("#!/bin/sh\necho 'build exploded' >&2\nexit 1\n"), 0o755))
	t.Setenv("PATH", dir+":/bin:/usr/bin")
	_, err := Ensure(context.Background(), nil)
	require.ErrorContains(t, err, "build exploded")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// TestEnsureBuildsTheRealCLI builds the pinned CLI into an empty cache with
// the real Go toolchain: minutes of CPU, so only on request.
func TestEnsureBuildsTheRealCLI(t *testing.T) {
	if os.Getenv("VB365_TEST_CLI_BUILD") == "" {
		t.Skip("set VB365_TEST_CLI_BUILD=1 to build the Temporal CLI from source (about five minutes on two cores)")
	}
	p := isolatedCache(t)
	got, err := Ensure(context.Background(), testLog{t})
	require.NoError(t, err)
	require.Equal(t, p, got)
	v, err := checkVersion(context.Background(), got)
	require.NoError(t, err)
	require.Contains(t, v, "Server 1.29.1")
}
