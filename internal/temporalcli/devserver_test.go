package temporalcli

import (
	"context"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
)

// testLog forwards a child's output to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) { l.t.Logf("%s", b); return len(b), nil }

func TestDevServerHeadless(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Temporal dev server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // includes a first build
	defer cancel()

	start := time.Now()
	attrNames := []string{"TestKeywordA", "TestKeywordB"}
	srv, err := StartDevServer(ctx, Options{Namespace: "vb365-test", KeywordSearchAttributes: attrNames, LogTo: testLog{t}, Progress: testLog{t}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	t.Logf("dev server up on %s in %s", srv.HostPort, time.Since(start))
	require.Empty(t, srv.UIURL, "headless")

	c, err := client.DialContext(ctx, client.Options{HostPort: srv.HostPort, Namespace: srv.Namespace})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	require.NoError(t, err)

	attrs, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: srv.Namespace})
	require.NoError(t, err)
	for _, name := range attrNames {
		require.Equal(t, enumspb.INDEXED_VALUE_TYPE_KEYWORD, attrs.CustomAttributes[name], name)
	}

	// The frontend port is taken while it runs, and a second server on it is
	// refused with a clear error.
	_, port, _ := net.SplitHostPort(srv.HostPort)
	p, _ := strconv.Atoi(port)
	_, err = StartDevServer(ctx, Options{Port: p})
	var inUse *PortInUseError
	require.ErrorAs(t, err, &inUse)
	require.Contains(t, err.Error(), port)

	require.NoError(t, srv.Stop())
	require.NoError(t, srv.Stop(), "Stop is idempotent")
	select {
	case <-srv.Done():
	default:
		t.Fatal("process still running after Stop")
	}
	require.NoError(t, CheckPortFree("127.0.0.1", p), "port free again")
}

func TestDevServerWithUIAndDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Temporal dev server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	uiPort, err := FreePort("127.0.0.1")
	require.NoError(t, err)
	db := t.TempDir() + "/temporal.db"

	srv, err := StartDevServer(ctx, Options{UIPort: uiPort, DBFile: db, LogTo: testLog{t}})
	require.NoError(t, err)
	require.Equal(t, "http://localhost:"+strconv.Itoa(uiPort), srv.UIURL)
	require.FileExists(t, db)
	require.NoError(t, srv.Stop())
	require.NoError(t, CheckPortFree("127.0.0.1", uiPort), "UI port free again")
}

func TestListensOn(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	owns, known := listensOn(os.Getpid(), port)
	if !known {
		t.Skip("no /proc here")
	}
	require.True(t, owns)
	owns, _ = listensOn(os.Getpid(), port+1)
	require.False(t, owns)
}

func TestFreePortAvoidsTheEphemeralRange(t *testing.T) {
	for range 20 {
		p, err := FreePort("127.0.0.1")
		require.NoError(t, err)
		require.Less(t, p, ephemeralLow())
		require.NoError(t, CheckPortFree("127.0.0.1", p))
	}
}

type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

// A LogTo that fails (a log file closed too early) must not kill the server
// with SIGPIPE at its next log line.
func TestDevServerSurvivesABrokenLogWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Temporal dev server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	srv, err := StartDevServer(ctx, Options{LogTo: brokenWriter{}, LogLevel: "info"}) // info: it logs a lot
	require.NoError(t, err)
	defer srv.Stop()

	select {
	case <-srv.Done():
		t.Fatalf("the server died: %v", srv.ExitErr())
	case <-time.After(2 * time.Second):
	}
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.HostPort})
	require.NoError(t, err)
	defer c.Close()
	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	require.NoError(t, err)
}

func TestRegisterCommand(t *testing.T) {
	require.Equal(t,
		"temporal operator search-attribute create --namespace dr --name VB365SessionId --type Keyword --name VB365SessionState --type Keyword",
		RegisterCommand("dr", []string{"VB365SessionId", "VB365SessionState"}))
}
