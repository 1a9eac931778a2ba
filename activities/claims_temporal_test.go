package activities

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// claimServer is the part of Temporal TemporalClaims talks to: workflow ids
// whose start is refused once taken, each with its memo. describe, when
// set, answers DescribeWorkflow instead (a claim vanished, a memo that
// names no owner, an unreachable server).
type claimServer struct {
	client.Client
	mu       sync.Mutex
	memos    map[string]*commonpb.Payload
	starts   []client.StartWorkflowOptions
	startErr error
	describe func(id string) (*client.WorkflowExecutionDescription, error)
}

func newClaimServer() *claimServer { return &claimServer{memos: map[string]*commonpb.Payload{}} }

func (s *claimServer) ExecuteWorkflow(_ context.Context, opts client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.starts = append(s.starts, opts)
	if s.startErr != nil {
		return nil, s.startErr
	}
	if _, taken := s.memos[opts.ID]; taken {
		return nil, serviceerror.NewWorkflowExecutionAlreadyStarted("workflow execution already started", "", "run")
	}
	p, err := converter.GetDefaultDataConverter().ToPayload(opts.Memo[claimOwnerMemo])
	if err != nil {
		return nil, err
	}
	s.memos[opts.ID] = p
	return nil, nil
}

func (s *claimServer) DescribeWorkflow(_ context.Context, id, _ string) (*client.WorkflowExecutionDescription, error) {
	if s.describe != nil {
		return s.describe(id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.memos[id]
	if !ok {
		return nil, serviceerror.NewNotFound("workflow not found")
	}
	return withMemo(map[string]*commonpb.Payload{claimOwnerMemo: p}), nil
}

func withMemo(fields map[string]*commonpb.Payload) *client.WorkflowExecutionDescription {
	return &client.WorkflowExecutionDescription{RawResponse: &workflowservice.DescribeWorkflowExecutionResponse{
		WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{Memo: &commonpb.Memo{Fields: fields}}}}
}

// TestTemporalClaimsFirstStartWins: a claim is a claim workflow started
// under the session's id in lower case, refusing any second start, with the
// owner in its memo; the first claim wins, a later one learns its owner,
// and Owner reads it (no owner for a session never claimed).
func TestTemporalClaimsFirstStartWins(t *testing.T) {
	ctx := context.Background()
	srv := newClaimServer()
	c := TemporalClaims{Client: srv, TaskQueue: "q"}
	owner, err := c.Claim(ctx, "S1", "wf-a")
	require.NoError(t, err)
	require.Equal(t, "wf-a", owner)
	require.Len(t, srv.starts, 1)
	start := srv.starts[0]
	require.Equal(t, SessionClaimWorkflowIDPrefix+"s1", start.ID)
	require.Equal(t, "q", start.TaskQueue)
	require.Equal(t, enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE, start.WorkflowIDReusePolicy)
	require.Equal(t, enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL, start.WorkflowIDConflictPolicy)
	require.True(t, start.WorkflowExecutionErrorWhenAlreadyStarted)
	require.Equal(t, "VB365 restore session S1 belongs to wf-a", start.StaticSummary)

	owner, err = c.Claim(ctx, "s1", "wf-b")
	require.NoError(t, err)
	require.Equal(t, "wf-a", owner, "the first claim holds")
	owner, err = c.Owner(ctx, "S1")
	require.NoError(t, err)
	require.Equal(t, "wf-a", owner)
	owner, err = c.Owner(ctx, "s2")
	require.NoError(t, err)
	require.Empty(t, owner)
}

// TestTemporalClaimsUndecided: a claim that cannot be decided is an error,
// never an owner: a start refused for another reason, a claim that vanished
// after its start was refused, a claim whose memo names no owner, a server
// that does not answer.
func TestTemporalClaimsUndecided(t *testing.T) {
	ctx := context.Background()
	empty, err := converter.GetDefaultDataConverter().ToPayload("")
	require.NoError(t, err)
	notAString, err := converter.GetDefaultDataConverter().ToPayload(42)
	require.NoError(t, err)
	unavailable := serviceerror.NewUnavailable("temporal is down")

	t.Run("start refused", func(t *testing.T) {
		srv := newClaimServer()
		srv.startErr = unavailable
		owner, err := TemporalClaims{Client: srv}.Claim(ctx, "s1", "wf-a")
		require.ErrorIs(t, err, unavailable)
		require.Empty(t, owner)
	})
	t.Run("vanished", func(t *testing.T) {
		srv := newClaimServer()
		srv.startErr = serviceerror.NewWorkflowExecutionAlreadyStarted("already started", "", "run")
		owner, err := TemporalClaims{Client: srv}.Claim(ctx, "s1", "wf-a")
		require.ErrorContains(t, err, "vanished")
		require.Empty(t, owner)
	})
	for name, memo := range map[string]map[string]*commonpb.Payload{
		"no memo":      nil,
		"empty owner":  {claimOwnerMemo: empty},
		"not a string": {claimOwnerMemo: notAString},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newClaimServer()
			srv.describe = func(string) (*client.WorkflowExecutionDescription, error) { return withMemo(memo), nil }
			owner, err := TemporalClaims{Client: srv}.Owner(ctx, "S1")
			require.ErrorContains(t, err, "the claim "+SessionClaimWorkflowIDPrefix+"s1 of restore session S1 names no owner")
			require.Empty(t, owner)
		})
	}
	t.Run("describe fails", func(t *testing.T) {
		srv := newClaimServer()
		srv.describe = func(string) (*client.WorkflowExecutionDescription, error) { return nil, unavailable }
		owner, err := TemporalClaims{Client: srv}.Owner(ctx, "s1")
		require.True(t, errors.Is(err, unavailable))
		require.Empty(t, owner)
	})
}
