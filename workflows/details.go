package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/workflow"
)

// status is the answer of the status query.
func (r *restoreRun) status() Status {
	st := Status{
		Phase:           r.phase,
		Organization:    r.st.Organization,
		ClampedToLatest: r.st.ClampedToLatest,
		LatestEvents:    r.st.Events.tail(statusEventBound),
		EndReason:       r.endReason,
	}
	_, st.EventCounts = r.st.Events.withPending()
	if !r.st.EffectivePointInTime.IsZero() {
		t := r.st.EffectivePointInTime
		st.EffectivePointInTime = &t
	}
	if r.st.Session.ID != "" {
		s := r.st.Session
		st.Session = &s
	}
	if !r.st.Deadline.IsZero() {
		d := r.st.Deadline
		st.StopDeadline = &d
	}
	return st
}

// publishDetails sets the Web UI's current details. Call it after each
// change worth showing (phase, batch); it writes no history of its own.
func (r *restoreRun) publishDetails(ctx workflow.Context) {
	workflow.SetCurrentDetails(ctx, renderDetails(r.status()))
}

// renderDetails is the Markdown of a status, kept well under the UI's 20 KB.
func renderDetails(st Status) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## VB365 restore: %s\n\n", st.Phase)
	if st.EndReason != "" {
		fmt.Fprintf(&b, "**Ended:** %s\n\n", st.EndReason)
	}
	org := st.Organization.Name
	if org == "" {
		org = st.Organization.ID
	}
	if org != "" {
		fmt.Fprintf(&b, "- **Organization:** %s (`%s`)\n", md(org), st.Organization.ID)
	}
	if st.EffectivePointInTime != nil {
		clamped := ""
		if st.ClampedToLatest {
			clamped = " (latest restore point; the requested time was later)"
		}
		fmt.Fprintf(&b, "- **Point in time:** %s%s\n", st.EffectivePointInTime.UTC().Format(time.RFC3339), clamped)
	}
	if s := st.Session; s != nil {
		fmt.Fprintf(&b, "- **Session:** %s (`%s`), %s\n", md(s.Name), s.ID, md(s.State))
	}
	if st.StopDeadline != nil && st.EndReason == "" {
		fmt.Fprintf(&b, "- **Stops at the latest:** %s\n", st.StopDeadline.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "- **Events:** %d", st.EventCounts.Total)
	statuses := make([]string, 0, len(st.EventCounts.ByStatus))
	for k := range st.EventCounts.ByStatus {
		statuses = append(statuses, k)
	}
	slices.Sort(statuses) // map order is random; details must not flap
	for i, k := range statuses {
		sep := ", "
		if i == 0 {
			sep = " ("
		}
		fmt.Fprintf(&b, "%s%s %d", sep, md(k), st.EventCounts.ByStatus[k])
	}
	if len(statuses) > 0 {
		b.WriteString(")")
	}
	b.WriteString("\n")
	if len(st.LatestEvents) > 0 {
		b.WriteString("\n| # | time (UTC) | status | type | item | message |\n|---|---|---|---|---|---|\n")
		for _, e := range st.LatestEvents {
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s |\n", e.Order, e.StartTime.UTC().Format("2006-01-02 15:04:05"),
				md(e.Status), md(e.Type), md(Clip(e.ItemName, 80)), md(Clip(e.Message, 160)))
		}
	}
	return b.String()
}

// md keeps a value from breaking a Markdown table row.
func md(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "\r", " ").Replace(s)
}

// Clip keeps at most n runes of s (n >= 1), the last one an ellipsis when
// it cut: the one cut of text shown in the Web UI, in messages and on the
// command line, which never splits a UTF-8 character.
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
