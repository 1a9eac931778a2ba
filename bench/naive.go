package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/internal/logging"
	"github.com/vb365-restore/vb365-restore/vb365"
)

// This file is the benchmark's own baseline worker (bench
// --serve-baseline-worker). It is never part of the product:
//
//   - NaiveRestoreWorkflow is the anchor the issue asks for: create the
//     session, then loop workflow.Sleep(pollInterval) plus one short poll
//     activity, then stop the session.
//   - NoopRestoreWorkflow has the product's shape (the same activities, local
//     activity, search attribute upserts, GetVersion calls and waits) with no
//     VB365 behind it: the floor Temporal itself sets for that shape.

const (
	naiveWorkflowName = "BenchNaiveRestoreWorkflow"
	noopWorkflowName  = "BenchNoopRestoreWorkflow"
	naiveStopSignal   = "stop"
)

type naiveInput struct {
	OrganizationID string        `json:"organizationId"`
	PointInTime    time.Time     `json:"pointInTime"`
	PollInterval   time.Duration `json:"pollInterval"`
	// MaxPolls bounds the loop (the bench's loops are bounded).
	MaxPolls int `json:"maxPolls"`
}

type naiveResult struct {
	SessionID string `json:"sessionId"`
	Polls     int    `json:"polls"`
	Events    int    `json:"events"`
}

type naivePollResult struct {
	Stopped bool  `json:"stopped"`
	New     int   `json:"new"`
	Last    int32 `json:"last"`
}

// NaiveRestoreWorkflow polls from the workflow: every poll is a timer and an
// activity in the history.
func NaiveRestoreWorkflow(ctx workflow.Context, in naiveInput) (naiveResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute},
	})
	var a *naiveActivities
	var res naiveResult
	if err := workflow.ExecuteActivity(ctx, a.NaiveCreate, in).Get(ctx, &res.SessionID); err != nil {
		return res, err
	}
	stop := workflow.GetSignalChannel(ctx, naiveStopSignal)
	var last int32
	for res.Polls < in.MaxPolls {
		if err := workflow.Sleep(ctx, in.PollInterval); err != nil {
			return res, err
		}
		if stop.ReceiveAsync(nil) {
			break
		}
		var p naivePollResult
		if err := workflow.ExecuteActivity(ctx, a.NaivePoll, res.SessionID, last).Get(ctx, &p); err != nil {
			return res, err
		}
		res.Polls++
		res.Events += p.New
		last = p.Last
		if p.Stopped {
			return res, nil
		}
	}
	err := workflow.ExecuteActivity(ctx, a.NaiveStop, res.SessionID).Get(ctx, nil)
	return res, err
}

type naiveActivities struct{ c *vb365.Client }

func (a *naiveActivities) NaiveCreate(ctx context.Context, in naiveInput) (string, error) {
	s, err := a.c.StartRestoreSession(ctx, in.OrganizationID, vb365.ExploreRequest{DateTime: in.PointInTime, Type: vb365.SessionTypeTeams})
	if err != nil {
		return "", err
	}
	return s.ID, nil
}

// NaivePoll reads the session and the events after last, as the product's
// poll does (two requests).
func (a *naiveActivities) NaivePoll(ctx context.Context, sessionID string, last int32) (naivePollResult, error) {
	s, err := a.c.GetRestoreSession(ctx, sessionID)
	if err != nil {
		return naivePollResult{}, err
	}
	page, err := a.c.ListRestoreSessionEvents(ctx, sessionID, vb365.ListOptions{Offset: int(last), Limit: 100})
	if err != nil {
		return naivePollResult{}, err
	}
	out := naivePollResult{Stopped: s.Stopped(), Last: last}
	for _, e := range page.Results {
		if e.Order > out.Last {
			out.Last = e.Order
			out.New++
		}
	}
	return out, nil
}

func (a *naiveActivities) NaiveStop(ctx context.Context, sessionID string) error {
	return a.c.StopRestoreSession(ctx, sessionID)
}

// noopInput shapes the no-op workflow like a product restore: Waits wait
// activities of WaitSleep each.
type noopInput struct {
	Waits     int           `json:"waits"`
	WaitSleep time.Duration `json:"waitSleep"`
}

// NoopRestoreWorkflow mirrors the product's command sequence for a session
// that VB365 stops by itself: GetOrganization, the CheckSearchAttributes
// local activity, CreateRestoreSession, an upsert, the waits, the final
// fetch and an upsert, and as many workflow.GetVersion calls as the product
// makes on that path (noopVersionChanges), each a marker and an upsert of
// TemporalChangeVersion. Its activities do nothing but sleep in the waits.
func NoopRestoreWorkflow(ctx workflow.Context, in noopInput) (string, error) {
	for i := range noopVersionChanges {
		workflow.GetVersion(ctx, fmt.Sprintf("bench-noop-change-%d", i+1), workflow.DefaultVersion, 1)
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var a *noopActivities
	if err := workflow.ExecuteActivity(ctx, a.NoopGetOrganization).Get(ctx, nil); err != nil {
		return "", err
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
	if err := workflow.ExecuteLocalActivity(lctx, a.NoopCheck).Get(ctx, nil); err != nil {
		return "", err
	}
	if err := workflow.ExecuteActivity(ctx, a.NoopCreate).Get(ctx, nil); err != nil {
		return "", err
	}
	state := temporal.NewSearchAttributeKeyKeyword("VB365SessionState")
	_ = workflow.UpsertTypedSearchAttributes(ctx, state.ValueSet("Working"),
		temporal.NewSearchAttributeKeyKeyword("VB365OrganizationId").ValueSet("noop"),
		temporal.NewSearchAttributeKeyKeyword("VB365SessionId").ValueSet("noop"),
		temporal.NewSearchAttributeKeyKeyword("VB365SessionType").ValueSet("Vet"))
	wctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute, HeartbeatTimeout: 30 * time.Second})
	for range in.Waits {
		if err := workflow.ExecuteActivity(wctx, a.NoopWait, in.WaitSleep).Get(ctx, nil); err != nil {
			return "", err
		}
	}
	if err := workflow.ExecuteActivity(ctx, a.NoopFetch).Get(ctx, nil); err != nil {
		return "", err
	}
	_ = workflow.UpsertTypedSearchAttributes(ctx, state.ValueSet("Stopped"))
	return "done", nil
}

// noopVersionChanges is the number of workflow.GetVersion calls on the
// product's path of a session that stops by itself (the history scenario
// counts them: 12 events, a marker and an upsert each).
const noopVersionChanges = 6

type noopActivities struct{}

func (*noopActivities) NoopGetOrganization(context.Context) error { return nil }
func (*noopActivities) NoopCheck(context.Context) (bool, error)   { return true, nil }
func (*noopActivities) NoopCreate(context.Context) error          { return nil }
func (*noopActivities) NoopFetch(context.Context) error           { return nil }
func (*noopActivities) NoopWait(ctx context.Context, d time.Duration) error {
	activity.RecordHeartbeat(ctx)
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// serveBaselineWorker is the --serve-baseline-worker mode.
func serveBaselineWorker(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench --serve-baseline-worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hostPort := fs.String("temporal", "127.0.0.1:7233", "Temporal frontend")
	namespace := fs.String("namespace", "default", "namespace")
	taskQueue := fs.String("task-queue", "bench-baseline", "task queue")
	vbURL := fs.String("vb365-url", "", "VB365 (simulator) URL for the naive anchor")
	if err := fs.Parse(args); err != nil {
		return err
	}
	vc, err := vb365.New(vb365.Config{BaseURL: *vbURL, Username: "admin", Password: "admin"})
	if err != nil {
		return err
	}
	c, err := client.Dial(client.Options{HostPort: *hostPort, Namespace: *namespace, Logger: logging.Discard()})
	if err != nil {
		return err
	}
	defer c.Close()
	w := worker.New(c, *taskQueue, worker.Options{WorkerStopTimeout: 5 * time.Second})
	w.RegisterWorkflowWithOptions(NaiveRestoreWorkflow, workflow.RegisterOptions{Name: naiveWorkflowName})
	w.RegisterWorkflowWithOptions(NoopRestoreWorkflow, workflow.RegisterOptions{Name: noopWorkflowName})
	w.RegisterActivity(&naiveActivities{c: vc})
	w.RegisterActivity(&noopActivities{})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := w.Start(); err != nil {
		return fmt.Errorf("start baseline worker: %w", err)
	}
	<-ctx.Done()
	w.Stop()
	return nil
}
