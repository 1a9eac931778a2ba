package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/internal/temporalclient"
)

func TestStarterEncryptsWithTheWorkersKeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"current":"k1","keys":{"k1":"`+
		base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))+`"}}`), 0o600))
	cfg, err := config.LoadTemporal([]string{"PAYLOAD_KEYS_FILE=" + file})
	require.NoError(t, err)
	opts := temporalclient.Options(cfg, nil, nil)
	require.NotNil(t, opts.DataConverter)
	require.NotNil(t, opts.FailureConverter)
	p, err := opts.DataConverter.ToPayload("Board minutes.docx")
	require.NoError(t, err)
	assert.Equal(t, "k1", string(p.Metadata["encryption-key-id"]))

	plain := temporalclient.Options(config.Temporal{Address: "localhost:7233", Namespace: "default"}, nil, nil)
	assert.Nil(t, plain.DataConverter)
}

func TestBadKeyFileExits2(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "absent.json")
	a, _, stderr := testApp(nil, "PAYLOAD_KEYS_FILE="+missing)
	assert.Equal(t, exitUsage, a.run(context.Background(), []string{"status", "wf"}))
	assert.Contains(t, stderr.String(), "PAYLOAD_KEYS_FILE")
	assert.Contains(t, stderr.String(), missing)
}
