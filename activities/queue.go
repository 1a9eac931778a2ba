package activities

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// QueueProgress is the heartbeat detail of an activity that has no progress
// of its own to record: why its VB365 request is waiting, if it is.
type QueueProgress struct {
	// Waiting says why a VB365 request waits for the worker's request
	// budget; empty while none waits.
	Waiting string `json:"waiting,omitempty"`
}

// budgetWaits keeps the latest reason an activity's VB365 requests gave for
// waiting for the worker's budget (vb365.OnBudgetWait); empty once admitted.
type budgetWaits struct {
	mu     sync.Mutex
	reason string
}

func (w *budgetWaits) set(bw vb365.BudgetWait) { w.mu.Lock(); w.reason = bw.Reason; w.mu.Unlock() }

func (w *budgetWaits) get() string { w.mu.Lock(); defer w.mu.Unlock(); return w.reason }

// queueHeartbeats is the rule for every activity whose VB365 requests can
// wait for the worker's request budget: waiting is not an error, so the
// activity's timeouts cover the queue (workflows/options.go) and it
// heartbeats on its own ticker while it runs, so that a wait longer than
// the heartbeat timeout does not time the attempt out (and burn it), while a
// crashed worker's attempt still does. details gives the heartbeat detail
// for the current reason to wait ("" when none waits), every interval
// (heartbeatEvery of the heartbeat timeout, unless the activity has its
// own reason for another). The returned context
// is the one to send VB365 requests with; call stop when the activity ends.
//
// The first heartbeat comes one interval after the start (see
// startHeartbeats): an activity that is not held up sends none.
func (a *Activities) queueHeartbeats(ctx context.Context, every time.Duration, details func(waiting string) any) (_ context.Context, stop func()) {
	w := &budgetWaits{}
	stop = a.startHeartbeats(ctx, every, func() any { return details(w.get()) })
	return vb365.OnBudgetWait(ctx, w.set), stop
}

// queueDetails is the details function of activities with no progress of
// their own.
func queueDetails(waiting string) any { return QueueProgress{Waiting: waiting} }

// queueEvery is the heartbeat interval of queueHeartbeats for an activity
// with no reason for another: heartbeatEvery of its heartbeat timeout,
// unless a test set queueHeartbeatEvery.
func (a *Activities) queueEvery(ctx context.Context) time.Duration {
	if a.queueHeartbeatEvery > 0 {
		return a.queueHeartbeatEvery
	}
	return heartbeatEvery(activity.GetInfo(ctx).HeartbeatTimeout)
}
