package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

// Claims decide which workflow owns a restore session. Adoption matches
// sessions by what VB365 says of them (account, organization, type,
// restore point, creation time), so when several identical restores lose
// their create responses at once, each one sees all of the new sessions:
// only a claim keeps two of them from adopting the same session (and
// leaving another one open). A claim is held by the owner's workflow id, so
// a retry of the same workflow, on any worker, finds its own session again.
type Claims interface {
	// Claim makes owner the owner of the session unless another workflow
	// already is; it returns the session's owner either way. An error means
	// the claim could not be decided (retry).
	Claim(ctx context.Context, sessionID, owner string) (string, error)
	// Owner returns the session's owner, "" when no workflow claimed it.
	Owner(ctx context.Context, sessionID string) (string, error)
}

// SessionClaimWorkflowName is the workflow type of a claim (see
// TemporalClaims); SessionClaimWorkflowIDPrefix starts its workflow id, the
// rest is the session id in lower case.
const (
	SessionClaimWorkflowName     = "VB365SessionClaim"
	SessionClaimWorkflowIDPrefix = "vb365-session-claim-"
	claimOwnerMemo               = "owner"
)

// SessionClaim is the input and result of a claim workflow.
type SessionClaim struct {
	SessionID string `json:"sessionId"`
	// OwnerWorkflowID is the restore workflow that owns the session.
	OwnerWorkflowID string `json:"ownerWorkflowId"`
}

// SessionClaimWorkflow is the claim: its workflow id is the session's, and
// only one start of it succeeds, so Temporal decides who owns the session
// across worker replicas and restarts. It has nothing to do; it returns the
// claim at once (its history is the record of who owns which session).
func SessionClaimWorkflow(_ workflow.Context, claim SessionClaim) (SessionClaim, error) {
	return claim, nil
}

// TemporalClaims keeps claims in Temporal: a claim is a
// SessionClaimWorkflow whose id is "vb365-session-claim-<session id>",
// started with a reuse policy that rejects any second start, even after the
// first one closed (until the namespace's retention removes it, long after
// adoption stops looking at the session). The owner travels in the
// workflow's memo, readable at once, whether or not a worker has run it.
type TemporalClaims struct {
	Client    client.Client
	TaskQueue string
}

// Claim implements Claims.
func (c TemporalClaims) Claim(ctx context.Context, sessionID, owner string) (string, error) {
	id := SessionClaimWorkflowIDPrefix + strings.ToLower(sessionID)
	_, err := c.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                c.TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		Memo:                                     map[string]any{claimOwnerMemo: owner},
		StaticSummary:                            "VB365 restore session " + sessionID + " belongs to " + owner,
	}, SessionClaimWorkflowName, SessionClaim{SessionID: sessionID, OwnerWorkflowID: owner})
	if err == nil {
		return owner, nil
	}
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if !errors.As(err, &started) {
		return "", fmt.Errorf("claim restore session %s in Temporal: %w", sessionID, err)
	}
	got, err := c.Owner(ctx, sessionID)
	if err == nil && got == "" {
		err = fmt.Errorf("the claim of restore session %s vanished after a start was refused", sessionID)
	}
	return got, err
}

// Owner implements Claims.
func (c TemporalClaims) Owner(ctx context.Context, sessionID string) (string, error) {
	id := SessionClaimWorkflowIDPrefix + strings.ToLower(sessionID)
	desc, err := c.Client.DescribeWorkflow(ctx, id, "")
	if err != nil {
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			return "", nil
		}
		return "", fmt.Errorf("read the claim of restore session %s: %w", sessionID, err)
	}
	p := desc.RawResponse.GetWorkflowExecutionInfo().GetMemo().GetFields()[claimOwnerMemo]
	var got string
	if p == nil || converter.GetDefaultDataConverter().FromPayload(p, &got) != nil || got == "" {
		return "", fmt.Errorf("the claim %s of restore session %s names no owner", id, sessionID)
	}
	return got, nil
}

// memoryClaims keeps claims in this process: enough for one worker (and the
// tests), not for replicas or restarts. TemporalClaims is the worker's.
type memoryClaims struct {
	mu    sync.Mutex
	owner map[string]memoryClaim
}

type memoryClaim struct {
	workflowID string
	at         time.Time
}

// memoryClaimTTL bounds how long a claim is kept: adoption only looks at
// sessions created within minutes of a POST.
const memoryClaimTTL = time.Hour

func newMemoryClaims() *memoryClaims { return &memoryClaims{owner: map[string]memoryClaim{}} }

// Claim implements Claims.
func (c *memoryClaims) Claim(_ context.Context, sessionID, owner string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := strings.ToLower(sessionID)
	if cl, ok := c.owner[key]; ok {
		return cl.workflowID, nil
	}
	now := time.Now()
	if len(c.owner) >= 4096 {
		for k, cl := range c.owner {
			if now.Sub(cl.at) > memoryClaimTTL {
				delete(c.owner, k)
			}
		}
	}
	c.owner[key] = memoryClaim{workflowID: owner, at: now}
	return owner, nil
}

// Owner implements Claims.
func (c *memoryClaims) Owner(_ context.Context, sessionID string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.owner[strings.ToLower(sessionID)].workflowID, nil
}

// workflowOf is the claim owner of the running activity.
func workflowOf(ctx context.Context) string {
	if !activity.IsActivity(ctx) {
		return ""
	}
	return activity.GetInfo(ctx).WorkflowExecution.ID
}
