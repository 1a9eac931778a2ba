package workerapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/internal/temporalcli"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// TestRunAgainstDevServer runs the worker against a real Temporal dev server:
// /readyz turns 200 once it polls, /metrics carries the SDK's metrics, the
// search-attribute check warns once when they are missing, and cancelling the
// context (what SIGTERM does) stops it cleanly.
func TestRunAgainstDevServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal dev server")
	}
	tests := []struct {
		name             string
		searchAttributes []string
		wantWarning      bool
	}{
		{"search attributes registered", workflows.SearchAttributes(), false},
		{"search attributes missing", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			srv, err := temporalcli.StartDevServer(ctx, temporalcli.Options{
				KeywordSearchAttributes: tt.searchAttributes,
				Progress:                testWriter{t},
			})
			if err != nil {
				t.Skipf("no Temporal dev server (the CLI is built by internal/temporalcli.Ensure): %v", err)
			}
			defer func() { _ = srv.Stop() }()

			port, err := temporalcli.FreePort("127.0.0.1")
			require.NoError(t, err)
			metricsAddr := fmt.Sprintf("127.0.0.1:%d", port)
			cfg, err := config.Load([]string{
				"TEMPORAL_ADDRESS=" + srv.HostPort,
				"TEMPORAL_TASK_QUEUE=workerapp-test",
				"VB365_URL=https://127.0.0.1:1", // not contacted: no workflow runs
				"VB365_USERNAME=u",
				"VB365_PASSWORD=do-not-log-me",
				"METRICS_ADDR=" + metricsAddr,
				"WORKER_STOP_TIMEOUT=5s",
			})
			require.NoError(t, err)

			core, logs := observer.New(zapcore.DebugLevel)
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- Run(runCtx, cfg, zap.New(core)) }()

			base := "http://" + metricsAddr
			require.Eventually(t, func() bool { return status(base+"/readyz") == http.StatusOK },
				30*time.Second, 100*time.Millisecond, "/readyz turns 200")
			assert.Equal(t, http.StatusOK, status(base+"/healthz"))
			require.Eventually(t, func() bool { return strings.Contains(body(base+"/metrics"), "temporal_") },
				10*time.Second, 200*time.Millisecond, "/metrics carries the SDK's metrics")

			stop() // what SIGINT/SIGTERM do
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
			assert.NotEqual(t, http.StatusOK, status(base+"/healthz"), "the HTTP server is shut down")

			warnings := logs.FilterMessageSnippet("search attribute").FilterLevelExact(zapcore.WarnLevel).All()
			if tt.wantWarning {
				require.Len(t, warnings, 1, "one warning")
				assert.Contains(t, warnings[0].Message, "temporal operator search-attribute create")
				assert.Contains(t, warnings[0].Message, "keeps working")
			} else {
				assert.Empty(t, warnings)
				assert.Len(t, logs.FilterMessage("search attributes registered").All(), 1)
			}
			assert.NotEmpty(t, logs.FilterMessage("worker stopped").All())
			for _, e := range logs.All() {
				line := e.Message + fmt.Sprint(e.ContextMap())
				assert.NotContains(t, line, "do-not-log-me")
			}
			start := logs.FilterMessage("starting vb365-restore worker").All()
			require.Len(t, start, 1)
			assert.Contains(t, fmt.Sprint(start[0].ContextMap()), "[redacted]")
		})
	}
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	return resp.StatusCode
}

func body(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// stubDialer connects with fn, retrying after a millisecond.
func stubDialer(fn func(ctx context.Context, opts client.Options) (client.Client, error)) dialer {
	return dialer{connect: fn, backoff: time.Millisecond}
}

// TestInsecureSkipVerifyWarnsOnce: the VB365 client warns about
// VB365_INSECURE_SKIP_VERIFY; the worker does not repeat it.
func TestInsecureSkipVerifyWarnsOnce(t *testing.T) {
	d := stubDialer(func(context.Context, client.Options) (client.Client, error) {
		return nil, errors.New("no Temporal here")
	})
	cfg, err := config.Load([]string{
		"VB365_URL=https://127.0.0.1:1",
		"VB365_USERNAME=u",
		"VB365_PASSWORD=p",
		"VB365_INSECURE_SKIP_VERIFY=true",
		"METRICS_ADDR=",
	})
	require.NoError(t, err)
	core, logs := observer.New(zapcore.DebugLevel)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // stop at the first connection attempt
	require.NoError(t, run(ctx, cfg, zap.New(core), workflows.Options{}, d))

	var warnings []string
	for _, e := range logs.FilterLevelExact(zapcore.WarnLevel).All() {
		if strings.Contains(strings.ToLower(e.Message), "verif") {
			warnings = append(warnings, e.Message)
		}
	}
	assert.Len(t, warnings, 1, "one warning about skipped TLS verification: %q", warnings)
}

// TestDialBuildsOptionsOnce: every connection attempt reuses the options
// (and TLS settings) built before the first one.
func TestDialBuildsOptionsOnce(t *testing.T) {
	var seen []client.Options
	d := stubDialer(func(_ context.Context, opts client.Options) (client.Client, error) {
		seen = append(seen, opts)
		if len(seen) < 3 {
			return nil, errors.New("not up yet")
		}
		return nil, nil
	})
	tcfg, err := config.LoadTemporal([]string{"TEMPORAL_ADDRESS=temporal.example.com:7233", "TEMPORAL_NAMESPACE=dr", "TEMPORAL_API_KEY=k"})
	require.NoError(t, err)
	_, err = d.dial(context.Background(), config.Worker{Temporal: tcfg}, zap.NewNop(), nil)
	require.NoError(t, err)
	require.Len(t, seen, 3)
	require.NotNil(t, seen[0].ConnectionOptions.TLS, "an API key turns TLS on")
	for i, opts := range seen[1:] {
		assert.Same(t, seen[0].ConnectionOptions.TLS, opts.ConnectionOptions.TLS, "attempt %d rebuilt the options", i+2)
		assert.Equal(t, "temporal.example.com:7233", opts.HostPort)
	}
}

// TestGRPCCompression: the worker's client sends its requests to Temporal
// uncompressed by default (TEMPORAL_GRPC_COMPRESSION), gzip-compressed
// when asked (the SDK's default, left as it is).
func TestGRPCCompression(t *testing.T) {
	for value, want := range map[string]client.GrpcCompression{
		"":     &client.GrpcCompressionNone{},
		"none": &client.GrpcCompressionNone{},
		"gzip": nil,
	} {
		var got client.Options
		d := stubDialer(func(_ context.Context, opts client.Options) (client.Client, error) {
			got = opts
			return nil, nil
		})
		env := []string{"VB365_URL=https://vb365.example.com", "VB365_USERNAME=u", "VB365_PASSWORD=p"}
		if value != "" {
			env = append(env, "TEMPORAL_GRPC_COMPRESSION="+value)
		}
		cfg, err := config.Load(env)
		require.NoError(t, err)
		_, err = d.dial(context.Background(), cfg, zap.NewNop(), nil)
		require.NoError(t, err)
		assert.Equal(t, want, got.ConnectionOptions.GrpcCompression, "TEMPORAL_GRPC_COMPRESSION=%q", value)
	}
}
