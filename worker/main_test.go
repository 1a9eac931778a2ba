package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/internal/gomodule"
)

func TestMissingVariableExits2(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    []string
	}{
		{"nothing set", nil, []string{"VB365_URL is required", "VB365_USERNAME is required", "VB365_PASSWORD or VB365_PASSWORD_FILE is required"}},
		{"password missing", []string{"VB365_URL=https://vb365:4443", "VB365_USERNAME=u"}, []string{"VB365_PASSWORD or VB365_PASSWORD_FILE is required"}},
		{"bad level", []string{"VB365_URL=https://vb365:4443", "VB365_USERNAME=u", "VB365_PASSWORD=hunter2", "LOG_LEVEL=loud"}, []string{`LOG_LEVEL "loud": want debug, info, warn or error`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), nil, tt.environ, &stdout, &stderr)
			assert.Equal(t, 2, code)
			for _, w := range tt.want {
				assert.Contains(t, stderr.String(), w)
			}
			assert.NotContains(t, stderr.String(), "hunter2")
		})
	}
}

func TestUnexpectedArgumentExits2(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"--port=1"}, nil, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "configured from the environment")
}

func TestHelpListsVariables(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"-h"}, nil, &stdout, &stderr))
	for _, name := range []string{"TEMPORAL_ADDRESS", "VB365_URL", "VB365_PASSWORD_FILE", "METRICS_ADDR", "WORKER_STOP_TIMEOUT"} {
		assert.Contains(t, stdout.String(), name)
	}
}

// TestBinaryExitStatus builds the worker and checks the process's own exit
// status and message.
func TestBinaryExitStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	root, err := gomodule.Root()
	require.NoError(t, err)
	bins, err := gomodule.Build(context.Background(), root, t.TempDir(), "./worker")
	require.NoError(t, err)
	bin := bins[0]

	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "VB365_USERNAME=u", "VB365_PASSWORD=p"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	assert.Equal(t, 2, exitErr.ExitCode())
	assert.True(t, strings.Contains(stderr.String(), "VB365_URL is required"), stderr.String())
}
