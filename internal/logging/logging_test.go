package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestNewLevelsAndFormats(t *testing.T) {
	tests := []struct {
		level, format string
		debug, info   bool
		json          bool
	}{
		{"debug", "json", true, true, true},
		{"info", "json", false, true, true},
		{"INFO", "console", false, true, false},
		{"warn", "json", false, false, true},
		{"error", "console", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.level+"/"+tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			z, err := NewWriter(&buf, tt.level, tt.format)
			require.NoError(t, err)
			assert.Equal(t, tt.debug, z.Core().Enabled(zapcore.DebugLevel))
			assert.Equal(t, tt.info, z.Core().Enabled(zapcore.InfoLevel))
			assert.True(t, z.Core().Enabled(zapcore.ErrorLevel))
			z.Error("boom", zap.String("k", "v"))
			line := strings.TrimSpace(buf.String())
			var m map[string]any
			isJSON := json.Unmarshal([]byte(line), &m) == nil
			assert.Equal(t, tt.json, isJSON, line)
			if isJSON {
				assert.Equal(t, "boom", m["msg"])
				assert.Equal(t, "error", m["level"])
				assert.Equal(t, "v", m["k"])
				assert.Contains(t, m, "time")
				assert.Contains(t, m, "caller")
			} else {
				assert.Contains(t, line, "ERROR")
				assert.Contains(t, line, "boom")
			}
		})
	}
}

func TestNewRejectsBadValues(t *testing.T) {
	_, err := New("loud", "json")
	require.ErrorContains(t, err, `log level "loud"`)
	_, err = New("fatal", "json")
	require.Error(t, err)
	_, err = New("info", "xml")
	require.ErrorContains(t, err, `log format "xml"`)
}

func observed() (*Temporal, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return NewTemporal(zap.New(core, zap.AddCaller())), logs
}

func TestTemporalAdapterKeyvals(t *testing.T) {
	l, logs := observed()
	l.Debug("d", "a", 1)
	l.Info("i", "Namespace", "default", "TaskQueue", "vb365-restore")
	l.Warn("w", "Error", errors.New("bad"))
	l.Error("e")
	entries := logs.All()
	require.Len(t, entries, 4)
	assert.Equal(t, zapcore.DebugLevel, entries[0].Level)
	assert.Equal(t, int64(1), entries[0].ContextMap()["a"])
	assert.Equal(t, zapcore.InfoLevel, entries[1].Level)
	assert.Equal(t, map[string]any{"Namespace": "default", "TaskQueue": "vb365-restore"}, entries[1].ContextMap())
	assert.Equal(t, zapcore.WarnLevel, entries[2].Level)
	assert.Equal(t, "bad", entries[2].ContextMap()["Error"])
	assert.Equal(t, zapcore.ErrorLevel, entries[3].Level)
	assert.Empty(t, entries[3].Context)
}

func TestTemporalAdapterLogsCancellationsAtInfo(t *testing.T) {
	l, logs := observed()
	l.Error("Activity error.", "ActivityType", "WaitForSessionEvents", "Error", context.Canceled)
	l.Error("Activity error.", "Error", fmt.Errorf("list events: %w", context.Canceled))
	l.Error("Activity error.", "Error", temporal.NewCanceledError())
	l.Error("Activity error.", "Error", errors.New("connection refused"))
	entries := logs.All()
	require.Len(t, entries, 4)
	for _, e := range entries[:3] {
		assert.Equal(t, zapcore.InfoLevel, e.Level, "a cancellation is routine: %v", e.ContextMap())
	}
	assert.Equal(t, zapcore.ErrorLevel, entries[3].Level)
}

func TestTemporalAdapterOddAndOddKeys(t *testing.T) {
	l, logs := observed()
	l.Info("odd", "a", 1, "dangling")
	l.Info("odd error", "a", 1, errors.New("cause"))
	l.Info("non-string key", 42, "x")
	entries := logs.All()
	require.Len(t, entries, 3)
	assert.Equal(t, map[string]any{"a": int64(1), "!BADKEY": "dangling"}, entries[0].ContextMap())
	assert.Equal(t, map[string]any{"a": int64(1), "error": "cause"}, entries[1].ContextMap())
	assert.Equal(t, map[string]any{"42": "x"}, entries[2].ContextMap())
}

func TestTemporalAdapterWith(t *testing.T) {
	l, logs := observed()
	child := l.With("WorkflowID", "wf-1")
	child.(log.WithLogger).With("Attempt", 2).Info("hello", "k", "v")
	l.Info("parent")
	entries := logs.All()
	require.Len(t, entries, 2)
	assert.Equal(t, map[string]any{"WorkflowID": "wf-1", "Attempt": int64(2), "k": "v"}, entries[0].ContextMap())
	assert.Empty(t, entries[1].Context, "With must not change the parent")
}

func TestTemporalAdapterCaller(t *testing.T) {
	l, logs := observed()
	l.Info("here") // the caller is this line, not the adapter
	require.Len(t, logs.All(), 1)
	assert.Contains(t, logs.All()[0].Caller.File, "logging_test.go")

	helper := func(lg log.Logger) { lg.Info("via helper") }
	helper(l.WithCallerSkip(1))
	require.Len(t, logs.All(), 2)
	assert.Contains(t, logs.All()[1].Caller.File, "logging_test.go")
	assert.NotEqual(t, logs.All()[0].Caller.Line, logs.All()[1].Caller.Line)
}
