// Package follow prints a running restore or playbook as it changes, from
// its status query, until it ends: the one follower behind the starter's
// restore --follow, status --follow and playbook --follow, and the dev
// stack's demo.
package follow

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
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

// queryTimeout bounds one status query; a slow answer is skipped, the next
// tick asks again.
const queryTimeout = 5 * time.Second

// Restore prints the progress of restore workflowID (runID may be empty: the
// latest run) every poll until it ends, and returns its report. onStatus, when
// not nil, sees every status answered. The error is the workflow's (as
// client.WorkflowRun.Get returns it) or ctx.Err() when ctx ends first: the
// workflow keeps running.
func Restore(ctx context.Context, c client.Client, out io.Writer, workflowID, runID string, poll time.Duration,
	onStatus func(workflows.Status)) (workflows.RestoreReport, error) {
	p := NewPrinter(out)
	var report workflows.RestoreReport
	err := until(ctx, c, workflowID, runID, poll, &report, func(qctx context.Context) {
		st, err := QueryStatus(qctx, c, workflowID, runID)
		if err != nil {
			if ctx.Err() == nil {
				p.QueryFailed(err)
			}
			return
		}
		p.Status(st)
		if onStatus != nil {
			onStatus(st)
		}
	})
	if err == nil {
		p.Report(report)
	}
	return report, err
}

// Playbook prints each row of playbook workflowID when it changes, every
// poll until the playbook ends, then its final rows; it returns the final
// report. Errors as Restore.
func Playbook(ctx context.Context, c client.Client, out io.Writer, workflowID, runID string, poll time.Duration) (playbook.Report, error) {
	shown := map[int]string{}
	show := func(rep playbook.Report) {
		for _, r := range rep.Rows {
			if line := RowLine(r); shown[r.Index] != line {
				shown[r.Index] = line
				fmt.Fprintln(out, line)
			}
		}
	}
	var final playbook.Report
	err := until(ctx, c, workflowID, runID, poll, &final, func(qctx context.Context) {
		// The latest run: a playbook continues as new, and a query to the
		// run it started as would answer with that run's rows, frozen.
		if rep, err := QueryPlaybook(qctx, c, workflowID, ""); err == nil {
			show(rep)
		}
	})
	if err == nil {
		show(final)
	}
	return final, err
}

// until waits for the workflow's result into result, calling tick at once
// and every poll meanwhile.
func until(ctx context.Context, c client.Client, workflowID, runID string, poll time.Duration, result any,
	tick func(qctx context.Context)) error {
	done := make(chan error, 1)
	getCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { done <- c.GetWorkflow(getCtx, workflowID, runID).Get(getCtx, result) }()

	query := func() {
		qctx, cancel := context.WithTimeout(ctx, queryTimeout)
		defer cancel()
		tick(qctx)
	}
	query()
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-done:
			if err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		case <-ticker.C:
			query()
		}
	}
}

// QueryStatus runs a restore's status query.
func QueryStatus(ctx context.Context, c client.Client, workflowID, runID string) (workflows.Status, error) {
	return query[workflows.Status](ctx, c, workflowID, runID)
}

// QueryPlaybook runs a playbook's status query.
func QueryPlaybook(ctx context.Context, c client.Client, workflowID, runID string) (playbook.Report, error) {
	return query[playbook.Report](ctx, c, workflowID, runID)
}

// query runs the status query and decodes its answer as a T: a restore and
// a playbook answer the same query name with their own types.
func query[T any](ctx context.Context, c client.Client, workflowID, runID string) (T, error) {
	var answer T
	v, err := c.QueryWorkflow(ctx, workflowID, runID, workflows.QueryStatus)
	if err != nil {
		return answer, err
	}
	if err := v.Get(&answer); err != nil {
		return answer, fmt.Errorf("decode the status of %s: %w", workflowID, err)
	}
	return answer, nil
}

// Printer prints a restore's progress: each new event once, in order, and
// each phase change. The status query carries only the latest events: when
// more arrive between two polls than it holds, Printer says how many it could
// not show.
type Printer struct {
	out      io.Writer
	printed  map[int32]bool // the orders of the events printed
	seen     int            // events printed or reported as not shown
	phase    workflows.Phase
	queryErr string
	actions  map[int]string // each action's line as last printed
}

// NewPrinter prints to out.
func NewPrinter(out io.Writer) *Printer {
	return &Printer{out: out, printed: map[int32]bool{}, actions: map[int]string{}}
}

// Status prints what is new in st.
func (p *Printer) Status(st workflows.Status) {
	p.queryErr = ""
	if st.Phase != p.phase {
		line := fmt.Sprintf("phase: %s", st.Phase)
		if st.Phase == workflows.PhaseOpen && st.Session != nil {
			line += fmt.Sprintf(" (session %s", st.Session.ID)
			if st.Session.Name != "" {
				line += ", " + st.Session.Name
			}
			line += ")"
		}
		if st.EffectivePointInTime != nil && (p.phase == "" || p.phase == workflows.PhaseValidating) && st.Phase != workflows.PhaseValidating {
			line += fmt.Sprintf("; point in time %s", st.EffectivePointInTime.UTC().Format(time.RFC3339))
			if st.ClampedToLatest {
				line += " (the latest restore point)"
			}
		}
		fmt.Fprintln(p.out, line)
		p.phase = st.Phase
	}
	p.events(st.LatestEvents, st.EventCounts)
	p.showActions(st.Actions)
}

// showActions prints each action's line when it changed since last printed.
func (p *Printer) showActions(actions []workflows.ActionReport) {
	for _, a := range actions {
		if line := ActionLine(a); p.actions[a.Index] != line {
			p.actions[a.Index] = line
			fmt.Fprintln(p.out, line)
		}
	}
}

// events prints the events not printed yet, by order: those newer than
// the last printed one, and one that ended late (after later ones) when it
// appears in its place. counts are the workflow's: what it has recorded so
// far, plus its running events, which a status query counts (as Running)
// but does not list. When the recorded events exceed what was printed plus
// what is new, the difference scrolled out of the latest events between
// two polls and is reported as not shown.
func (p *Printer) events(evs []vb365.RestoreSessionEvent, counts workflows.EventCounts) {
	fresh := make([]vb365.RestoreSessionEvent, 0, len(evs))
	listedRunning := 0
	for _, e := range evs {
		if e.Status == "Running" {
			listedRunning++
		}
		if !p.printed[e.Order] {
			fresh = append(fresh, e)
		}
	}
	sort.Slice(fresh, func(i, j int) bool { return fresh[i].Order < fresh[j].Order })
	unlisted := max(counts.ByStatus["Running"]-listedRunning, 0)
	if missing := counts.Total - unlisted - p.seen - len(fresh); missing > 0 && len(fresh) > 0 {
		fmt.Fprintf(p.out, "  … %d event(s) not shown (they arrived faster than this display polls; all are in the workflow history and the final report)\n", missing)
		p.seen += missing
	}
	for _, e := range fresh {
		if p.printed[e.Order] {
			continue // a duplicate order
		}
		fmt.Fprintln(p.out, FormatEvent(e))
		p.printed[e.Order] = true
		p.seen++
	}
}

// QueryFailed prints a failed status query once per distinct error.
func (p *Printer) QueryFailed(err error) {
	msg := err.Error()
	if msg == p.queryErr {
		return
	}
	p.queryErr = msg
	fmt.Fprintf(p.out, "  (status not available yet: %s; is a worker polling the task queue?)\n", OneLine(msg))
}

// Report prints the result: the events not printed yet and a summary.
func (p *Printer) Report(r workflows.RestoreReport) {
	p.events(r.Events, r.EventCounts)
	p.showActions(r.Actions)
	s := string(r.EndReason)
	if r.StopRequestedBy != "" {
		s += " by " + r.StopRequestedBy
	}
	fmt.Fprintf(p.out, "done: %s\n", s)
	fmt.Fprintf(p.out, "  session %s %s", r.Session.ID, r.Session.State)
	if r.Session.Result != "" {
		fmt.Fprintf(p.out, " (%s)", r.Session.Result)
	}
	fmt.Fprintln(p.out)
	fmt.Fprintf(p.out, "  point in time %s", r.EffectivePointInTime.UTC().Format(time.RFC3339))
	if r.ClampedToLatest {
		fmt.Fprint(p.out, " (the latest restore point)")
	}
	fmt.Fprintln(p.out)
	fmt.Fprintf(p.out, "  events: %s\n", CountsText(r.EventCounts))
	if c := ActionCountsText(r.ActionCounts); c != "" {
		fmt.Fprintf(p.out, "  actions: %s\n", c)
		for _, a := range r.Actions {
			for _, l := range FailedItemLines(a) {
				fmt.Fprintf(p.out, "    action %d %s\n", a.Index+1, l)
			}
		}
	}
}

// CountsText is event counts on one line: "9 (2 Failed, 7 Success)".
func CountsText(c workflows.EventCounts) string {
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

// FormatEvent is one event on one line.
func FormatEvent(e vb365.RestoreSessionEvent) string {
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
		fmt.Fprintf(&b, ": %s", OneLine(msg))
	}
	return b.String()
}

// RowLine is one restore of a playbook on one line.
func RowLine(r playbook.Row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  [%d] %s %s: %s", r.Index+1, r.OrganizationID, r.Type, r.State)
	if r.SessionName != "" {
		fmt.Fprintf(&b, ", %s", r.SessionName)
	}
	if r.SessionState != "" {
		fmt.Fprintf(&b, " (%s)", r.SessionState)
	}
	if r.EventCounts.Total > 0 {
		fmt.Fprintf(&b, ", %d events", r.EventCounts.Total)
	}
	if c := ActionCountsText(r.Actions); c != "" {
		fmt.Fprintf(&b, ", actions %s", c)
	}
	if r.ErrorType != "" {
		fmt.Fprintf(&b, ", %s: %s", r.ErrorType, OneLine(r.Error))
	} else if r.Error != "" {
		fmt.Fprintf(&b, ", %s", OneLine(r.Error))
	}
	return b.String()
}

// PlaybookCounts is a playbook's rows counted by state, on one line.
func PlaybookCounts(rep playbook.Report) string {
	var parts []string
	for _, s := range []playbook.RowState{playbook.RowDone, playbook.RowFailed, playbook.RowCanceled, playbook.RowSkipped, playbook.RowOpen, playbook.RowCreating, playbook.RowPending} {
		if n := rep.Counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return strings.Join(parts, ", ")
}

// OneLine folds the white space of s, line breaks included, to single spaces.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
