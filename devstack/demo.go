package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/follow"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// Veeam's v5 example: a Teams ("vet") restore session of its
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

// demo starts the example restore of Veeam's v5 reference page and follows it: it returns (with
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
	var settleOnce sync.Once
	settle := func() { settleOnce.Do(func() { close(settled) }) }
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		defer c.Close()
		defer settle()
		rep, err := follow.Restore(ctx, c, indent(s.out), id, run.GetRunID(), time.Second, settler(settle))
		switch {
		case err == nil:
			fmt.Fprintf(s.out, "  the demo restore ended: %s, %d events\n", rep.EndReason, rep.EventCounts.Total)
		case ctx.Err() == nil:
			fmt.Fprintf(s.out, "  the demo restore ended: %v\n", err)
		}
	}()
	select {
	case <-settled:
	case <-time.After(settleMax):
	case <-ctx.Done():
	}
	return id, nil
}

// settler calls settle once the session is open, its first events have
// arrived and nothing changed for settleAfter.
func settler(settle func()) func(workflows.Status) {
	var (
		phase workflows.Phase
		total int
		news  = time.Now()
	)
	return func(st workflows.Status) {
		if st.Phase != phase || st.EventCounts.Total != total {
			phase, total, news = st.Phase, st.EventCounts.Total, time.Now()
			return
		}
		if phase == workflows.PhaseOpen && total > 0 && time.Since(news) >= settleAfter {
			settle()
		}
	}
}

// indent prefixes every line written to w with two spaces, the dev stack's
// indentation of what a step prints; a line may come in several writes.
func indent(w io.Writer) io.Writer { return &indenter{w: w, atStart: true} }

type indenter struct {
	w       io.Writer
	atStart bool
}

func (d *indenter) Write(p []byte) (int, error) {
	var b []byte
	for _, c := range p {
		if d.atStart {
			b = append(b, ' ', ' ')
		}
		b = append(b, c)
		d.atStart = c == '\n'
	}
	if _, err := d.w.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

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
	desc, err := c.DescribeWorkflow(ctx, s.demoID, "")
	if err != nil || desc.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
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
