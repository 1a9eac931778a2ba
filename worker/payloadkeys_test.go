package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A bad PAYLOAD_KEYS_FILE stops the worker before it connects: exit 2, the
// variable, the file and the problem named, the key never shown.
func TestBadPayloadKeysFileExits2(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.yaml")
	require.NoError(t, os.WriteFile(short, []byte("current: k1\nkeys:\n  k1: c2hvcnQta2V5LW9mLTE2Yg==\n"), 0o600))
	for name, c := range map[string]struct{ file, want string }{
		"missing": {filepath.Join(dir, "absent.yaml"), "cannot be read"},
		"short":   {short, "key k1 has 16 bytes: want 32"},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), nil, []string{"VB365_URL=https://vb365:4443", "VB365_USERNAME=u",
				"VB365_PASSWORD=hunter2", "PAYLOAD_KEYS_FILE=" + c.file}, &stdout, &stderr)
			assert.Equal(t, exitConfig, code)
			assert.Contains(t, stderr.String(), "PAYLOAD_KEYS_FILE")
			assert.Contains(t, stderr.String(), c.file)
			assert.Contains(t, stderr.String(), c.want)
			assert.NotContains(t, stderr.String(), "c2hvcnQta2V5LW9mLTE2Yg")
		})
	}
}
