package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/workflows"
)

// The seed's example: a Teams ("vet") restore session of the seed
// organization as of 2020-10-30 10:54:40, which opens its latest restore
// point (10:29:05).
const (
	demoOrg  = "3c424478-0811-4920-8aab-01f0bf2a2822"
	demoTime = "2020-10-30T10:54:40.2794046Z"
	demoType = "vet"
)

func demoInput() workflows.RestoreInput {
	return workflows.RestoreInput{OrganizationID: demoOrg, PointInTime: demoTime, Type: demoType}
}

// settleAfter is how long the demo waits without news, once the session is
// open, before printing where to look; settleMax bounds the whole wait.
var (
	settleAfter = 3 * time.Second
	settleMax   = 45 * time.Second
)

// demo starts the seed's example restore and follows it: it returns (with
// the workflow id) once the session is open and its first events have
// arrived, and keeps printing new events in the background until ctx ends.
func (s *stack) demo(ctx context.Context) (string, error) {
	c, err := client.DialContext(ctx, s.clientOptions())
	if err != nil {
		return "", err
	}
	id := "devstack-demo-" + time.Now().UTC().Format("20060102-150405")
	step(s.out, "demo restore of the seed's example: organization %s, %s, type %s", demoOrg, demoTime, demoType)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:            id,
		TaskQueue:     workflows.DefaultTaskQueue,
		StaticSummary: "Dev stack demo: the seed's example restore (Teams)",
	}, workflows.RestoreSessionWorkflowName, demoInput())
	if err != nil {
		c.Close()
		return "", fmt.Errorf("starting %s: %w", workflows.RestoreSessionWorkflowName, err)
	}
	fmt.Fprintf(s.out, "  workflow %s  %s\n", id, workflowURL(s.opts.uiURL(), id))

	settled := make(chan struct{})
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		defer c.Close()
		f := follower{c: c, id: id, runID: run.GetRunID(), out: s.out, settled: settled}
		f.follow(ctx)
	}()
	select {
	case <-settled:
	case <-ctx.Done():
	}
	return id, nil
}

// follower prints what changes in the workflow's status query.
type follower struct {
	c       client.Client
	id      string
	runID   string
	out     io.Writer
	settled chan struct{}

	phase     workflows.Phase
	session   string // "name|id|state" last printed
	seen      map[string]bool
	total     int
	lastNews  time.Time
	isSettled bool
}

func (f *follower) settle() {
	if !f.isSettled {
		f.isSettled = true
		close(f.settled)
	}
}

func (f *follower) follow(ctx context.Context) {
	start := time.Now()
	f.seen = map[string]bool{}
	f.lastNews = start
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	defer f.settle()
	for {
		if f.poll(ctx) {
			return
		}
		open := f.phase == workflows.PhaseOpen && f.total > 0
		if (open && time.Since(f.lastNews) >= settleAfter) || time.Since(start) >= settleMax {
			f.settle()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// poll reads the status once and prints what is new; true when the
// workflow has ended.
func (f *follower) poll(ctx context.Context) (ended bool) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	desc, err := f.c.DescribeWorkflowExecution(qctx, f.id, f.runID)
	if err != nil {
		return false
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		f.query(qctx) // the last events and the end reason
		var report workflows.RestoreReport
		if err := f.c.GetWorkflow(qctx, f.id, f.runID).Get(qctx, &report); err != nil {
			fmt.Fprintf(f.out, "  workflow ended %s: %v\n", st, err)
		} else {
			fmt.Fprintf(f.out, "  workflow ended %s: %s, %d events\n", st, report.EndReason, report.EventCounts.Total)
		}
		return true
	}
	f.query(qctx)
	return false
}

func (f *follower) query(ctx context.Context) {
	v, err := f.c.QueryWorkflow(ctx, f.id, f.runID, workflows.QueryStatus)
	if err != nil {
		return // not yet answerable (no workflow task done yet); try again
	}
	var st workflows.Status
	if err := v.Get(&st); err != nil {
		fmt.Fprintf(f.out, "  status query: %v\n", err)
		return
	}
	if st.Phase != f.phase {
		f.phase = st.Phase
		f.lastNews = time.Now()
		fmt.Fprintf(f.out, "  phase %s\n", st.Phase)
	}
	if ss := st.Session; ss != nil {
		key := ss.Name + "|" + ss.ID + "|" + ss.State
		if key != f.session {
			f.session = key
			f.lastNews = time.Now()
			fmt.Fprintf(f.out, "  session %q (id %s) %s\n", ss.Name, ss.ID, ss.State)
		}
	}
	events := st.LatestEvents
	sort.SliceStable(events, func(i, j int) bool { return events[i].Order < events[j].Order })
	fresh := 0
	for _, e := range events {
		key := e.ID
		if key == "" {
			key = fmt.Sprint(e.Order)
		}
		if f.seen[key] {
			continue
		}
		f.seen[key] = true
		fresh++
		text := e.Message
		if text == "" {
			text = e.Title
		}
		if e.ItemName != "" {
			text += " [" + e.ItemName + "]"
		}
		fmt.Fprintf(f.out, "  event %3d %-8s %s\n", e.Order, e.Status, text)
	}
	if missed := st.EventCounts.Total - f.total - fresh; f.total > 0 && missed > 0 {
		fmt.Fprintf(f.out, "  (%d more events in the Web UI)\n", missed)
	}
	if st.EventCounts.Total != f.total {
		f.total = st.EventCounts.Total
		f.lastNews = time.Now()
	}
}

// quietLogger keeps the SDK client's logging out of the dev stack's output.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}

// stopDemo stops the demo restore's VB365 session while the worker and the
// simulator are still up, so Ctrl-C leaves no session open (and the next run
// does not resume a restore whose simulator is gone). A demo that already
// ended, or a stop that takes too long, is left as it is.
func (s *stack) stopDemo() {
	if s.demoID == "" || s.temporal == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, s.clientOptions())
	if err != nil {
		return
	}
	defer c.Close()
	desc, err := c.DescribeWorkflowExecution(ctx, s.demoID, "")
	if err != nil || desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return
	}
	fmt.Fprintf(s.out, "  stopping the demo restore %s\n", s.demoID)
	req := workflows.StopRequest{Reason: "dev stack stopped (Ctrl-C)", RequestedBy: "devstack"}
	if err := c.SignalWorkflow(ctx, s.demoID, "", workflows.SignalStop, req); err != nil {
		fmt.Fprintf(s.out, "  could not stop the demo restore: %v\n", err)
		return
	}
	if err := c.GetWorkflow(ctx, s.demoID, "").Get(ctx, nil); err != nil {
		fmt.Fprintf(s.out, "  the demo restore did not end cleanly: %v\n", err)
	}
}
