package activities

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// sessionClaims records which workflow each restore session this worker
// created or adopted belongs to. Adoption matches sessions by organization,
// type and creation time, so when several restores of one organization lose
// their create responses at once, each would see all of the new sessions:
// without claims they all adopted the same one and left the others open.
// A claim is held by the workflow id, so a retry of the same workflow still
// finds its own session.
type sessionClaims struct {
	mu    sync.Mutex
	owner map[string]claim
}

func newSessionClaims() *sessionClaims { return &sessionClaims{owner: map[string]claim{}} }

type claim struct {
	workflowID string
	at         time.Time
}

// claimTTL bounds how long a claim is kept: adoption only looks at sessions
// created within minutes of a POST.
const claimTTL = time.Hour

// pick returns the best candidate (by better) that no other workflow holds,
// and claims it for workflowID; nil when there is none.
func (c *sessionClaims) pick(workflowID string, candidates []*vb365.RestoreSession,
	better func(s, t *vb365.RestoreSession) bool) *vb365.RestoreSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	var best *vb365.RestoreSession
	for _, s := range candidates {
		if cl, ok := c.owner[s.ID]; ok && cl.workflowID != workflowID {
			continue
		}
		if best == nil || better(s, best) {
			best = s
		}
	}
	if best != nil {
		c.set(best.ID, workflowID)
	}
	return best
}

// take claims id for workflowID (a session its own POST created).
func (c *sessionClaims) take(id, workflowID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.set(id, workflowID)
}

func (c *sessionClaims) set(id, workflowID string) {
	now := time.Now()
	if len(c.owner) >= 4096 {
		for k, cl := range c.owner {
			if now.Sub(cl.at) > claimTTL {
				delete(c.owner, k)
			}
		}
	}
	c.owner[id] = claim{workflowID: workflowID, at: now}
}

// workflowOf is the claim owner of the running activity.
func workflowOf(ctx context.Context) string {
	if !activity.IsActivity(ctx) {
		return ""
	}
	return activity.GetInfo(ctx).WorkflowExecution.ID
}
