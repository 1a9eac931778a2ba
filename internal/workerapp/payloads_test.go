package workerapp

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// runOnce runs the worker up to its first connection attempt and returns the
// client options it dialled with and its log.
func runOnce(t *testing.T, environ ...string) (client.Options, *observer.ObservedLogs) {
	t.Helper()
	var seen client.Options
	ctx, cancel := context.WithCancel(context.Background())
	d := stubDialer(func(_ context.Context, opts client.Options) (client.Client, error) {
		seen = opts
		cancel()
		return nil, errors.New("no Temporal here")
	})
	cfg, err := config.Load(append([]string{"VB365_URL=https://127.0.0.1:1", "VB365_USERNAME=u", "VB365_PASSWORD=p", "METRICS_ADDR="}, environ...))
	require.NoError(t, err)
	core, logs := observer.New(zapcore.DebugLevel)
	require.NoError(t, run(ctx, cfg, zap.New(core), workflows.Options{}, d))
	return seen, logs
}

func TestUnencryptedWorkerWarnsOnce(t *testing.T) {
	opts, logs := runOnce(t)
	assert.Nil(t, opts.DataConverter)
	assert.Nil(t, opts.FailureConverter)
	assert.Equal(t, 1, logs.FilterLevelExact(zapcore.WarnLevel).FilterMessageSnippet("PAYLOAD_KEYS_FILE").Len())
}

func TestEncryptingWorkerNeverLogsTheKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0x5a}, 32)
	key := base64.StdEncoding.EncodeToString(raw)
	file := filepath.Join(t.TempDir(), "keys.yaml")
	require.NoError(t, os.WriteFile(file, []byte("current: k1\nkeys:\n  k1: "+key+"\n"), 0o600))

	opts, logs := runOnce(t, "PAYLOAD_KEYS_FILE="+file)
	require.NotNil(t, opts.DataConverter)
	require.NotNil(t, opts.FailureConverter)
	p, err := opts.DataConverter.ToPayload("Board minutes.docx")
	require.NoError(t, err)
	assert.Equal(t, "k1", string(p.Metadata["encryption-key-id"]))

	assert.Zero(t, logs.FilterMessageSnippet("PAYLOAD_KEYS_FILE is not set").Len())
	assert.Equal(t, 1, logs.FilterMessage("payloads encrypted").Len())
	var all strings.Builder
	for _, e := range logs.All() {
		fmt.Fprintln(&all, e.Message, e.ContextMap())
	}
	assert.Contains(t, all.String(), file)
	assert.NotContains(t, all.String(), key)
	assert.NotContains(t, all.String(), string(raw))
	assert.NotContains(t, all.String(), fmt.Sprint(raw))
}
