package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBudgetDefaults(t *testing.T) {
	cfg, err := Load(environ(minimal()))
	require.NoError(t, err)
	assert.Equal(t, 8, cfg.VB365MaxInFlight)
	assert.Equal(t, 20.0, cfg.VB365MaxRate)
	assert.Equal(t, 1.0, cfg.VB365IdleRequestsPerMin)
	assert.Equal(t, 10*time.Minute, cfg.VB365SafetyPollInterval)

	cfg, err = Load(environ(with(minimal(), "VB365_MAX_IN_FLIGHT", "2", "VB365_MAX_RATE", "0.5", "VB365_IDLE_REQUESTS_PER_MINUTE", "0.25",
		"VB365_SAFETY_POLL_INTERVAL", "30m")))
	require.NoError(t, err)
	assert.Equal(t, 2, cfg.VB365MaxInFlight)
	assert.Equal(t, 0.5, cfg.VB365MaxRate)
	assert.Equal(t, 0.25, cfg.VB365IdleRequestsPerMin)
	assert.Equal(t, 30*time.Minute, cfg.VB365SafetyPollInterval)
}

// TestBudgetBadValuesNameTheVariable: each bad value is reported once, by
// its variable (the worker then exits 2).
func TestBudgetBadValuesNameTheVariable(t *testing.T) {
	for _, tt := range []struct{ name, value string }{
		{"VB365_MAX_IN_FLIGHT", "0"},
		{"VB365_MAX_IN_FLIGHT", "-3"},
		{"VB365_MAX_IN_FLIGHT", "many"},
		{"VB365_MAX_RATE", "0"},
		{"VB365_MAX_RATE", "-1"},
		{"VB365_MAX_RATE", "fast"},
		{"VB365_MAX_RATE", "NaN"},
		{"VB365_IDLE_REQUESTS_PER_MINUTE", "0"},
		{"VB365_IDLE_REQUESTS_PER_MINUTE", "one"},
		{"VB365_SAFETY_POLL_INTERVAL", "0s"},
		{"VB365_SAFETY_POLL_INTERVAL", "-1m"},
		{"VB365_SAFETY_POLL_INTERVAL", "10"},
	} {
		_, err := Load(environ(with(minimal(), tt.name, tt.value)))
		var cerr *Error
		require.ErrorAs(t, err, &cerr, "%s=%s", tt.name, tt.value)
		assert.Equal(t, []string{tt.name}, cerr.Variables(), "%s=%s", tt.name, tt.value)
		assert.Contains(t, err.Error(), tt.name)
		assert.Contains(t, err.Error(), tt.value)
	}
}
