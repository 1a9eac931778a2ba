package main

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

func TestDemoInputIsTheSeedExample(t *testing.T) {
	got, err := json.Marshal(demoInput())
	require.NoError(t, err)
	require.JSONEq(t, `{"organizationId":"3c424478-0811-4920-8aab-01f0bf2a2822","pointInTime":"2020-10-30T10:54:40.2794046Z","type":"vet"}`, string(got))
}

func TestParseFlagsDefaults(t *testing.T) {
	o, err := parseFlags(nil, os.Stderr)
	require.NoError(t, err)
	require.Equal(t, 7233, o.temporalPort)
	require.Equal(t, 8233, o.uiPort)
	require.Equal(t, 4443, o.simPort)
	require.Equal(t, 9090, o.metricsPort)
	require.FileExists(t, filepath.Join(o.root, "go.mod"))
	require.Equal(t, filepath.Join(o.root, ".devstack"), o.stateDir)
	require.Equal(t, "http://localhost:8233", o.uiURL())

	o, err = parseFlags([]string{"--temporal-port", "17233", "--state-dir", "x", "--no-demo"}, os.Stderr)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:17233", o.temporalAddr())
	require.True(t, o.noDemo)
	require.True(t, filepath.IsAbs(o.stateDir))

	o, err = parseFlags([]string{"--ensure-cli-only"}, os.Stderr)
	require.NoError(t, err)
	require.True(t, o.ensureCLI)
}

func TestWorkerEnvironment(t *testing.T) {
	t.Setenv("TEMPORAL_ADDRESS", "somewhere-else:7233")
	t.Setenv("VB365_PASSWORD", "not-this-one")
	t.Setenv("PAYLOAD_KEYS_FILE", "/elsewhere/keys.json")
	s := &stack{opts: options{temporalPort: 7233, uiPort: 8233, simPort: 4443, metricsPort: 9090, stateDir: "/state"}}
	env := map[string][]string{}
	for _, kv := range s.workerEnv() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = append(env[k], v)
	}
	want := map[string]string{
		"TEMPORAL_ADDRESS":               "127.0.0.1:7233",
		"TEMPORAL_NAMESPACE":             "default",
		"TEMPORAL_TASK_QUEUE":            "vb365-restore",
		"VB365_URL":                      "https://127.0.0.1:4443",
		"VB365_USERNAME":                 "admin",
		"VB365_PASSWORD":                 "admin",
		"VB365_CA_FILE":                  "/state/sim-ca.pem",
		"LOG_FORMAT":                     "console",
		"METRICS_ADDR":                   "127.0.0.1:9090",
		"PAYLOAD_KEYS_FILE":              "/state/payload-keys.json",
		"VB365_RESTORE_CREDENTIALS_FILE": "/state/restore-credentials.json",
	}
	for k, v := range want {
		require.Equal(t, []string{v}, env[k], k)
	}
}

func TestCheckPortsNamesTheFlag(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port

	err = checkPorts(listenIP, []port{{"VB365 simulator", "--sim-port", taken}})
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, strconv.Itoa(taken))
	require.Contains(t, msg, "--sim-port")
	require.Contains(t, msg, "pid "+strconv.Itoa(os.Getpid()), "names the holder")

	require.ErrorContains(t, checkPorts(listenIP, []port{{"a", "--a", 1}, {"b", "--b", 1}}), "both")
}

func TestChildStopEndsTheWholeGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "grandchild.pid")
	c, err := startChild("sleeper", filepath.Join(dir, "log"), dir, os.Environ(),
		"/bin/sh", "-c", "sleep 300 & echo $! > "+pidFile+"; wait")
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, err := os.Stat(pidFile); return err == nil }, 5*time.Second, 20*time.Millisecond)
	b, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	grandchild, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)

	require.NoError(t, c.stop(5*time.Second, nil))
	require.True(t, c.exited())
	require.Eventually(t, func() bool {
		return syscall.Kill(grandchild, 0) == syscall.ESRCH
	}, 5*time.Second, 20*time.Millisecond, "grandchild survived")
}

func TestMaskSecretFlags(t *testing.T) {
	in := []string{"--addr", "127.0.0.1:1", "--username", "admin", "--password", "s3cret", "-password=s3cret", "--password=", "--passwords", "x", "--password"}
	require.Equal(t, []string{"--addr", "127.0.0.1:1", "--username", "admin", "--password", "***", "-password=***", "--password=***", "--passwords", "x", "--password"},
		maskSecretFlags(in))
	require.Equal(t, "s3cret", in[5], "the arguments themselves are untouched")
}

// TestChildLogMasksPassword: the command line a child's log starts with does
// not show the simulator's password.
func TestChildLogMasksPassword(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "simulator.log")
	c, err := startChild("echo", logPath, dir, os.Environ(), "/bin/echo", "--username", "admin", "--password", "s3cret-Pw")
	require.NoError(t, err)
	<-c.done
	b, err := os.ReadFile(logPath)
	require.NoError(t, err)
	header, output, _ := strings.Cut(strings.TrimLeft(string(b), "\n"), "\n")
	require.Contains(t, header, "/bin/echo --username admin --password ***")
	require.NotContains(t, header, "s3cret-Pw")
	require.Equal(t, "--username admin --password s3cret-Pw\n", output, "the child still got the password")
}

func TestIndentPrefixesLinesWrittenInPieces(t *testing.T) {
	var b strings.Builder
	w := indent(&b)
	for _, piece := range []string{"phase: open\n", "  session s-1", " Working", "\n", "a\nb\n"} {
		n, err := io.WriteString(w, piece)
		require.NoError(t, err)
		require.Equal(t, len(piece), n)
	}
	require.Equal(t, "  phase: open\n    session s-1 Working\n  a\n  b\n", b.String())
}

// The dev stack's worker holds the profile the example playbooks name, with
// the credentials the simulated organization accepts.
func TestRestoreCredentialsFileHoldsTheExamplesProfile(t *testing.T) {
	o := options{stateDir: t.TempDir()}
	require.NoError(t, writeRestoreCredentials(o))
	fi, err := os.Stat(o.restoreCredentialsFile())
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	profiles, err := config.LoadRestoreCredentialsFile(o.restoreCredentialsFile())
	require.NoError(t, err)
	rc, ok := profiles.Lookup(devCredentialProfile)
	require.True(t, ok, "profile %s in %v", devCredentialProfile, profiles.Names())
	require.Equal(t, vb365sim.RestoreUserName, rc.UserName)
	require.Equal(t, vb365sim.RestorePassword, rc.Password.Reveal())
}

// The example playbooks name the dev stack's profile, so that the README's
// walk-through runs against it.
func TestExamplePlaybooksNameTheDevProfile(t *testing.T) {
	files, err := filepath.Glob("../examples/playbooks/*.json")
	require.NoError(t, err)
	named := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var pb struct {
			Restores []struct {
				Actions []struct {
					CredentialProfile string `json:"credentialProfile"`
				} `json:"actions"`
			} `json:"restores"`
		}
		require.NoError(t, json.Unmarshal(b, &pb), f)
		for _, r := range pb.Restores {
			for _, a := range r.Actions {
				require.Equal(t, devCredentialProfile, a.CredentialProfile, f)
				named++
			}
		}
	}
	require.NotZero(t, named)
}
