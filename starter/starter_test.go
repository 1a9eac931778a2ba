package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

const seedOrg = "3c424478-0811-4920-8aab-01f0bf2a2822"

// testNow is the clock of the flag checks: after every point in time used.
var testNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func TestRestoreFlagsToInput(t *testing.T) {
	at := time.Date(2020, 10, 30, 10, 54, 40, 279404600, time.UTC)
	tests := []struct {
		name  string
		flags restoreFlags
		want  workflows.RestoreInput
		at    *time.Time
	}{
		{
			name:  "seed example",
			flags: restoreFlags{org: seedOrg, at: "2020-10-30T10:54:40.2794046Z", sessionType: "vet", beforeFirstBackup: "fail", maxDuration: "8h", pollInterval: "15s"},
			want: workflows.RestoreInput{OrganizationID: seedOrg, PointInTime: "2020-10-30T10:54:40.2794046Z", Type: "vet",
				BeforeFirstBackup: "fail", MaxSessionDuration: "8h", PollInterval: "15s"},
			at: &at,
		},
		{
			name:  "offset converted to UTC, workload name, options",
			flags: restoreFlags{org: " " + seedOrg + " ", at: "2020-10-30T12:54:40+02:00", sessionType: "Exchange", showDeleted: true, showAllVersions: true, beforeFirstBackup: "ALLOW", maxDuration: "90m", pollInterval: "5s"},
			want: workflows.RestoreInput{OrganizationID: seedOrg, PointInTime: "2020-10-30T10:54:40Z", Type: "vex", ShowDeleted: true,
				ShowAllVersions: true, BeforeFirstBackup: "allow", MaxSessionDuration: "1h30m", PollInterval: "5s"},
		},
		{
			name:  "VB365 layout read as UTC",
			flags: restoreFlags{org: seedOrg, at: "2020.10.30 10:54:40", sessionType: "VESP", beforeFirstBackup: "fail", maxDuration: "8h", pollInterval: "15s"},
			want: workflows.RestoreInput{OrganizationID: seedOrg, PointInTime: "2020-10-30T10:54:40Z", Type: "vesp",
				BeforeFirstBackup: "fail", MaxSessionDuration: "8h", PollInterval: "15s"},
		},
		{
			name:  "empty durations: the workflow's defaults, written out",
			flags: restoreFlags{org: seedOrg, at: "latest", sessionType: "vet", beforeFirstBackup: "fail"},
			want: workflows.RestoreInput{OrganizationID: seedOrg, Type: "vet",
				BeforeFirstBackup: "fail", MaxSessionDuration: "8h", PollInterval: "15s"},
		},
		{
			name:  "latest",
			flags: restoreFlags{org: seedOrg, sessionType: "onedrive", beforeFirstBackup: "fail", maxDuration: "8h", pollInterval: "15s"},
			want: workflows.RestoreInput{OrganizationID: seedOrg, Type: "veod",
				BeforeFirstBackup: "fail", MaxSessionDuration: "8h", PollInterval: "15s"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := tt.flags.request(testNow)
			require.NoError(t, err)
			assert.Equal(t, tt.want, req.input)
			if tt.at != nil {
				require.NotNil(t, req.req.PointInTime)
				assert.True(t, tt.at.Equal(*req.req.PointInTime))
			}
		})
	}
}

func TestRestoreFlagErrors(t *testing.T) {
	ok := restoreFlags{org: seedOrg, sessionType: "vet", beforeFirstBackup: "fail", maxDuration: "8h", pollInterval: "15s"}
	tests := []struct {
		name   string
		mutate func(*restoreFlags)
		want   string
	}{
		{"no org", func(f *restoreFlags) { f.org = "" }, "--org is required"},
		{"bad org", func(f *restoreFlags) { f.org = "short" }, `--org: organizationId "short": not a UUID`},
		{"no type", func(f *restoreFlags) { f.sessionType = "" }, "--type is required"},
		{"bad type", func(f *restoreFlags) { f.sessionType = "yammer" }, `--type: type "yammer": want vex`},
		{"bad at", func(f *restoreFlags) { f.at = "yesterday" }, `--at: pointInTime "yesterday"`},
		{"at in the future", func(f *restoreFlags) { f.at = testNow.Add(time.Hour).Format(time.RFC3339) }, "--at: pointInTime"},
		{"bad before-first-backup", func(f *restoreFlags) { f.beforeFirstBackup = "maybe" }, `--before-first-backup: beforeFirstBackup "maybe": want fail or allow`},
		{"bad max duration", func(f *restoreFlags) { f.maxDuration = "forever" }, `--max-duration: maxSessionDuration "forever"`},
		{"max duration too long", func(f *restoreFlags) { f.maxDuration = "200h" }, "at most 168h"},
		{"poll too fast", func(f *restoreFlags) { f.pollInterval = "100ms" }, "between 1s and 10m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ok
			tt.mutate(&f)
			_, err := f.request(testNow)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Equal(t, exitUsage, exitCode(err))
		})
	}
}

func TestSummaryDetailsAndIDs(t *testing.T) {
	req, err := restoreFlags{org: seedOrg, at: "2020-10-30T10:54:40.2794046Z", sessionType: "vet", beforeFirstBackup: "fail", maxDuration: "8h", pollInterval: "15s"}.request(testNow)
	require.NoError(t, err)
	assert.Equal(t, "Teams restore of 3c424478… at 2020-10-30T10:54:40Z", req.summary())
	now := time.Unix(1700000000, 0)
	assert.Equal(t, "vb365-restore-"+seedOrg+"-vet-1700000000", defaultWorkflowID(seedOrg, vb365.SessionTypeTeams, now))

	details := req.details("alice@ops1", now)
	assert.Contains(t, details, "`"+seedOrg+"`")
	assert.Contains(t, details, "2020-10-30T10:54:40.2794046Z")
	assert.Contains(t, details, "alice@ops1")

	cfg := config.Temporal{Namespace: "default", TaskQueue: "vb365-restore", UIURL: "http://localhost:8233"}
	opts := req.startOptions(cfg, "wf-1", "alice@ops1", now)
	assert.Equal(t, "wf-1", opts.ID)
	assert.Equal(t, "vb365-restore", opts.TaskQueue)
	assert.Equal(t, req.summary(), opts.StaticSummary)
	assert.Equal(t, details, opts.StaticDetails)
	assert.Equal(t, "http://localhost:8233/namespaces/default/workflows/wf-1", cfg.WorkflowURL("wf-1"))

	latest, err := restoreFlags{org: "5F0C6B8E-2A6D-4C1E-9A57-6A3F1D2B7C41", sessionType: "exchange", beforeFirstBackup: "fail", maxDuration: "8h", pollInterval: "15s"}.request(testNow)
	require.NoError(t, err)
	assert.Equal(t, "Exchange restore of 5f0c6b8e… at the latest restore point", latest.summary())
}

func TestExitCodes(t *testing.T) {
	appErr := temporal.NewNonRetryableApplicationError("pointInTime 2019-01-01T00:00:00Z is before the first backup", workflows.ErrPointInTimeBeforeFirstBackup, nil)
	tests := []struct {
		name string
		err  error
		code int
		text string
	}{
		{"ok", nil, exitOK, ""},
		{"usage", usageErrorf("--org is required"), exitUsage, "--org is required"},
		{"config", &config.Error{Problems: []config.Problem{{Variable: "TEMPORAL_ADDRESS", Message: "TEMPORAL_ADDRESS bad"}}}, exitUsage, "TEMPORAL_ADDRESS"},
		{"cobra unknown command", errors.New(`unknown command "frobnicate" for "starter"`), exitUsage, ""},
		{"application error", &workflowError{fmt.Errorf("workflow execution error: %w", appErr)}, exitFailed,
			"failed: PointInTimeBeforeFirstBackup: pointInTime 2019-01-01T00:00:00Z is before the first backup"},
		{"canceled", &workflowError{temporal.NewCanceledError()}, exitFailed, "canceled"},
		{"timed out", &workflowError{temporal.NewTimeoutError(enums.TIMEOUT_TYPE_START_TO_CLOSE, nil)}, exitFailed, "timed out"},
		{"temporal", &temporalError{errors.New("connection refused")}, exitTemporal, "connection refused"},
		{"detached", errDetached, exitDetached, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.code, exitCode(tt.err))
			if tt.text != "" {
				assert.Contains(t, tt.err.Error(), tt.text)
			}
		})
	}
}

// fakeClient is the part of client.Client the starter's tests need.
type fakeClient struct {
	client.Client
	mu       sync.Mutex
	started  *client.StartWorkflowOptions
	input    workflows.RestoreInput
	statuses []workflows.Status // returned in turn; the last one repeats
	queries  int
	result   *workflows.RestoreReport
	err      error
	after    int // Get returns once this many queries were answered
	// playbook, when set, makes the workflow a playbook answering with it.
	playbook *playbook.Report
	running  map[string]bool // workflow ids started
}

func (c *fakeClient) DescribeWorkflow(ctx context.Context, id, runID string) (*client.WorkflowExecutionDescription, error) {
	var d client.WorkflowExecutionDescription
	d.WorkflowType.Name = workflows.RestoreSessionWorkflowName
	if c.playbook != nil {
		d.WorkflowType.Name = playbook.WorkflowName
	}
	return &d, nil
}

func (c *fakeClient) ExecuteWorkflow(ctx context.Context, opts client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if wf != workflows.RestoreSessionWorkflowName {
		return nil, fmt.Errorf("unexpected workflow %v", wf)
	}
	// As the server and the SDK: a running workflow of the same ID is
	// handed back, or refused when the options ask for an error.
	if c.running[opts.ID] {
		if opts.WorkflowExecutionErrorWhenAlreadyStarted {
			return nil, serviceerror.NewWorkflowExecutionAlreadyStarted("already started", "", "run-1")
		}
		return &fakeRun{c: c, id: opts.ID}, nil
	}
	if c.running == nil {
		c.running = map[string]bool{}
	}
	c.running[opts.ID] = true
	c.started = &opts
	c.input = args[0].(workflows.RestoreInput)
	return &fakeRun{c: c, id: opts.ID}, nil
}

func (c *fakeClient) GetWorkflow(ctx context.Context, id, runID string) client.WorkflowRun {
	return &fakeRun{c: c, id: id}
}

func (c *fakeClient) QueryWorkflow(ctx context.Context, id, runID, queryType string, args ...any) (converter.EncodedValue, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if queryType != workflows.QueryStatus {
		return nil, fmt.Errorf("unexpected query %s", queryType)
	}
	if c.playbook != nil {
		return encoded(*c.playbook), nil
	}
	i := min(c.queries, len(c.statuses)-1)
	c.queries++
	return encoded(c.statuses[i]), nil
}

func (c *fakeClient) Close() {}

type fakeRun struct {
	c  *fakeClient
	id string
}

func (r *fakeRun) GetID() string                  { return r.id }
func (r *fakeRun) GetRunID() string               { return "run-1" }
func (r *fakeRun) GetFirstExecutionRunID() string { return "run-1" }
func (r *fakeRun) GetWithOptions(ctx context.Context, v any, _ client.WorkflowRunGetOptions) error {
	return r.Get(ctx, v)
}
func (r *fakeRun) Get(ctx context.Context, v any) error {
	for {
		r.c.mu.Lock()
		n, after := r.c.queries, r.c.after
		r.c.mu.Unlock()
		if n >= after {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	if r.c.err != nil {
		return r.c.err
	}
	if r.c.result == nil {
		<-ctx.Done() // runs forever
		return ctx.Err()
	}
	b, _ := json.Marshal(r.c.result)
	return json.Unmarshal(b, v)
}

// encoded is v as the SDK's default data converter hands it to a client.
func encoded(v any) converter.EncodedValue {
	p, err := converter.GetDefaultDataConverter().ToPayloads(v)
	if err != nil {
		panic(err)
	}
	return client.NewValue(p)
}

func testApp(fc *fakeClient, environ ...string) (*app, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	a := newApp(&stdout, &stderr, environ)
	a.now = func() time.Time { return time.Unix(1700000000, 0) }
	a.pollEvery = 5 * time.Millisecond
	a.dial = func(ctx context.Context, cfg config.Temporal) (client.Client, error) {
		if fc == nil {
			return nil, errors.New("connection refused")
		}
		return fc, nil
	}
	return a, &stdout, &stderr
}

func TestRestoreStartsAndPrintsLink(t *testing.T) {
	fc := &fakeClient{}
	a, stdout, _ := testApp(fc, "TEMPORAL_NAMESPACE=dr", "TEMPORAL_UI_URL=https://temporal.example.com/")
	code := a.run(context.Background(), []string{"restore", "--org", seedOrg, "--at", "2020-10-30T10:54:40Z", "--type", "teams"})
	require.Equal(t, exitOK, code)
	id := "vb365-restore-" + seedOrg + "-vet-1700000000"
	require.NotNil(t, fc.started)
	assert.Equal(t, id, fc.started.ID)
	assert.Equal(t, "vb365-restore", fc.started.TaskQueue)
	assert.Equal(t, "Teams restore of 3c424478… at 2020-10-30T10:54:40Z", fc.started.StaticSummary)
	assert.Equal(t, "vet", fc.input.Type)
	assert.Equal(t, "2020-10-30T10:54:40Z", fc.input.PointInTime)
	assert.Contains(t, stdout.String(), "Workflow ID: "+id)
	assert.Contains(t, stdout.String(), "Run ID:      run-1")
	assert.Contains(t, stdout.String(), "https://temporal.example.com/namespaces/dr/workflows/"+id)

	fc = &fakeClient{}
	a, _, _ = testApp(fc)
	require.Equal(t, exitOK, a.run(context.Background(), []string{"restore", "--org", seedOrg, "--type", "vex", "--id", "my-id"}))
	assert.Equal(t, "my-id", fc.started.ID)
}

func TestRestoreFollowSuccess(t *testing.T) {
	fc := &fakeClient{
		statuses: []workflows.Status{
			{Phase: workflows.PhaseCreating},
			{Phase: workflows.PhaseOpen, Session: &vb365.RestoreSession{ID: "s-1"},
				LatestEvents: []vb365.RestoreSessionEvent{{Order: 0, Status: "Success", Message: "opened"}}},
		},
		after:  3,
		result: &workflows.RestoreReport{Session: vb365.RestoreSession{ID: "s-1", State: "Stopped"}, EndReason: workflows.EndReasonMaxDuration},
	}
	a, stdout, _ := testApp(fc)
	code := a.run(context.Background(), []string{"restore", "--org", seedOrg, "--type", "vet", "--follow"})
	require.Equal(t, exitOK, code, stdout.String())
	assert.Contains(t, stdout.String(), "phase: creating-session")
	assert.Contains(t, stdout.String(), ": opened")
	assert.Contains(t, stdout.String(), "done: max-duration")
}

func TestRestoreFollowFailure(t *testing.T) {
	fc := &fakeClient{
		statuses: []workflows.Status{{Phase: workflows.PhaseValidating}},
		after:    1,
		err: fmt.Errorf("workflow execution error: %w", temporal.NewNonRetryableApplicationError(
			"pointInTime 2019-01-01T00:00:00Z is before the first backup", workflows.ErrPointInTimeBeforeFirstBackup, nil)),
	}
	a, _, stderr := testApp(fc)
	code := a.run(context.Background(), []string{"restore", "--org", seedOrg, "--type", "vet", "--at", "2019-01-01 00:00:00", "--follow"})
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stderr.String(), "failed: PointInTimeBeforeFirstBackup: pointInTime 2019-01-01T00:00:00Z")
}

func TestRestoreFollowDetachesOnInterrupt(t *testing.T) {
	fc := &fakeClient{statuses: []workflows.Status{{Phase: workflows.PhaseOpen}}}
	a, stdout, stderr := testApp(fc)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			fc.mu.Lock()
			n := fc.queries
			fc.mu.Unlock()
			if n >= 3 {
				cancel() // Ctrl-C
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	code := a.run(ctx, []string{"restore", "--org", seedOrg, "--type", "vet", "--follow"})
	assert.Equal(t, exitDetached, code)
	assert.Contains(t, stdout.String(), "keeps running")
	assert.Empty(t, stderr.String())
}

func TestUsageAndConnectionExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		code int
		want string
	}{
		{"missing org", []string{"restore", "--type", "vet"}, nil, exitUsage, "--org is required"},
		{"unknown flag", []string{"restore", "--frobnicate"}, nil, exitUsage, "unknown flag"},
		{"unknown command", []string{"frobnicate"}, nil, exitUsage, "unknown command"},
		{"stop without id", []string{"stop"}, nil, exitUsage, "want WORKFLOW_ID"},
		{"bad TEMPORAL_ADDRESS", []string{"status", "wf"}, []string{"TEMPORAL_ADDRESS=nohost"}, exitUsage, "TEMPORAL_ADDRESS"},
		{"unreachable", []string{"status", "wf"}, nil, exitTemporal, "connection refused"},
		{"list bad org", []string{"list", "--org", "x' OR '1'='1"}, nil, exitUsage, "--org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _, stderr := testApp(nil, tt.env...)
			assert.Equal(t, tt.code, a.run(context.Background(), tt.args))
			assert.Contains(t, stderr.String(), tt.want)
		})
	}
}

// The default id holds the second: two starts of one restore within a
// second are one workflow, and the second command says so instead of
// printing "Started" for a workflow it did not start.
func TestRestoreTwiceInASecondStartsOnce(t *testing.T) {
	fc := &fakeClient{}
	args := []string{"restore", "--org", seedOrg, "--type", "vet"}
	a, stdout, _ := testApp(fc)
	require.Equal(t, exitOK, a.run(context.Background(), args))
	require.Contains(t, stdout.String(), "Started")

	a, stdout, stderr := testApp(fc)
	require.Equal(t, exitTemporal, a.run(context.Background(), args))
	assert.NotContains(t, stdout.String(), "Started")
	assert.Contains(t, stderr.String(), "not started: restore vb365-restore-"+seedOrg+"-vet-1700000000 is already running (run run-1)")
	assert.Contains(t, stderr.String(), "starter status vb365-restore-"+seedOrg+"-vet-1700000000 --follow")
}

func TestStatusPrints(t *testing.T) {
	created := time.Date(2020, 10, 30, 10, 55, 0, 0, time.UTC)
	fc := &fakeClient{statuses: []workflows.Status{{
		Phase:        workflows.PhaseOpen,
		Organization: workflows.OrganizationInfo{ID: seedOrg, Name: "abc.onmicrosoft.com"},
		Session:      &vb365.RestoreSession{ID: "s-1", State: "Working", CreationTime: created},
		EventCounts:  workflows.EventCounts{Total: 1, ByStatus: map[string]int{"Success": 1}},
		LatestEvents: []vb365.RestoreSessionEvent{{Order: 0, Status: "Success", Message: "opened", StartTime: created}},
	}}}
	a, stdout, _ := testApp(fc)
	require.Equal(t, exitOK, a.run(context.Background(), []string{"status", "wf-1"}))
	s := stdout.String()
	assert.Contains(t, s, "abc.onmicrosoft.com ("+seedOrg+")")
	assert.Contains(t, s, "session-open")
	assert.Contains(t, s, "s-1")
	assert.Contains(t, s, ": opened")
	assert.Contains(t, s, "http://localhost:8233/namespaces/default/workflows/wf-1")

	a, stdout, _ = testApp(fc)
	require.Equal(t, exitOK, a.run(context.Background(), []string{"status", "wf-1", "--json"}))
	var st workflows.Status
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &st))
	assert.Equal(t, workflows.PhaseOpen, st.Phase)
}

func TestStatusOfAPlaybookPrintsItsRows(t *testing.T) {
	fc := &fakeClient{playbook: &playbook.Report{Name: "drill", Rows: []playbook.Row{
		{Index: 0, OrganizationID: seedOrg, Type: "vet", State: playbook.RowOpen, SessionName: "Teams restore"},
		{Index: 1, OrganizationID: seedOrg, Type: "vex", State: playbook.RowFailed, ErrorType: workflows.ErrPointInTimeBeforeFirstBackup},
	}, Counts: map[playbook.RowState]int{playbook.RowOpen: 1, playbook.RowFailed: 1}}}
	a, stdout, _ := testApp(fc)
	require.Equal(t, exitOK, a.run(context.Background(), []string{"status", "pb-1"}))
	s := stdout.String()
	assert.Contains(t, s, "Playbook:  drill (pb-1)")
	assert.Contains(t, s, "1 failed, 1 open")
	assert.Contains(t, s, "[1] "+seedOrg+" vet: open, Teams restore")
	assert.Contains(t, s, "[2] "+seedOrg+" vex: failed, "+workflows.ErrPointInTimeBeforeFirstBackup)
	assert.NotContains(t, s, "Phase")

	a, stdout, _ = testApp(fc)
	require.Equal(t, exitOK, a.run(context.Background(), []string{"status", "pb-1", "--json"}))
	var rep playbook.Report
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &rep))
	assert.Len(t, rep.Rows, 2)
}

func TestListQuery(t *testing.T) {
	q, err := listQuery(false, "")
	require.NoError(t, err)
	assert.Equal(t, "WorkflowType = 'RestoreSessionWorkflow'", q)
	q, err = listQuery(true, seedOrg)
	require.NoError(t, err)
	assert.Equal(t, "WorkflowType = 'RestoreSessionWorkflow' AND ExecutionStatus = 'Running' AND VB365OrganizationId = '"+seedOrg+"'", q)

	err = explainListError(errors.New("invalid query: unknown search attribute VB365OrganizationId"), seedOrg, "dr")
	assert.Contains(t, err.Error(), "temporal operator search-attribute create --namespace dr --name VB365OrganizationId --type Keyword")
	err = explainListError(errors.New("unavailable"), "", "dr")
	assert.NotContains(t, err.Error(), "search-attribute")
}
