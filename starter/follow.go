package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// follower prints a restore's progress: each new event once, in order, and
// each phase change. It polls the status query, which carries only the latest
// events: when more arrive between two polls than the query holds, it says
// how many it could not show.
type follower struct {
	out       io.Writer
	lastOrder int32 // highest event order printed; -1 before any
	seen      int   // events printed or reported as not shown
	phase     workflows.Phase
	queryErr  string
}

func newFollower(out io.Writer) *follower { return &follower{out: out, lastOrder: -1} }

// status prints what is new in st.
func (f *follower) status(st workflows.Status) {
	f.queryErr = ""
	if st.Phase != f.phase {
		line := fmt.Sprintf("phase: %s", st.Phase)
		if st.Phase == workflows.PhaseOpen && st.Session != nil {
			line += fmt.Sprintf(" (session %s", st.Session.ID)
			if st.Session.Name != "" {
				line += ", " + st.Session.Name
			}
			line += ")"
		}
		if st.EffectivePointInTime != nil && (f.phase == "" || f.phase == workflows.PhaseValidating) && st.Phase != workflows.PhaseValidating {
			line += fmt.Sprintf("; point in time %s", st.EffectivePointInTime.UTC().Format(time.RFC3339))
			if st.ClampedToLatest {
				line += " (the latest restore point)"
			}
		}
		fmt.Fprintln(f.out, line)
		f.phase = st.Phase
	}
	f.events(st.LatestEvents, st.EventCounts.Total)
}

// events prints the events newer than the last printed one. total is how
// many events the workflow has recorded so far: when it exceeds what was
// printed plus what is new, the difference scrolled out of the latest events
// between two polls and is reported as not shown.
func (f *follower) events(evs []vb365.RestoreSessionEvent, total int) {
	fresh := make([]vb365.RestoreSessionEvent, 0, len(evs))
	for _, e := range evs {
		if e.Order > f.lastOrder {
			fresh = append(fresh, e)
		}
	}
	sort.Slice(fresh, func(i, j int) bool { return fresh[i].Order < fresh[j].Order })
	if missing := total - f.seen - len(fresh); missing > 0 && len(fresh) > 0 {
		fmt.Fprintf(f.out, "  … %d event(s) not shown (they arrived faster than this display polls; all are in the workflow history and the final report)\n", missing)
		f.seen += missing
	}
	for _, e := range fresh {
		if e.Order <= f.lastOrder {
			continue // a duplicate order
		}
		fmt.Fprintln(f.out, formatEvent(e))
		f.lastOrder = e.Order
		f.seen++
	}
}

// queryFailed prints a failed status query once per distinct error.
func (f *follower) queryFailed(err error) {
	msg := err.Error()
	if msg == f.queryErr {
		return
	}
	f.queryErr = msg
	fmt.Fprintf(f.out, "  (status not available yet: %s; is a worker polling the task queue?)\n", oneLine(msg))
}

// report prints the result: the events not printed yet and a summary.
func (f *follower) report(r workflows.RestoreReport) {
	f.events(r.Events, r.EventCounts.Total)
	fmt.Fprintf(f.out, "done: %s\n", endReasonText(r))
	fmt.Fprintf(f.out, "  session %s %s", r.Session.ID, r.Session.State)
	if r.Session.Result != "" {
		fmt.Fprintf(f.out, " (%s)", r.Session.Result)
	}
	fmt.Fprintln(f.out)
	fmt.Fprintf(f.out, "  point in time %s", r.EffectivePointInTime.UTC().Format(time.RFC3339))
	if r.ClampedToLatest {
		fmt.Fprint(f.out, " (the latest restore point)")
	}
	fmt.Fprintln(f.out)
	fmt.Fprintf(f.out, "  events: %s\n", countsText(r.EventCounts))
}

func endReasonText(r workflows.RestoreReport) string {
	s := r.EndReason
	if r.StopRequestedBy != "" {
		s += " by " + r.StopRequestedBy
	}
	return s
}

func countsText(c workflows.EventCounts) string {
	if c.Total == 0 {
		return "none"
	}
	keys := make([]string, 0, len(c.ByStatus))
	for k := range c.ByStatus {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", c.ByStatus[k], k))
	}
	s := fmt.Sprintf("%d", c.Total)
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

// formatEvent is one event on one line.
func formatEvent(e vb365.RestoreSessionEvent) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  #%-3d %s %-8s", e.Order, e.StartTime.UTC().Format(time.RFC3339), e.Status)
	if e.Type != "" {
		fmt.Fprintf(&b, " %s", e.Type)
	}
	if e.ItemName != "" {
		fmt.Fprintf(&b, " %q", e.ItemName)
	}
	msg := e.Message
	if msg == "" {
		msg = e.Title
	}
	if msg != "" {
		fmt.Fprintf(&b, ": %s", oneLine(msg))
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// follow prints the restore's progress until it ends. It returns nil on
// success, a *workflowError when the workflow did not succeed and
// errDetached when ctx ends first (Ctrl-C): the workflow keeps running.
func (a *app) follow(ctx context.Context, c client.Client, workflowID, runID string) error {
	fmt.Fprintln(a.stdout, "Following (Ctrl-C detaches; the restore keeps running)…")
	f := newFollower(a.stdout)

	type result struct {
		report workflows.RestoreReport
		err    error
	}
	done := make(chan result, 1)
	getCtx, cancelGet := context.WithCancel(ctx)
	defer cancelGet()
	go func() {
		var r result
		r.err = c.GetWorkflow(getCtx, workflowID, runID).Get(getCtx, &r.report)
		done <- r
	}()

	poll := func() {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		st, err := queryStatus(qctx, c, workflowID, "")
		if err != nil {
			if ctx.Err() == nil {
				f.queryFailed(err)
			}
			return
		}
		f.status(st)
	}
	poll()
	ticker := time.NewTicker(a.pollEvery)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintf(a.stdout, "\nDetached: workflow %s keeps running. Stop it with: starter stop %s\n  Web UI: %s\n",
				workflowID, workflowID, a.cfg.WorkflowURL(workflowID))
			return errDetached
		case r := <-done:
			if r.err != nil {
				if ctx.Err() != nil {
					continue // detaching: handled above
				}
				if isWorkflowFailure(r.err) {
					return &workflowError{r.err}
				}
				return &temporalError{fmt.Errorf("wait for workflow %s: %w", workflowID, r.err)}
			}
			f.report(r.report)
			return nil
		case <-ticker.C:
			poll()
		}
	}
}

// queryStatus runs the status query.
func queryStatus(ctx context.Context, c client.Client, workflowID, runID string) (workflows.Status, error) {
	var st workflows.Status
	v, err := c.QueryWorkflow(ctx, workflowID, runID, workflows.QueryStatus)
	if err != nil {
		return st, err
	}
	if err := v.Get(&st); err != nil {
		return st, fmt.Errorf("decode status: %w", err)
	}
	return st, nil
}
