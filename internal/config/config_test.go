package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/workflows"
)

const password = "s3cr3t-Pa55"

func minimal() map[string]string {
	return map[string]string{
		"VB365_URL":      "https://vb365.example.com:4443",
		"VB365_USERNAME": "restore-operator",
		"VB365_PASSWORD": password,
	}
}

func environ(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

func with(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func without(m map[string]string, keys ...string) map[string]string {
	out := with(m)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load(environ(minimal()))
	require.NoError(t, err)
	assert.Equal(t, "localhost:7233", cfg.Address)
	assert.Equal(t, "default", cfg.Namespace)
	assert.Equal(t, workflows.DefaultTaskQueue, cfg.TaskQueue)
	assert.Equal(t, "http://localhost:8233", cfg.UIURL)
	assert.Nil(t, cfg.Connection.Credentials)
	assert.Nil(t, cfg.Connection.ConnectionOptions.TLS)
	assert.Equal(t, "https://vb365.example.com:4443", cfg.VB365URL)
	assert.Equal(t, "restore-operator", cfg.VB365Username)
	assert.Equal(t, password, cfg.VB365Password.Reveal())
	assert.Equal(t, vb365.VersionAuto, cfg.Version())
	assert.False(t, cfg.VB365InsecureSkip)
	assert.Equal(t, 30*time.Second, cfg.VB365Timeout)
	assert.Equal(t, "info", cfg.LogLevel)
	assert.Equal(t, "json", cfg.LogFormat)
	assert.Equal(t, ":9090", cfg.MetricsAddr)
	assert.Equal(t, 20*time.Second, cfg.WorkerStopTimeout)
	assert.Equal(t, 2*time.Minute, cfg.ConnectTimeout)
	assert.Zero(t, cfg.MaxConcurrentActivities)
	assert.Equal(t, time.UTC, cfg.ServerTimeZone())
}

func TestLoadValues(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(ca, []byte("pem"), 0o600))
	cfg, err := Load(environ(with(minimal(),
		"TEMPORAL_ADDRESS", "temporal.example.com:7233",
		"TEMPORAL_NAMESPACE", "dr",
		"TEMPORAL_TASK_QUEUE", "restores",
		"TEMPORAL_API_KEY", "key-123",
		"TEMPORAL_UI_URL", "https://cloud.temporal.io/",
		"VB365_API_VERSION", "V7",
		"VB365_CA_FILE", ca,
		"VB365_INSECURE_SKIP_VERIFY", "true",
		"VB365_TIMEOUT", "1m",
		"LOG_LEVEL", "DEBUG",
		"LOG_FORMAT", "console",
		"METRICS_ADDR", "",
		"WORKER_STOP_TIMEOUT", "45s",
		"MAX_CONCURRENT_ACTIVITIES", "50",
		"VB365_SERVER_TIME_ZONE", "Europe/Berlin",
	)))
	require.NoError(t, err)
	assert.Equal(t, "temporal.example.com:7233", cfg.Address)
	assert.Equal(t, "dr", cfg.Namespace)
	assert.Equal(t, "restores", cfg.TaskQueue)
	assert.NotNil(t, cfg.Connection.Credentials)
	assert.NotNil(t, cfg.Connection.ConnectionOptions.TLS, "an API key turns TLS on")
	assert.Equal(t, "temporal.example.com:7233", cfg.Connection.HostPort)
	assert.Equal(t, vb365.V7, cfg.Version())
	assert.Equal(t, ca, cfg.VB365CAFile)
	assert.True(t, cfg.VB365InsecureSkip)
	assert.Equal(t, time.Minute, cfg.VB365Timeout)
	assert.Equal(t, "debug", cfg.LogLevel)
	assert.Equal(t, "console", cfg.LogFormat)
	assert.Empty(t, cfg.MetricsAddr, "empty METRICS_ADDR turns metrics off")
	assert.Equal(t, 45*time.Second, cfg.WorkerStopTimeout)
	assert.Equal(t, 50, cfg.MaxConcurrentActivities)
	assert.Equal(t, "Europe/Berlin", cfg.ServerTimeZone().String())
	assert.Equal(t, "https://cloud.temporal.io/namespaces/dr/workflows/wf%201", cfg.WorkflowURL("wf 1"))
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		variable string
		message  string
	}{
		{"url missing", without(minimal(), "VB365_URL"), "VB365_URL", "VB365_URL is required"},
		{"url empty", with(minimal(), "VB365_URL", " "), "VB365_URL", "VB365_URL is required"},
		{"username missing", without(minimal(), "VB365_USERNAME"), "VB365_USERNAME", "VB365_USERNAME is required"},
		{"password missing", without(minimal(), "VB365_PASSWORD"), "VB365_PASSWORD", "VB365_PASSWORD or VB365_PASSWORD_FILE is required"},
		{"password twice", with(minimal(), "VB365_PASSWORD_FILE", "/etc/hostname"), "VB365_PASSWORD", "both set"},
		{"password file missing", with(without(minimal(), "VB365_PASSWORD"), "VB365_PASSWORD_FILE", "/nonexistent/pw"), "VB365_PASSWORD_FILE", "VB365_PASSWORD_FILE: open /nonexistent/pw"},
		{"url bad", with(minimal(), "VB365_URL", "vb365.example.com"), "VB365_URL", `VB365_URL "vb365.example.com": want an http(s) URL`},
		{"url with credentials", with(minimal(), "VB365_URL", "https://admin:"+password+"@vb365.example.com:4443"), "VB365_URL",
			`VB365_URL must not carry credentials: use VB365_USERNAME and VB365_PASSWORD (VB365_URL is "https://admin:xxxxx@vb365.example.com:4443")`},
		{"url with user only", with(minimal(), "VB365_URL", "https://admin@vb365.example.com"), "VB365_URL", "VB365_URL must not carry credentials"},
		{"url with credentials, unparsable", with(minimal(), "VB365_URL", "https://admin:"+password+"@vb365.example.com:port"), "VB365_URL", "VB365_URL is not a URL"},
		{"url with credentials, bad scheme", with(minimal(), "VB365_URL", "ftp://admin:"+password+"@vb365.example.com"), "VB365_URL", "must not carry credentials"},
		{"version bad", with(minimal(), "VB365_API_VERSION", "v9"), "VB365_API_VERSION", `VB365_API_VERSION "v9": want auto, v5, v6, v7 or v8`},
		{"ca file missing", with(minimal(), "VB365_CA_FILE", "/nonexistent/ca.pem"), "VB365_CA_FILE", "VB365_CA_FILE: open /nonexistent/ca.pem"},
		{"insecure bad", with(minimal(), "VB365_INSECURE_SKIP_VERIFY", "maybe"), "VB365_INSECURE_SKIP_VERIFY", `VB365_INSECURE_SKIP_VERIFY "maybe": want true or false`},
		{"timeout bad", with(minimal(), "VB365_TIMEOUT", "30"), "VB365_TIMEOUT", `VB365_TIMEOUT "30": want a duration`},
		{"timeout zero", with(minimal(), "VB365_TIMEOUT", "0s"), "VB365_TIMEOUT", `VB365_TIMEOUT "0s": want a positive duration`},
		{"server zone bad", with(minimal(), "VB365_SERVER_TIME_ZONE", "CET+1"), "VB365_SERVER_TIME_ZONE", `VB365_SERVER_TIME_ZONE "CET+1": want an IANA time zone name`},
		{"server zone local", with(minimal(), "VB365_SERVER_TIME_ZONE", "Local"), "VB365_SERVER_TIME_ZONE", `VB365_SERVER_TIME_ZONE "Local"`},
		{"log level bad", with(minimal(), "LOG_LEVEL", "loud"), "LOG_LEVEL", `LOG_LEVEL "loud": want debug, info, warn or error`},
		{"log format bad", with(minimal(), "LOG_FORMAT", "xml"), "LOG_FORMAT", `LOG_FORMAT "xml": want json or console`},
		{"metrics addr bad", with(minimal(), "METRICS_ADDR", "9090"), "METRICS_ADDR", `METRICS_ADDR "9090": want [host]:port`},
		{"stop timeout bad", with(minimal(), "WORKER_STOP_TIMEOUT", "soon"), "WORKER_STOP_TIMEOUT", `WORKER_STOP_TIMEOUT "soon": want a duration`},
		{"stop timeout negative", with(minimal(), "WORKER_STOP_TIMEOUT", "-1s"), "WORKER_STOP_TIMEOUT", `WORKER_STOP_TIMEOUT "-1s"`},
		{"connect timeout bad", with(minimal(), "TEMPORAL_CONNECT_TIMEOUT", "x"), "TEMPORAL_CONNECT_TIMEOUT", `TEMPORAL_CONNECT_TIMEOUT "x"`},
		{"max activities bad", with(minimal(), "MAX_CONCURRENT_ACTIVITIES", "many"), "MAX_CONCURRENT_ACTIVITIES", `MAX_CONCURRENT_ACTIVITIES "many": want a whole number`},
		{"max activities negative", with(minimal(), "MAX_CONCURRENT_ACTIVITIES", "-2"), "MAX_CONCURRENT_ACTIVITIES", `MAX_CONCURRENT_ACTIVITIES -2`},
		{"max wft negative", with(minimal(), "MAX_CONCURRENT_WORKFLOW_TASKS", "-2"), "MAX_CONCURRENT_WORKFLOW_TASKS", `MAX_CONCURRENT_WORKFLOW_TASKS -2`},
		{"temporal address bad", with(minimal(), "TEMPORAL_ADDRESS", "localhost"), "TEMPORAL_ADDRESS", `TEMPORAL_ADDRESS "localhost": want host:port`},
		{"tls bad", with(minimal(), "TEMPORAL_TLS", "maybe"), "TEMPORAL_TLS", `TEMPORAL_TLS "maybe": want true or false`},
		{"ca unreadable", with(minimal(), "TEMPORAL_TLS_SERVER_CA_CERT_PATH", "/nonexistent/ca"), "TEMPORAL_TLS", "/nonexistent/ca"},
		{"cert unreadable", with(minimal(), "TEMPORAL_TLS_CLIENT_CERT_PATH", "/nonexistent/cert", "TEMPORAL_TLS_CLIENT_KEY_PATH", "/nonexistent/key"), "TEMPORAL_TLS", "/nonexistent/cert"},
		{"profile missing", with(minimal(), "TEMPORAL_CONFIG_FILE", "/nonexistent/temporal.toml", "TEMPORAL_PROFILE", "prod"), "TEMPORAL_PROFILE", "prod"},
		{"old tls cert name", with(minimal(), "TEMPORAL_TLS_CERT", "/etc/tls/tls.crt"), "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_CERT is no longer read: set TEMPORAL_TLS_CLIENT_CERT_PATH instead"},
		{"old tls ca name", with(minimal(), "TEMPORAL_TLS_CA", "/etc/tls/ca.crt"), "TEMPORAL_TLS_CA", "set TEMPORAL_TLS_SERVER_CA_CERT_PATH instead"},
		{"ui url bad", with(minimal(), "TEMPORAL_UI_URL", "localhost:8233"), "TEMPORAL_UI_URL", `TEMPORAL_UI_URL "localhost:8233"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(environ(tt.env))
			require.Error(t, err)
			var cerr *Error
			require.True(t, errors.As(err, &cerr), "want *config.Error, got %T", err)
			assert.Contains(t, cerr.Variables(), tt.variable)
			assert.Contains(t, err.Error(), tt.message)
			assert.NotContains(t, err.Error(), password)
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load(environ(map[string]string{"LOG_LEVEL": "loud", "VB365_TIMEOUT": "x"}))
	var cerr *Error
	require.True(t, errors.As(err, &cerr))
	assert.ElementsMatch(t, []string{"VB365_URL", "VB365_USERNAME", "VB365_PASSWORD", "VB365_TIMEOUT", "LOG_LEVEL"}, cerr.Variables())
}

func TestPasswordFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(f, []byte("  "+password+"\n"), 0o600))
	cfg, err := Load(environ(with(without(minimal(), "VB365_PASSWORD"), "VB365_PASSWORD_FILE", f)))
	require.NoError(t, err)
	assert.Equal(t, password, cfg.VB365Password.Reveal())

	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o600))
	_, err = Load(environ(with(without(minimal(), "VB365_PASSWORD"), "VB365_PASSWORD_FILE", empty)))
	require.ErrorContains(t, err, "VB365_PASSWORD_FILE")
	require.ErrorContains(t, err, "is empty")
}

func TestSecretsRedacted(t *testing.T) {
	cfg, err := Load(environ(with(minimal(), "TEMPORAL_API_KEY", "api-key-value")))
	require.NoError(t, err)
	secrets := []string{password, "api-key-value"}

	var logged strings.Builder
	core, logs := observer.New(zap.InfoLevel)
	zap.New(core).Info("config", zap.Object("config", cfg), zap.Any("any", cfg))
	for _, e := range logs.All() {
		for k, v := range e.ContextMap() {
			fmt.Fprintf(&logged, "%s=%v\n", k, v)
		}
	}
	var sl strings.Builder
	slog.New(slog.NewJSONHandler(&sl, nil)).Info("config", "config", cfg)
	js, err := json.Marshal(cfg)
	require.NoError(t, err)

	outputs := map[string]string{
		"String":   cfg.String(),
		"%v":       fmt.Sprintf("%v", cfg),
		"%+v":      fmt.Sprintf("%+v", cfg),
		"%#v":      fmt.Sprintf("%#v", cfg.VB365Password),
		"zap":      logged.String(),
		"slog":     sl.String(),
		"json":     string(js),
		"temporal": cfg.Temporal.String(),
	}
	for name, out := range outputs {
		for _, s := range secrets {
			assert.NotContains(t, out, s, name)
		}
	}
	assert.Contains(t, cfg.String(), `VB365_PASSWORD="[redacted]"`)
	assert.Contains(t, cfg.String(), `TEMPORAL_ADDRESS="localhost:7233"`)
	assert.Contains(t, cfg.String(), `VB365_USERNAME="restore-operator"`)
	assert.Contains(t, logged.String(), "VB365_URL")
	assert.Contains(t, sl.String(), "[redacted]")
	assert.Equal(t, "", Secret("").String(), "an unset secret prints empty")
}

func TestWorkerVariables(t *testing.T) {
	vars := WorkerVariables()
	byName := map[string]Variable{}
	for _, v := range vars {
		require.NotEmpty(t, v.Name)
		require.NotEmpty(t, v.Description, v.Name)
		_, dup := byName[v.Name]
		require.False(t, dup, "duplicate %s", v.Name)
		byName[v.Name] = v
	}
	for _, name := range []string{
		"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE", "TEMPORAL_API_KEY",
		"TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH", "TEMPORAL_TLS_SERVER_CA_CERT_PATH", "TEMPORAL_UI_URL",
		"TEMPORAL_PROFILE", "TEMPORAL_CONFIG_FILE",
		"VB365_URL", "VB365_USERNAME", "VB365_PASSWORD", "VB365_PASSWORD_FILE", "VB365_API_VERSION",
		"VB365_CA_FILE", "VB365_INSECURE_SKIP_VERIFY", "VB365_TIMEOUT", "LOG_LEVEL", "LOG_FORMAT",
		"METRICS_ADDR", "WORKER_STOP_TIMEOUT", "VB365_SERVER_TIME_ZONE",
	} {
		assert.Contains(t, byName, name)
	}
	assert.Equal(t, "localhost:7233", byName["TEMPORAL_ADDRESS"].Default)
	assert.Equal(t, ":9090", byName["METRICS_ADDR"].Default)
	assert.True(t, byName["VB365_URL"].Required)
	assert.True(t, byName["VB365_USERNAME"].Required)
	assert.False(t, byName["VB365_PASSWORD"].Required)
	assert.Equal(t, "password", byName["VB365_PASSWORD"].OneOf)
	assert.Equal(t, "password", byName["VB365_PASSWORD_FILE"].OneOf)
	assert.True(t, byName["VB365_PASSWORD"].Secret)
	assert.True(t, byName["TEMPORAL_API_KEY"].Secret)
	assert.False(t, byName["VB365_USERNAME"].Secret)

	temporalVars := TemporalVariables()
	require.NotEmpty(t, temporalVars)
	for _, v := range temporalVars {
		assert.Contains(t, byName, v.Name)
	}
}

func TestLoadTemporal(t *testing.T) {
	cfg, err := LoadTemporal(nil)
	require.NoError(t, err)
	assert.Equal(t, "localhost:7233", cfg.Address)
	cfg, err = LoadTemporal([]string{"TEMPORAL_NAMESPACE=", "TEMPORAL_TASK_QUEUE="})
	require.NoError(t, err)
	assert.Equal(t, "default", cfg.Namespace, "empty means the default")
	assert.Equal(t, "vb365-restore", cfg.TaskQueue)
	_, err = LoadTemporal([]string{"TEMPORAL_ADDRESS=nohost"})
	require.ErrorContains(t, err, "TEMPORAL_ADDRESS")
}

// The connection comes from the temporal CLI's TOML profile when one is
// named, and the standard variables override it.
func TestLoadTemporalProfileFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "temporal.toml")
	require.NoError(t, os.WriteFile(file, []byte(`
[profile.prod]
address = "prod.example.com:7233"
namespace = "dr-prod"
api_key = "profile-key"
`), 0o600))
	cfg, err := LoadTemporal([]string{"TEMPORAL_CONFIG_FILE=" + file, "TEMPORAL_PROFILE=prod"})
	require.NoError(t, err)
	assert.Equal(t, "prod.example.com:7233", cfg.Address)
	assert.Equal(t, "dr-prod", cfg.Namespace)
	assert.NotNil(t, cfg.Connection.Credentials)
	assert.NotContains(t, cfg.String(), "profile-key")

	cfg, err = LoadTemporal([]string{"TEMPORAL_CONFIG_FILE=" + file, "TEMPORAL_PROFILE=prod", "TEMPORAL_NAMESPACE=dr-test"})
	require.NoError(t, err)
	assert.Equal(t, "dr-test", cfg.Namespace, "a variable overrides the profile")
	assert.Equal(t, "prod.example.com:7233", cfg.Connection.HostPort)

	cfg, err = LoadTemporal([]string{"TEMPORAL_CONFIG_FILE=" + file})
	require.NoError(t, err)
	assert.Equal(t, "localhost:7233", cfg.Address, "no profile \"default\" in the file: the defaults")
}
