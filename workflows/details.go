package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/vb365-restore/vb365-restore/activities"
)

// status is the answer of the status query.
func (r *restoreRun) status() Status {
	status := Status{
		Phase:           r.phase,
		Organization:    r.state.Organization,
		ClampedToLatest: r.state.ClampedToLatest,
		LatestEvents:    r.state.Events.tail(statusEventBound),
		EndReason:       r.endReason,
	}
	_, status.EventCounts = r.state.Events.withPending()
	status.Actions, status.ActionCounts = r.actionRows()
	if !r.state.EffectivePointInTime.IsZero() {
		t := r.state.EffectivePointInTime
		status.EffectivePointInTime = &t
	}
	if r.state.Session.ID != "" {
		s := r.state.Session
		status.Session = &s
	}
	if !r.state.Deadline.IsZero() {
		d := r.state.Deadline
		status.StopDeadline = &d
	}
	return status
}

// publishDetails sets the Web UI's current details. Call it after each
// change worth showing (phase, batch); it writes no history of its own.
func (r *restoreRun) publishDetails(ctx workflow.Context) {
	workflow.SetCurrentDetails(ctx, renderDetails(r.status()))
}

// renderDetails is the Markdown of a status, kept well under the UI's 20 KB.
func renderDetails(status Status) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## VB365 restore: %s\n\n", status.Phase)
	if status.EndReason != "" {
		fmt.Fprintf(&b, "**Ended:** %s\n\n", status.EndReason)
	}
	org := status.Organization.Name
	if org == "" {
		org = status.Organization.ID
	}
	if org != "" {
		fmt.Fprintf(&b, "- **Organization:** %s (`%s`)\n", md(org), status.Organization.ID)
	}
	if status.EffectivePointInTime != nil {
		clamped := ""
		if status.ClampedToLatest {
			clamped = " (latest restore point; the requested time was later)"
		}
		fmt.Fprintf(&b, "- **Point in time:** %s%s\n", status.EffectivePointInTime.UTC().Format(time.RFC3339), clamped)
	}
	if s := status.Session; s != nil {
		fmt.Fprintf(&b, "- **Session:** %s (`%s`), %s\n", md(s.Name), s.ID, md(s.State))
	}
	if status.StopDeadline != nil && status.EndReason == "" {
		fmt.Fprintf(&b, "- **Stops at the latest:** %s\n", status.StopDeadline.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "- **Events:** %d", status.EventCounts.Total)
	statuses := make([]string, 0, len(status.EventCounts.ByStatus))
	for k := range status.EventCounts.ByStatus {
		statuses = append(statuses, k)
	}
	slices.Sort(statuses) // map order is random; details must not flap
	for i, k := range statuses {
		sep := ", "
		if i == 0 {
			sep = " ("
		}
		fmt.Fprintf(&b, "%s%s %d", sep, md(k), status.EventCounts.ByStatus[k])
	}
	if len(statuses) > 0 {
		b.WriteString(")")
	}
	b.WriteString("\n")
	renderActions(&b, status.Actions, status.ActionCounts)
	if len(status.LatestEvents) > 0 {
		b.WriteString("\n| # | time (UTC) | status | type | item | message |\n|---|---|---|---|---|---|\n")
		for _, e := range status.LatestEvents {
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s |\n", e.Order, e.StartTime.UTC().Format("2006-01-02 15:04:05"),
				md(e.Status), md(e.Type), md(Clip(e.ItemName, 80)), md(Clip(e.Message, 160)))
		}
	}
	return b.String()
}

// renderActions writes the actions' counts and their table: one short row
// each (at most MaxActions), with the restore's progress once it ran.
func renderActions(b *strings.Builder, rows []ActionReport, c *ActionCounts) {
	if c == nil {
		return
	}
	fmt.Fprintf(b, "- **Actions:** %d (%s)\n", c.Total, ActionCountsText(*c))
	b.WriteString("\n| # | action | target | state | restored | failed | warnings | restore id | error |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, a := range rows {
		target, restored, failed, warnings, id := a.Action.Target, "", "", "", ""
		if a.Action.Kind == activities.RestoreKindMailboxes {
			target = strings.Join(a.Action.Targets, ", ")
		}
		if a.Action.Kind == activities.RestoreKindChannel {
			target += " / " + a.Action.Channel
		}
		if to := a.Action.To; to != nil {
			target += " → " + strings.TrimSpace(to.Mailbox+to.OneDrive+to.SiteURL+" "+to.Folder)
		}
		if res := a.RestoreActionResult; res != nil && (res.Counts != activities.RestoreCounts{} || res.RestoreID != "") {
			restored = fmt.Sprintf("%d/%d", res.Counts.Restored, res.Counts.Total)
			failed, warnings, id = fmt.Sprint(res.Counts.Failed), fmt.Sprint(res.Counts.Warnings), res.RestoreID
			if res.CountsUnknown {
				restored, failed, warnings = "unknown", "unknown", "unknown"
			}
		}
		errText := a.Error
		if a.ErrorType != "" {
			errText = a.ErrorType + ": " + errText
		}
		fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", a.Index, md(a.Action.Kind), md(Clip(target, 80)), a.State,
			restored, failed, warnings, md(id), md(Clip(errText, 160)))
	}
}

// ActionCountsText is counts as one line, "2 succeeded, 1 failed" (the
// states with none left out): the one wording of action counts in the Web
// UI (restores and playbooks) and on the command line.
func ActionCountsText(c ActionCounts) string {
	var parts []string
	for _, p := range []struct {
		n    int
		name string
	}{{c.Succeeded, "succeeded"}, {c.PartlySucceeded, "partly succeeded"}, {c.Failed, "failed"}, {c.Canceled, "canceled"},
		{c.Skipped, "skipped"}, {c.Running, "running"}, {c.Pending, "pending"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.name))
		}
	}
	if len(parts) == 0 {
		return "none run"
	}
	return strings.Join(parts, ", ")
}

// md keeps a value from breaking a Markdown table row.
func md(s string) string {
	return mdEscaper.Replace(s)
}

// mdEscaper is md's replacer, built once: md runs for every row of every
// summary, again on each replay, and a Replacer is safe for concurrent use.
var mdEscaper = strings.NewReplacer("|", "\\|", "\n", " ", "\r", " ")

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

// Typed search attribute keys (Keyword).
var (
	saOrganizationID = temporal.NewSearchAttributeKeyKeyword(SearchAttrOrganizationID)
	saSessionID      = temporal.NewSearchAttributeKeyKeyword(SearchAttrSessionID)
	saSessionType    = temporal.NewSearchAttributeKeyKeyword(SearchAttrSessionType)
	saSessionState   = temporal.NewSearchAttributeKeyKeyword(SearchAttrSessionState)
)

// upsertSearchAttributes sets all four attributes (all) or only the state,
// and only when CheckSearchAttributes said they are registered: upserting an
// unregistered attribute would fail the workflow task over and over.
func (r *restoreRun) upsertSearchAttributes(ctx workflow.Context, all bool) {
	if !r.state.SearchAttributes {
		return
	}
	updates := []temporal.SearchAttributeUpdate{saSessionState.ValueSet(r.state.Session.State)}
	if all {
		typ := r.state.Session.Type
		if workflow.GetVersion(ctx, changeSessionTypeLowercase, workflow.DefaultVersion, 1) >= 1 {
			typ = SearchAttributeSessionType(r.state.Session.Type)
		}
		updates = append(updates, saOrganizationID.ValueSet(r.state.Organization.ID),
			saSessionID.ValueSet(r.state.Session.ID), saSessionType.ValueSet(typ))
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		r.logger.Warn("could not upsert search attributes", "error", err)
	}
}
