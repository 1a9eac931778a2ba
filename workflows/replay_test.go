package workflows

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/activities/fakevb365"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// replayHistory is a full run recorded on a real Temporal server (the CLI's
// dev server) by TestRecordHistory.
var replayHistory = filepath.Join("testdata", "restore-stop-by-update.json")

// TestReplay replays every recorded history in testdata against the current
// workflow code: a change that would break running workflows
// (non-determinism) fails here. Keep the histories of earlier versions beside
// the newest one (restore-stop-by-update-earlier.json was recorded before the
// review fixes of the first landing).
func TestReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	if len(files) == 0 {
		t.Fatalf("no recorded history in testdata: run VB365_RECORD_HISTORY=1 go test -run TestRecordHistory ./workflows/")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(RestoreSessionWorkflow, workflowRegisterOptions())
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}

// TestRecordHistory runs the workflow on a real server with the real
// activities over the fake VB365 and writes its history to testdata. It
// needs the Temporal CLI: VB365_RECORD_HISTORY=1, and TEMPORAL_CLI_PATH (default
// the project's cached v1.5.1 build).
func TestRecordHistory(t *testing.T) {
	if os.Getenv("VB365_RECORD_HISTORY") == "" {
		t.Skip("set VB365_RECORD_HISTORY=1 to record testdata histories on a dev server")
	}
	cli := os.Getenv("TEMPORAL_CLI_PATH")
	if cli == "" {
		cli = "/root/.cache/vb365-restore/temporal-cli-v1.5.1/temporal"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  cli,
		ClientOptions: &client.Options{Namespace: "default"},
		SearchAttributes: temporal.NewSearchAttributes(saOrganizationID.ValueSet(""), saSessionID.ValueSet(""),
			saSessionType.ValueSet(""), saSessionState.ValueSet("")),
	})
	require.NoError(t, err)
	defer func() { _ = srv.Stop() }()
	c := srv.Client()

	f := fakevb365.New()
	f.AddOrganization(vb365.Organization{ID: testOrgID, Name: "abc.onmicrosoft.com", IsBackedUp: true,
		FirstBackupTime: &firstBackup, LastBackupTime: &lastBackup})
	f.LoseStartResponses(1) // the history shows the retried, adopting creation
	const tq = "vb365-restore-record"
	w := worker.New(c, tq, worker.Options{})
	Register(w, activities.New(activities.Config{Client: f, SearchAttributesRegistered: true}))
	require.NoError(t, w.Start())
	defer w.Stop()

	in := baseInput()
	in.PollInterval = "1s"
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "record-restore", TaskQueue: tq,
		StaticSummary: "record a restore history"}, RestoreSessionWorkflowName, in)
	require.NoError(t, err)

	var sessionID string
	require.Eventually(t, func() bool {
		if ss := f.Sessions(); len(ss) == 1 {
			sessionID = ss[0].ID
			return true
		}
		return false
	}, time.Minute, 100*time.Millisecond)
	for _, batch := range [][]string{{"Success", "Success", "Warning"}, {"Failed"}, {"Success", "Success"}} {
		time.Sleep(3 * time.Second)
		for _, st := range batch {
			f.AppendEvent(sessionID, st, "action")
		}
	}
	time.Sleep(3 * time.Second) // an idle stretch: it must add no history
	f.AppendEvent(sessionID, "Success", "the last one, read by the final fetch")
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: run.GetID(), RunID: run.GetRunID(),
		UpdateName: UpdateStop, Args: []any{StopRequest{RequestedBy: "recorder"}}, WaitForStage: client.WorkflowUpdateStageCompleted})
	require.NoError(t, err)
	var stopped vb365.RestoreSession
	require.NoError(t, h.Get(ctx, &stopped))
	require.Equal(t, vb365.SessionStateStopped, stopped.State)
	var report RestoreReport
	require.NoError(t, run.Get(ctx, &report))
	require.Equal(t, 7, report.EventCounts.Total)
	require.Len(t, f.Sessions(), 1)

	hist := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, e)
	}
	batches := report.EventCounts.Total // an upper bound: at most one batch per event
	t.Logf("history: %d events for %d recorded events", len(hist.Events), report.EventCounts.Total)
	require.LessOrEqual(t, len(hist.Events), 40+6*batches)
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(hist)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(replayHistory, data, 0o644))
}
