package follow

import (
	"fmt"
	"strings"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// ActionText is a restore action as asked, on one line: kind, target and
// where it goes, "mailbox adele.vance@abc.onmicrosoft.com to
// recovery@abc.onmicrosoft.com/DR, profile prod".
func ActionText(a activities.RestoreAction) string {
	var b strings.Builder
	b.WriteString(a.Kind)
	target := a.Target
	if len(a.Targets) > 0 {
		target = strings.Join(a.Targets, ";")
	}
	if target != "" {
		b.WriteString(" " + target)
	}
	if a.Channel != "" {
		fmt.Fprintf(&b, " channel %q", a.Channel)
	}
	if a.Archive {
		b.WriteString(" (archive)")
	}
	if to := a.To; to != nil {
		where := strings.Join(nonEmpty(to.Mailbox, to.OneDrive, to.SiteURL), " ")
		if to.Folder != "" {
			where += "/" + to.Folder
		}
		b.WriteString(" to " + strings.TrimPrefix(where, "/"))
	} else {
		b.WriteString(" to the original location")
	}
	if a.CredentialProfile != "" {
		b.WriteString(", profile " + a.CredentialProfile)
	}
	return b.String()
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ActionLine is one action of a restore and where it stands, on one line:
// "  action 1 mailbox adele.vance@… to the original location: success,
// 120 of 120 restored, 0 failed, 0 skipped".
func ActionLine(r workflows.ActionReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  action %d %s: %s", r.Index+1, ActionText(r.Action), r.State)
	if res := r.RestoreActionResult; res != nil {
		if res.Resolved != "" && res.Resolved != res.Target {
			fmt.Fprintf(&b, " (resolved %s)", res.Resolved)
		}
		c := res.Counts
		if res.CountsUnknown {
			b.WriteString(", counts unknown (VB365 gave them only in the restore's lost answer)")
		} else if c.Total > 0 || c.Restored > 0 || c.Failed > 0 || c.Skipped > 0 {
			fmt.Fprintf(&b, ", %d of %d restored, %d failed, %d skipped", c.Restored, c.Total, c.Failed, c.Skipped)
			if c.Warnings > 0 {
				fmt.Fprintf(&b, ", %d warnings", c.Warnings)
			}
		}
		if res.Adopted {
			b.WriteString(", followed the restore a lost answer had started")
		}
	}
	if r.ErrorType != "" {
		fmt.Fprintf(&b, "; %s: %s", r.ErrorType, OneLine(r.Error))
	} else if r.Error != "" {
		fmt.Fprintf(&b, "; %s", OneLine(r.Error))
	}
	return b.String()
}

// FailedItemLines are an action's first failed items with VB365's
// reasons, one line each: "failed \"Inbox/budget.xlsx\": Access denied".
func FailedItemLines(r workflows.ActionReport) []string {
	if r.RestoreActionResult == nil {
		return nil
	}
	lines := make([]string, 0, len(r.FailedItems))
	for _, it := range r.FailedItems {
		lines = append(lines, fmt.Sprintf("failed %q: %s", it.Name, OneLine(it.Reason)))
	}
	return lines
}

// ActionCountsText is how a restore's actions stand, on one line: the total,
// then workflows.ActionCountsText ("4: 2 succeeded, 1 partly succeeded, 1
// failed"). Empty without actions.
func ActionCountsText(c *workflows.ActionCounts) string {
	if c == nil || c.Total == 0 {
		return ""
	}
	return fmt.Sprintf("%d: %s", c.Total, workflows.ActionCountsText(*c))
}
