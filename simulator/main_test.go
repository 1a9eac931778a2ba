package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, c config)
	}{
		{name: "defaults", check: func(t *testing.T, c config) {
			assert.Equal(t, "127.0.0.1:4443", c.addr)
			assert.False(t, c.insecureHTTP)
			assert.Equal(t, "admin", c.username)
			assert.Equal(t, "admin", c.password)
			assert.Equal(t, 60*time.Minute, c.tokenTTL)
			assert.Equal(t, []string{"v5", "v6", "v7", "v8"}, c.versions)
		}},
		{name: "all flags", args: []string{"--addr", "0.0.0.0:9443", "--insecure-http", "--username", "u", "--password", "p",
			"--token-ttl", "5m", "--scenario", "s.json", "--versions", "V8, v6", "--cert-hosts", "simulator, 10.0.0.5"},
			check: func(t *testing.T, c config) {
				assert.Equal(t, "0.0.0.0:9443", c.addr)
				assert.True(t, c.insecureHTTP)
				assert.Equal(t, "u", c.username)
				assert.Equal(t, 5*time.Minute, c.tokenTTL)
				assert.Equal(t, "s.json", c.scenario)
				assert.Equal(t, []string{"v8", "v6"}, c.versions)
				assert.Equal(t, []string{"simulator", "10.0.0.5"}, c.certHosts)
			}},
		{name: "behaviour and accounts", args: []string{"--user", "console:pw", "--user", "tool:a:b", "--clock-skew", "-3m",
			"--time-zone", "Europe/Berlin", "--stop-delay", "20s", "--stop-ignored", "2", "--idle-timeout", "0s", "--max-open-sessions", "10",
			"--proxy-offline", "3c424478-0811-4920-8aab-01f0bf2a2822"},
			check: func(t *testing.T, c config) {
				assert.Equal(t, map[string]string{"console": "pw", "tool": "a:b"}, c.users)
				b := c.behaviour
				assert.Equal(t, vb365sim.Duration(-3*time.Minute), *b.ClockSkew)
				assert.Equal(t, "Europe/Berlin", *b.TimeZone)
				assert.Equal(t, vb365sim.Duration(20*time.Second), *b.StopDelay)
				assert.Equal(t, 2, *b.StopIgnored)
				assert.Equal(t, vb365sim.Duration(0), *b.IdleTimeout)
				assert.Equal(t, 10, *b.MaxOpenSessions)
				assert.Nil(t, b.ProxyOffline)
				assert.Equal(t, []string{"3c424478-0811-4920-8aab-01f0bf2a2822"}, c.proxyOffline)
			}},
		{name: "switches not given keep the scenario's", args: []string{"--proxy-offline", "all"}, check: func(t *testing.T, c config) {
			assert.Equal(t, vb365sim.Behaviour{ProxyOffline: new(true)}, c.behaviour)
		}},
		{name: "bad user", args: []string{"--user", "nopassword"}, wantErr: "NAME:PASSWORD"},
		{name: "bad zone", args: []string{"--time-zone", "Mars/Base"}, wantErr: "--time-zone"},
		{name: "negative stop delay", args: []string{"--stop-delay", "-1s"}, wantErr: "--stop-delay"},
		{name: "bad version", args: []string{"--versions", "v4"}, wantErr: "unknown version"},
		{name: "no version", args: []string{"--versions", ","}, wantErr: "at least one"},
		{name: "bad ttl", args: []string{"--token-ttl", "0s"}, wantErr: "token-ttl"},
		{name: "ca-out without TLS", args: []string{"--insecure-http", "--ca-out", "x"}, wantErr: "ca-out"},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "nope"},
		{name: "extra args", args: []string{"serve"}, wantErr: "unexpected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseFlags(tc.args, io.Discard)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}

// start runs the command in the background; it returns the address and a
// stop function that waits for a clean exit.
func start(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, func(a string) { addrc <- a }) }()
	select {
	case a := <-addrc:
		return a, func() {
			cancel()
			select {
			case err := <-done:
				assert.NoError(t, err)
			case <-time.After(10 * time.Second):
				t.Error("no clean shutdown")
			}
		}
	case err := <-done:
		cancel()
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("not listening")
	}
	return "", nil
}

func TestServesHTTPSWithTheWrittenCA(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	addr, stop := start(t, "--addr", "127.0.0.1:0", "--ca-out", caFile, "--versions", "v8", "--username", "ops", "--password", "pw")
	defer stop()
	pemBytes, err := os.ReadFile(caFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pemBytes))
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	for _, host := range []string{addr, strings.Replace(addr, "127.0.0.1", "localhost", 1)} {
		resp, err := client.Get("https://" + host + "/v8/ServiceInstance")
		require.NoError(t, err, "verified TLS to %s", host)
		_ = resp.Body.Close()
		assert.Equal(t, 401, resp.StatusCode)
	}
	resp, err := client.Get("https://" + addr + "/v7/ServiceInstance")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, 404, resp.StatusCode, "--versions v8 only")
	resp, err = client.Post("https://"+addr+"/v8/token", "application/x-www-form-urlencoded",
		strings.NewReader("grant_type=password&username=ops&password=pw"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)

	// A lost response over TLS: the connection closes without an answer.
	resp, err = client.Post("https://"+addr+"/_sim/faults", "application/json",
		strings.NewReader(`{"path":"/v8/token","dropAfterCommit":true}`))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, 204, resp.StatusCode)
	_, err = client.Post("https://"+addr+"/v8/token", "application/x-www-form-urlencoded",
		strings.NewReader("grant_type=password&username=ops&password=pw"))
	assert.Error(t, err)

	// Without the CA, verification fails.
	_, err = (&http.Client{Timeout: 5 * time.Second}).Get("https://" + addr + "/v8/ServiceInstance")
	assert.Error(t, err)
}

func TestServesPlainHTTPAndScenario(t *testing.T) {
	addr, stop := start(t, "--addr", "127.0.0.1:0", "--insecure-http", "--scenario", "scenario.example.json")
	defer stop()
	resp, err := http.Get("http://" + addr + "/_sim/stats")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
}

func TestBadScenarioFailsStartup(t *testing.T) {
	err := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--scenario", filepath.Join(t.TempDir(), "none.json")}, nil)
	assert.Error(t, err)
}

// The switches reach the running server: an extra account logs in, an
// organization's proxy is offline, an unknown one fails startup.
func TestServesAccountsAndSwitches(t *testing.T) {
	addr, stop := start(t, "--addr", "127.0.0.1:0", "--insecure-http", "--user", "console:c", "--stop-ignored", "3",
		"--proxy-offline", "3c424478-0811-4920-8aab-01f0bf2a2822")
	defer stop()
	resp, err := http.Post("http://"+addr+"/v8/token", "application/x-www-form-urlencoded", strings.NewReader("grant_type=password&username=console&password=c"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	resp, err = http.Get("http://" + addr + "/_sim/behaviour")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Contains(t, string(body), `"stopIgnored":3`)
	assert.Contains(t, string(body), `"3c424478-0811-4920-8aab-01f0bf2a2822":{"proxyOffline":true}`)

	err = run(context.Background(), []string{"--addr", "127.0.0.1:0", "--insecure-http", "--proxy-offline", "11111111-2222-4333-8444-555555555555"}, nil)
	assert.ErrorContains(t, err, "--proxy-offline")
}

// Every flag has its row in docs/simulator.md.
func TestFlagsAreDocumented(t *testing.T) {
	var usage strings.Builder
	_, err := parseFlags([]string{"-h"}, &usage)
	require.Error(t, err)
	doc, err := os.ReadFile(filepath.Join("..", "docs", "simulator.md"))
	require.NoError(t, err)
	n := 0
	for _, line := range strings.Split(usage.String(), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "-") {
			continue
		}
		name := strings.Fields(line)[0][1:]
		n++
		assert.Contains(t, string(doc), "`--"+name, "flag --%s", name)
	}
	assert.Greater(t, n, 10)
}
