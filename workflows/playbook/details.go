package playbook

import (
	"fmt"
	"strings"
	"time"

	"github.com/vb365-restore/vb365-restore/workflows"
)

// markdown renders the playbook's current details for the Web UI: one row
// per restore. Kept well under the UI's 20 KB limit by design (at most
// MaxRestores short rows).
func markdown(rep Report, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Playbook %s\n\n", rep.Name)
	if rep.StopRequested {
		b.WriteString("**Stop requested**: open sessions are being stopped.\n\n")
	}
	states := []RowState{RowPending, RowCreating, RowOpen, RowDone, RowFailed, RowCanceled, RowSkipped}
	var counts []string
	for _, s := range states {
		if n := rep.Counts[s]; n > 0 {
			counts = append(counts, fmt.Sprintf("%s %d", s, n))
		}
	}
	fmt.Fprintf(&b, "%s (as of %s)\n\n", strings.Join(counts, " · "), now.UTC().Format(time.RFC3339))
	if c := rep.ActionCounts; c != nil {
		fmt.Fprintf(&b, "**Actions:** %d (%s)\n\n", c.Total, workflows.ActionCountsText(*c))
	}
	b.WriteString("| # | organization | type | point in time | session | state | events | actions | error |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rep.Rows {
		org := r.OrganizationName
		if org == "" {
			org = r.OrganizationID
		}
		pit := ""
		if r.EffectivePointInTime != nil {
			pit = r.EffectivePointInTime.UTC().Format(time.RFC3339)
		}
		session := r.SessionName
		if r.SessionID != "" {
			session = fmt.Sprintf("%s `%s`", r.SessionName, r.SessionID)
		}
		state := string(r.State)
		if r.SessionState != "" {
			state += " / " + r.SessionState
		}
		errText := r.Error
		if r.ErrorType != "" {
			errText = r.ErrorType
		}
		actions := ""
		if r.Actions != nil {
			actions = workflows.ActionCountsText(*r.Actions)
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %d | %s | %s |\n", r.Index+1, cell(org), cell(r.Type), pit, cell(session), state,
			r.EventCounts.Total, actions, cell(errText))
	}
	return b.String()
}

// cell keeps a value from breaking the Markdown table.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\n", " ")
	return workflows.Clip(s, 120)
}
