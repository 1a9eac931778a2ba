package follow

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

// Each action's line is printed when its state or counts change, once, and
// the report ends with the action counts and the failed items.
func TestPrinterPrintsEachActionWhenItChanges(t *testing.T) {
	var out bytes.Buffer
	p := NewPrinter(&out)
	mbx := activities.RestoreAction{Kind: "mailbox", Target: "adele.vance@abc.onmicrosoft.com",
		To: &activities.RestoreLocation{Mailbox: "recovery@abc.onmicrosoft.com", Folder: "DR"}, CredentialProfile: "prod"}
	running := func(restored int64) workflows.Status {
		return workflows.Status{Phase: workflows.PhaseOpen, Actions: []workflows.ActionReport{{Index: 0, Action: mbx,
			State: workflows.ActionRunning, RestoreActionResult: &activities.RestoreActionResult{
				Counts: activities.RestoreCounts{Total: 120, Restored: restored}}}}}
	}
	p.Status(workflows.Status{Phase: workflows.PhaseOpen, Actions: []workflows.ActionReport{{Index: 0, Action: mbx, State: workflows.ActionPending}}})
	p.Status(running(10))
	p.Status(running(10))
	p.Status(running(60))
	final := workflows.ActionReport{Index: 0, Action: mbx, State: workflows.ActionWarning,
		RestoreActionResult: &activities.RestoreActionResult{Target: mbx.Target, Resolved: mbx.Target, Adopted: true,
			Counts:      activities.RestoreCounts{Total: 120, Restored: 119, Failed: 1, Warnings: 1},
			FailedItems: []activities.RestoreFailedItem{{Name: "Inbox/budget.xlsx", Reason: "Access\ndenied"}}}}
	p.Report(workflows.RestoreReport{Actions: []workflows.ActionReport{final},
		ActionCounts: &workflows.ActionCounts{Total: 1, PartlySucceeded: 1}})
	s := out.String()
	assert.Equal(t, 1, strings.Count(s, "to recovery@abc.onmicrosoft.com/DR, profile prod: pending\n"), s)
	assert.Equal(t, 1, strings.Count(s, ": running, 10 of 120 restored, 0 failed, 0 skipped\n"), s)
	assert.Equal(t, 1, strings.Count(s, ": running, 60 of 120 restored"), s)
	assert.Contains(t, s, ": warning, 119 of 120 restored, 1 failed, 0 skipped, 1 warnings, followed the restore a lost answer had started\n")
	assert.Contains(t, s, "  actions: 1: 1 partly succeeded\n")
	assert.Contains(t, s, "    action 1 failed \"Inbox/budget.xlsx\": Access denied\n")
}

func TestRowLineShowsActionCounts(t *testing.T) {
	line := RowLine(playbook.Row{Index: 2, OrganizationID: "org", Type: "vex", State: playbook.RowDone,
		Actions: &workflows.ActionCounts{Total: 5, Succeeded: 3, Failed: 1, Skipped: 1}})
	assert.Equal(t, "  [3] org vex: done, actions 5: 3 succeeded, 1 failed, 1 skipped", line)
	assert.NotContains(t, RowLine(playbook.Row{Index: 0, OrganizationID: "org", Type: "vex", State: playbook.RowDone}), "actions")
}

func TestActionText(t *testing.T) {
	for want, a := range map[string]activities.RestoreAction{
		"mailboxes a@x;b@x to the original location":                         {Kind: "mailboxes", Targets: []string{"a@x", "b@x"}},
		"mailbox a@x (archive) to the original location, profile p":          {Kind: "mailbox", Target: "a@x", Archive: true, CredentialProfile: "p"},
		`channel Finance channel "Quarterly Close" to the original location`: {Kind: "channel", Target: "Finance", Channel: "Quarterly Close"},
		"onedrive a@x to b@x/Restored":                                       {Kind: "onedrive", Target: "a@x", To: &activities.RestoreLocation{OneDrive: "b@x", Folder: "Restored"}},
		"mailbox a@x to Restored":                                            {Kind: "mailbox", Target: "a@x", To: &activities.RestoreLocation{Folder: "Restored"}},
	} {
		assert.Equal(t, want, ActionText(a))
	}
}

// An adopted v6/v7 action's counts are not known: the line says so rather
// than showing zeros.
func TestActionLineCountsUnknown(t *testing.T) {
	line := ActionLine(workflows.ActionReport{Index: 0, Action: activities.RestoreAction{Kind: "mailbox", Target: "a@x"},
		State: workflows.ActionSuccess, RestoreActionResult: &activities.RestoreActionResult{Target: "a@x", Resolved: "a@x",
			RestoreID: "s-1", Adopted: true, CountsUnknown: true}})
	assert.Equal(t, "  action 1 mailbox a@x to the original location: success, counts unknown (VB365 gave them only in the restore's lost answer), "+
		"followed the restore a lost answer had started", line)
	assert.NotContains(t, line, "restored,")
}
