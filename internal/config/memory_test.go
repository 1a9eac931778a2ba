package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryDefaults(t *testing.T) {
	cfg, err := Load(environ(minimal()))
	require.NoError(t, err)
	assert.Equal(t, 500, cfg.WorkflowCacheSize)
	mode, _ := cfg.MemoryLimitSetting()
	assert.Equal(t, MemoryLimitAuto, mode)

	cfg, err = Load(environ(with(minimal(), "WORKFLOW_CACHE_SIZE", "10000", "MEMORY_LIMIT", "off")))
	require.NoError(t, err)
	assert.Equal(t, 10000, cfg.WorkflowCacheSize)
	mode, _ = cfg.MemoryLimitSetting()
	assert.Equal(t, MemoryLimitOff, mode)
}

func TestMemoryLimitSizes(t *testing.T) {
	for in, want := range map[string]int64{
		"400MiB":    400 << 20,
		"1GiB":      1 << 30,
		"65536KiB":  64 << 20,
		"1TiB":      1 << 40,
		"536870912": 512 << 20,
		"33554432B": 32 << 20,
		" 300MiB ":  300 << 20,
	} {
		cfg, err := Load(environ(with(minimal(), "MEMORY_LIMIT", in)))
		require.NoError(t, err, in)
		mode, n := cfg.MemoryLimitSetting()
		assert.Equal(t, MemoryLimitBytes, mode, in)
		assert.Equal(t, want, n, in)
	}
}

// TestGOMEMLIMITIsKept: the runtime has read GOMEMLIMIT at start; with
// MEMORY_LIMIT unset the worker keeps it, and setting both is refused.
func TestGOMEMLIMITIsKept(t *testing.T) {
	cfg, err := Load(environ(with(minimal(), "GOMEMLIMIT", "300MiB")))
	require.NoError(t, err)
	mode, _ := cfg.MemoryLimitSetting()
	assert.Equal(t, MemoryLimitRuntime, mode)

	_, err = Load(environ(with(minimal(), "GOMEMLIMIT", "300MiB", "MEMORY_LIMIT", "400MiB")))
	var cerr *Error
	require.ErrorAs(t, err, &cerr)
	assert.Equal(t, []string{"MEMORY_LIMIT"}, cerr.Variables())
	assert.Contains(t, err.Error(), "GOMEMLIMIT")
}

// TestMemoryBadValuesNameTheVariable: each bad value is reported once, by
// its variable (the worker then exits 2).
func TestMemoryBadValuesNameTheVariable(t *testing.T) {
	for _, tt := range []struct{ name, value string }{
		{"WORKFLOW_CACHE_SIZE", "0"},
		{"WORKFLOW_CACHE_SIZE", "-1"},
		{"WORKFLOW_CACHE_SIZE", "lots"},
		{"MEMORY_LIMIT", "400MB"},
		{"MEMORY_LIMIT", "400 MiB"},
		{"MEMORY_LIMIT", "-400MiB"},
		{"MEMORY_LIMIT", "0"},
		{"MEMORY_LIMIT", "31MiB"},
		{"MEMORY_LIMIT", "99999999999TiB"},
		{"MEMORY_LIMIT", "MiB"},
		{"MEMORY_LIMIT", "max"},
	} {
		_, err := Load(environ(with(minimal(), tt.name, tt.value)))
		var cerr *Error
		require.ErrorAs(t, err, &cerr, "%s=%s", tt.name, tt.value)
		assert.Equal(t, []string{tt.name}, cerr.Variables(), "%s=%s", tt.name, tt.value)
		assert.Contains(t, err.Error(), tt.name)
		assert.Contains(t, err.Error(), tt.value)
	}
}

func TestGRPCCompressionValues(t *testing.T) {
	cfg, err := Load(environ(minimal()))
	require.NoError(t, err)
	assert.Equal(t, "none", cfg.GRPCCompression)
	cfg, err = Load(environ(with(minimal(), "TEMPORAL_GRPC_COMPRESSION", "GZIP")))
	require.NoError(t, err)
	assert.Equal(t, "gzip", cfg.GRPCCompression)

	_, err = Load(environ(with(minimal(), "TEMPORAL_GRPC_COMPRESSION", "zstd")))
	var cerr *Error
	require.ErrorAs(t, err, &cerr)
	assert.Equal(t, []string{"TEMPORAL_GRPC_COMPRESSION"}, cerr.Variables())
	assert.Contains(t, err.Error(), "zstd")
}
