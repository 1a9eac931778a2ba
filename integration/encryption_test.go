package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/examples/childworkflow"
	"github.com/vb365-restore/vb365-restore/internal/gomodule"
	"github.com/vb365-restore/vb365-restore/internal/payloadcrypt"
	"github.com/vb365-restore/vb365-restore/internal/temporalcli"
	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// What a restore's history would show in plain text: the organization's and
// the session's names, the events' messages and item names, and an error
// text naming the organization.
const (
	secretOrg     = "Contoso Confidential Ltd"
	secretItem    = "Board minutes 2026.docx"
	secretMessage = "Restored mailbox of Jane Roe"
	secretFailure = "Access denied to Payroll Q4.xlsx"
	codecToken    = "integration-codec-token-0123456789"
)

func secretScenario() *vb365sim.Scenario {
	first := time.Date(2020, 10, 2, 22, 0, 0, 0, time.UTC)
	last := time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC)
	return &vb365sim.Scenario{
		Organizations: []vb365sim.ScenarioOrganization{{ID: seedOrg, Name: secretOrg, RestorePoints: []time.Time{first, last}}},
		Events: []vb365sim.ScriptedEvent{
			{Offset: vb365sim.Duration(200 * time.Millisecond), Type: "View", Status: "Success", Title: "Explore", Message: "Opened {org}", ItemName: "{org}", ItemType: "Organization"},
			{Offset: vb365sim.Duration(400 * time.Millisecond), Type: "Restore", Status: "Success", Title: "Restore", Message: secretMessage, ItemName: secretItem, ItemType: "Item"},
			{Offset: vb365sim.Duration(600 * time.Millisecond), Type: "Restore", Status: "Failed", Title: "Restore", Message: secretFailure, ItemName: "Payroll Q4.xlsx", ItemType: "Item"},
		},
	}
}

func writeKeys(t *testing.T, path, current string, ids ...string) {
	t.Helper()
	keys := map[string]string{}
	for i, id := range ids {
		keys[id] = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{byte(0x30 + i)}, 32))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "current: %s\nkeys:\n", current)
	for _, id := range ids {
		fmt.Fprintf(&b, "  %s: %s\n", id, keys[id])
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
}

// encryptingClient is a client of the shared dev server with the keys of file.
func encryptingClient(t *testing.T, file string) client.Client {
	t.Helper()
	keys, err := payloadcrypt.LoadKeysFile(file)
	require.NoError(t, err)
	opts := client.Options{Namespace: devServer.Server.Namespace}
	payloadcrypt.Apply(&opts, keys)
	c, err := client.NewClientFromExisting(devServer.Client, opts)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// startCodecServer runs the codecserver binary with token authorization for
// the dev server's namespace and returns its URL.
func startCodecServer(t *testing.T, keysFile string) string {
	t.Helper()
	root, err := gomodule.Root()
	require.NoError(t, err)
	dir := t.TempDir()
	bin, err := testenv.Build(root, dir, "./codecserver")
	require.NoError(t, err)
	tokens := filepath.Join(dir, "tokens")
	require.NoError(t, os.WriteFile(tokens, []byte(codecToken+"\n"), 0o600))
	port, err := temporalcli.FreePort("127.0.0.1")
	require.NoError(t, err)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var logs testenv.SyncBuffer
	cmd := exec.Command(bin)
	cmd.Env = []string{"PAYLOAD_KEYS_FILE=" + keysFile, "CODEC_TOKENS_FILE=" + tokens, "CODEC_LISTEN_ADDR=" + addr,
		"CODEC_NAMESPACES=" + devServer.Server.Namespace, "LOG_LEVEL=debug"}
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		for _, secret := range secretsOf(t, keysFile) {
			require.NotContains(t, logs.String(), secret, "a key in the codec server's log")
		}
		require.NotContains(t, logs.String(), codecToken)
	})
	url := "http://" + addr
	waitFor(t, 30*time.Second, "the codec server", func() bool {
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return url
}

// secretsOf lists the base64 keys of a key file, as a log could hold them.
func secretsOf(t *testing.T, file string) []string {
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if _, v, ok := strings.Cut(line, ": "); ok && len(v) == 44 {
			out = append(out, v)
		}
	}
	require.NotEmpty(t, out)
	return out
}

func remoteCodec(url string) converter.PayloadCodec {
	return converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint: url,
		ModifyRequest: func(r *http.Request) error {
			r.Header.Set("X-Namespace", devServer.Server.Namespace)
			r.Header.Set("Authorization", "Bearer "+codecToken)
			return nil
		},
	})
}

// temporalShow is `temporal workflow show --output json`, with the codec
// server when url is not empty, as text.
func temporalShow(t *testing.T, id, url string) string {
	t.Helper()
	args := []string{"workflow", "show", "--address", devServer.Server.HostPort, "--namespace", devServer.Server.Namespace,
		"-w", id, "--output", "json"}
	if url != "" {
		args = append(args, "--codec-endpoint", url, "--codec-auth", "Bearer "+codecToken)
	}
	out, err := exec.Command(temporalcli.Path(), args...).Output()
	require.NoError(t, err, string(out))
	// The CLI prints payloads' data in base64: render them as text.
	h, err := client.HistoryFromJSON(bytes.NewReader(out), client.HistoryJSONOptions{})
	require.NoError(t, err)
	text, _, err := testenv.RenderHistory(context.Background(), h, nil)
	require.NoError(t, err)
	return text
}

// With PAYLOAD_KEYS_FILE, what Temporal stores of a restore (its inputs,
// results, events and error texts) is ciphertext: the raw history names no
// organization, session, event or item, while the codec server, the CLI with
// --codec-endpoint and the starter show them. A key rotation keeps older
// restores readable.
func TestEncryptedPayloads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keysA := filepath.Join(dir, "keys-a.yaml")
	writeKeys(t, keysA, "a", "a")
	s := newStack(t, vb365sim.Options{Scenario: secretScenario()}, "PAYLOAD_KEYS_FILE="+keysA)
	c := encryptingClient(t, keysA)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	start := func(c client.Client, queue string, in workflows.RestoreInput) client.WorkflowRun {
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: "it-enc-" + uuid.NewString(), TaskQueue: queue, WorkflowExecutionTimeout: 10 * time.Minute,
		}, workflows.RestoreSessionWorkflowName, in)
		require.NoError(t, err)
		return run
	}
	in := workflows.RestoreInput{OrganizationID: seedOrg, PointInTime: "2020-10-30T10:54:40Z", Type: "vet", PollInterval: "1s"}

	// A restore with events under key a; the starter follows it.
	runA := start(c, s.taskQueue, in)
	root, err := gomodule.Root()
	require.NoError(t, err)
	starterBin, err := testenv.Build(root, t.TempDir(), "./starter")
	require.NoError(t, err)
	var followed testenv.SyncBuffer
	follow := exec.CommandContext(ctx, starterBin, "status", runA.GetID(), "--follow")
	follow.Env = []string{"TEMPORAL_ADDRESS=" + devServer.Server.HostPort, "TEMPORAL_NAMESPACE=" + devServer.Server.Namespace,
		"TEMPORAL_TASK_QUEUE=" + s.taskQueue, "PAYLOAD_KEYS_FILE=" + keysA}
	follow.Stdout, follow.Stderr = &followed, &followed
	require.NoError(t, follow.Start())
	// Every scripted event, the failure included, is recorded before the
	// stop: a stop sooner than its offset would end the session without it.
	waitFor(t, time.Minute, "4 events", func() bool {
		v, err := c.QueryWorkflow(ctx, runA.GetID(), "", workflows.QueryStatus)
		var st workflows.Status
		return err == nil && v.Get(&st) == nil && st.EventCounts.Total >= 4
	})
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: runA.GetID(), UpdateName: workflows.UpdateStop, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.StopRequest{Reason: "encryption test", RequestedBy: t.Name()}},
	})
	require.NoError(t, err)
	require.NoError(t, h.Get(ctx, nil))
	var rep workflows.RestoreReport
	require.NoError(t, runA.Get(ctx, &rep))
	require.Equal(t, secretOrg, rep.Organization.Name)
	require.NoError(t, follow.Wait(), followed.String())
	for _, want := range []string{secretOrg, secretMessage, secretFailure} {
		require.Contains(t, followed.String(), want, "starter status --follow")
	}

	// An action error: before the first backup, the failure names the organization.
	runErr := start(c, s.taskQueue, workflows.RestoreInput{OrganizationID: seedOrg, PointInTime: "2001-01-01T00:00:00Z", Type: "vet"})
	err = runErr.Get(ctx, nil)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "%v", err)
	require.Equal(t, workflows.ErrPointInTimeBeforeFirstBackup, appErr.Type())
	require.Contains(t, appErr.Error(), secretOrg, "the client decodes the failure message")

	// Rotation: b becomes current; a restore under b; both decode.
	keysAB := filepath.Join(dir, "keys-ab.yaml")
	writeKeys(t, keysAB, "b", "a", "b")
	queueB := s.taskQueue + "-rotated"
	rotated, err := testenv.StartWorker(append(append([]string{}, s.env...), // later settings win
		"TEMPORAL_TASK_QUEUE="+queueB, "PAYLOAD_KEYS_FILE="+keysAB))
	require.NoError(t, err)
	defer func() { require.NoError(t, rotated.Stop()) }()
	cB := encryptingClient(t, keysAB)
	runB := start(cB, queueB, workflows.RestoreInput{OrganizationID: seedOrg, PointInTime: "2001-01-01T00:00:00Z", Type: "vet"})
	require.ErrorContains(t, runB.Get(ctx, nil), secretOrg)
	var repA workflows.RestoreReport
	require.NoError(t, cB.GetWorkflow(ctx, runA.GetID(), "").Get(ctx, &repA), "key a's report with the rotated keys")
	require.Equal(t, secretOrg, repA.Organization.Name)

	codecURL := startCodecServer(t, keysAB)
	for _, c := range []struct {
		id      string
		keyID   string
		secrets []string
	}{
		{runA.GetID(), "a", []string{secretOrg, "Teams restore", secretItem, secretMessage, secretFailure}},
		{runErr.GetID(), "a", []string{secretOrg}},
		{runB.GetID(), "b", []string{secretOrg}},
	} {
		raw, encrypted, err := testenv.HistoryText(ctx, devServer.Client, c.id, nil)
		require.NoError(t, err)
		require.Positive(t, encrypted)
		require.Contains(t, raw, `"`+base64.StdEncoding.EncodeToString([]byte(c.keyID))+`"`, "payloads under key %s", c.keyID)
		cliRaw := temporalShow(t, c.id, "")
		decoded, _, err := testenv.HistoryText(ctx, devServer.Client, c.id, remoteCodec(codecURL))
		require.NoError(t, err)
		cliDecoded := temporalShow(t, c.id, codecURL)
		for _, secret := range c.secrets {
			require.NotContains(t, raw, secret, "%s: raw history", c.id)
			require.NotContains(t, cliRaw, secret, "%s: temporal workflow show without a codec", c.id)
			require.Contains(t, decoded, secret, "%s: decoded through the codec server", c.id)
			require.Contains(t, cliDecoded, secret, "%s: temporal workflow show --codec-endpoint", c.id)
		}
	}
	// Without the rotated file's key b, restore b does not decode, naming b.
	_, _, err = testenv.HistoryText(ctx, devServer.Client, runB.GetID(), payloadcrypt.NewCodec(mustKeys(t, keysA)))
	require.ErrorContains(t, err, `"b"`)

	for _, secret := range append(secretsOf(t, keysAB), secretsOf(t, keysA)...) {
		require.NotContains(t, s.worker.Logs(), secret, "a key in the worker's log")
		require.NotContains(t, rotated.Logs(), secret, "a key in the rotated worker's log")
	}
}

func mustKeys(t *testing.T, file string) *payloadcrypt.Keys {
	k, err := payloadcrypt.LoadKeysFile(file)
	require.NoError(t, err)
	return k
}

// The child-workflow example with encryption on: the parent's worker and
// client use the restore worker's key file (childworkflow.ClientOptions), and
// the child's input and report are stored encrypted.
func TestChildWorkflowExampleEncrypted(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys.yaml")
	writeKeys(t, keys, "k1", "k1")
	s := newStack(t, vb365sim.Options{Scenario: secretScenario()},
		"TEMPORAL_TASK_QUEUE="+workflows.DefaultTaskQueue, "PAYLOAD_KEYS_FILE="+keys)
	opts, err := childworkflow.ClientOptions(devServer.Server.HostPort, devServer.Server.Namespace, keys)
	require.NoError(t, err)
	opts.Logger = quietSDKLogger{}
	c, err := client.Dial(opts)
	require.NoError(t, err)
	defer c.Close()
	_, err = childworkflow.ClientOptions(devServer.Server.HostPort, devServer.Server.Namespace, filepath.Join(t.TempDir(), "absent"))
	require.ErrorContains(t, err, "absent")

	parentQueue := "it-parent-encrypted"
	w := worker.New(c, parentQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(childworkflow.VerifyRestoreWorkflow, workflow.RegisterOptions{Name: "Verify-encrypted"})
	w.RegisterActivity(childworkflow.CheckRestoredItems)
	require.NoError(t, w.Start())
	defer w.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: "it-parent-" + uuid.NewString(), TaskQueue: parentQueue, WorkflowExecutionTimeout: 5 * time.Minute,
	}, "Verify-encrypted", childworkflow.VerifyInput{OrganizationID: seedOrg, PointInTime: "2020-10-30T10:54:40Z", Type: "vet"})
	require.NoError(t, err)
	var res childworkflow.VerifyResult
	require.NoError(t, run.Get(ctx, &res))
	require.Equal(t, secretOrg, res.Report.Organization.Name)
	s.checkClean(1, res.Report)

	for _, id := range []string{run.GetID(), run.GetID() + "/restore"} {
		raw, encrypted, err := testenv.HistoryText(ctx, devServer.Client, id, nil)
		require.NoError(t, err)
		require.Positive(t, encrypted, id)
		require.NotContains(t, raw, secretOrg, id)
		require.NotContains(t, raw, "Teams restore", id)
	}
}

type quietSDKLogger struct{}

func (quietSDKLogger) Debug(string, ...any) {}
func (quietSDKLogger) Info(string, ...any)  {}
func (quietSDKLogger) Warn(string, ...any)  {}
func (quietSDKLogger) Error(string, ...any) {}
