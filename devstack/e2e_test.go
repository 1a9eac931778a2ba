package main

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/internal/temporalcli"
	"github.com/vb365-restore/vb365-restore/internal/testenv"
)

// TestDevStackEndToEnd runs the whole stack on free ports: Temporal, the
// simulator and the worker come up, the demo restore opens its session and
// records events, and cancelling (Ctrl-C) leaves no port behind.
func TestDevStackEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the whole stack")
	}
	ports := make([]int, 5)
	for i := range ports {
		p, err := temporalcli.FreePort(listenIP)
		require.NoError(t, err)
		ports[i] = p
	}
	o, err := parseFlags([]string{
		"--temporal-port", strconv.Itoa(ports[0]), "--ui-port", strconv.Itoa(ports[1]),
		"--sim-port", strconv.Itoa(ports[2]), "--metrics-port", strconv.Itoa(ports[3]),
		"--codec-port", strconv.Itoa(ports[4]),
		"--state-dir", t.TempDir(),
	}, nil)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testenv.SyncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, o, &out, nil) }()

	deadline := time.After(15 * time.Minute) // a first build of the Temporal CLI included
	for !strings.Contains(out.String(), "Where to look") {
		select {
		case err := <-done:
			t.Fatalf("the stack ended early: %v\n%s\ntemporal.log:\n%s", err, out.String(), tailFile(o.path("logs", "temporal.log"), 60))
		case <-deadline:
			t.Fatalf("no \"where to look\" block:\n%s", out.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	got := out.String()
	t.Log(got)
	require.Contains(t, got, "  phase: session-open")
	require.Contains(t, got, "    #0 ")
	require.Contains(t, got, "Restore session started")
	require.Contains(t, got, "go run ./starter stop devstack-demo-")
	require.Contains(t, got, "TEMPORAL_ADDRESS=127.0.0.1:"+strconv.Itoa(ports[0]), "non-default ports are spelled out for the starter")
	require.Contains(t, got, "--codec-endpoint http://127.0.0.1:"+strconv.Itoa(ports[4]))
	checkDemoEncrypted(t, o, got)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("the stack did not stop")
	}
	// The demo's workflow ended (its session stopped) before the worker went.
	stopped := out.String()
	require.Contains(t, stopped, "stopping the demo restore devstack-demo-")
	require.NotContains(t, stopped, "could not stop the demo restore")
	require.NotContains(t, stopped, "did not end cleanly")
	for _, p := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort(listenIP, strconv.Itoa(p)))
		require.NoError(t, err, "port %d still taken after the stack stopped", p)
		l.Close()
	}
}
