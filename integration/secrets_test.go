package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// Neither the VB365 password nor any access or refresh token, nor any
// secret of a restore credential profile (passwords, the certificate and
// its password), appears in the workflow's history, the worker's debug
// logs, errors, reports or metrics, through logins, refreshes (short token
// lifetime), a 401, 5xx answers, a wrong password, and restore actions with
// each kind of profile, one Microsoft 365 refuses, a lost answer and a 503.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	const password = "Zebra-7781-Pa55w0rd-Quokka"
	var mu sync.Mutex
	var tokens []string
	onToken := func(access, refresh string) {
		mu.Lock()
		defer mu.Unlock()
		tokens = append(tokens, access, refresh)
	}
	port := freePort(t)
	s := newStack(t, vb365sim.Options{Password: password, Username: "admin", TokenTTL: 3 * time.Second, OnToken: onToken},
		append(actionEnv(t, ""), "VB365_PASSWORD="+password, "LOG_LEVEL=debug", fmt.Sprintf("METRICS_ADDR=127.0.0.1:%d", port))...)
	run := s.start(input())
	waitForEvents(t, run.GetID(), 2, long)
	s.sim.AddFault(fault(pathEvents, vb365sim.Fault{Status: 401}))
	s.sim.AddFault(fault(pathSession, vb365sim.Fault{Status: 503, Message: "Service unavailable"}))
	rep := s.runAndStop(run, 1)

	// Restore actions with each credential profile: a user and password, a
	// password Microsoft 365 refuses, an application with its certificate;
	// a lost answer and a 503 on the restore requests make them log and retry.
	s.sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/*/RestoreSessions/*/organization/mailboxes/*/restore", DropAfterCommit: true})
	s.sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/*/RestoreSessions/*/organization/mailboxes/*/restoreTo", Status: 503})
	app := mailboxTo(vb365sim.MailboxAlex, vb365sim.MailboxRecovery, "DR")
	app.CredentialProfile = profileApp
	wrongProfile := mailboxTo(vb365sim.MailboxMegan, "", "")
	wrongProfile.CredentialProfile = profileWrong
	actionsRun := s.start(actionInput("vex", mailboxTo(vb365sim.MailboxAdele, "", ""), app, wrongProfile))
	actionsRep, err := resultOf(t, actionsRun)
	require.NoError(t, err)
	require.Equal(t, workflows.ActionSuccess, actionsRep.Actions[0].State)
	require.NotEqual(t, workflows.ActionFailed, actionsRep.Actions[1].State, "%s", actionsRep.Actions[1].Error)
	require.Equal(t, workflows.ActionFailed, actionsRep.Actions[2].State)

	// A second worker, with a wrong password that must not leak either.
	const wrong = "Wrong-Giraffe-4412"
	bad := newStack(t, vb365sim.Options{Password: password, Username: "admin", OnToken: onToken},
		"VB365_PASSWORD="+wrong, "LOG_LEVEL=debug")
	badRun := bad.start(input())
	_, badErr := resultOf(t, badRun)
	require.Error(t, badErr)

	metrics := scrape(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	require.Contains(t, metrics, "temporal_", "the scrape has the SDK's metrics")

	mu.Lock()
	secrets := append([]string{password, wrong, vb365sim.RestorePassword, wrongM365Password, vb365sim.RestoreCertificatePassword,
		appCertificate, base64.StdEncoding.EncodeToString([]byte(appCertificate))}, tokens...)
	mu.Unlock()
	require.GreaterOrEqual(t, len(tokens), 6, "logins and refreshes happened")

	places := map[string]string{
		"history":              historyJSON(t, run.GetID()),
		"failed history":       historyJSON(t, badRun.GetID()),
		"worker logs":          s.worker.Logs(),
		"failed worker's logs": bad.worker.Logs(),
		"report":               fmt.Sprintf("%+v", rep),
		"actions' history":     historyJSON(t, actionsRun.GetID()),
		"actions' report":      fmt.Sprintf("%+v", actionsRep),
		"actions' report JSON": string(mustMarshal(t, actionsRep)),
		"error":                badErr.Error(),
		"metrics":              metrics,
	}
	require.Contains(t, places["worker logs"], `"level":"debug"`, "the logs are at debug level")
	for where, text := range places {
		for i, secret := range secrets {
			require.False(t, strings.Contains(text, secret), "secret #%d (%s...) found in the %s", i, secret[:4], where)
		}
	}
	_ = workflows.EndReasonStopRequested
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func historyJSON(t *testing.T, id string) string {
	t.Helper()
	var b strings.Builder
	for _, e := range historyOf(t, devServer.Client, id) {
		j, err := protojson.Marshal(e)
		require.NoError(t, err)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return string(b)
}
