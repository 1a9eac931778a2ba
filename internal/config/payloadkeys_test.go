package config

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestPayloadKeysFile(t *testing.T) {
	dir := t.TempDir()
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	good := filepath.Join(dir, "keys.yaml")
	require.NoError(t, os.WriteFile(good, []byte("current: k1\nkeys:\n  k1: "+key+"\n"), 0o600))
	short := filepath.Join(dir, "short.yaml")
	require.NoError(t, os.WriteFile(short, []byte("current: k1\nkeys:\n  k1: "+key[:20]+"\n"), 0o600))

	t.Run("unset: no encryption", func(t *testing.T) {
		cfg, err := Load(environ(minimal()))
		require.NoError(t, err)
		assert.Nil(t, cfg.PayloadKeys)
	})
	t.Run("worker and starter read the keys", func(t *testing.T) {
		cfg, err := Load(environ(with(minimal(), "PAYLOAD_KEYS_FILE", good)))
		require.NoError(t, err)
		require.NotNil(t, cfg.PayloadKeys)
		assert.Equal(t, "k1", cfg.PayloadKeys.Current())
		tc, err := LoadTemporal(environ(map[string]string{"PAYLOAD_KEYS_FILE": good}))
		require.NoError(t, err)
		require.NotNil(t, tc.PayloadKeys)

		core, logs := observer.New(zap.InfoLevel)
		zap.New(core).Info("starting", zap.Object("config", cfg))
		printed := fmt.Sprint(logs.All()[0].ContextMap()) + cfg.String() + fmt.Sprintf("%+v %#v", cfg, cfg)
		assert.Contains(t, printed, good)
		assert.NotContains(t, printed, key)
		assert.NotContains(t, printed, fmt.Sprint(bytes.Repeat([]byte{7}, 32)))
	})
	for name, path := range map[string]string{"missing": filepath.Join(dir, "absent.yaml"), "short": short} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(environ(with(minimal(), "PAYLOAD_KEYS_FILE", path)))
			var cerr *Error
			require.ErrorAs(t, err, &cerr)
			assert.Equal(t, []string{"PAYLOAD_KEYS_FILE"}, cerr.Variables())
			assert.Contains(t, err.Error(), path)
			assert.NotContains(t, err.Error(), key[:20])
			_, err = LoadTemporal(environ(map[string]string{"PAYLOAD_KEYS_FILE": path}))
			require.ErrorAs(t, err, &cerr)
			assert.Equal(t, []string{"PAYLOAD_KEYS_FILE"}, cerr.Variables())
		})
	}
}
