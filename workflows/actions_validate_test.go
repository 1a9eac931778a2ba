package workflows

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/activities"
)

const adele = "adele.vance@abc.onmicrosoft.com"

// Each action is decoded as strictly as the input (an unknown or mistyped
// field named by its path) and checked by the activity's own rule against
// the session type, naming actions[i] and the member.
func TestValidateInputActions(t *testing.T) {
	base := func(typ string, actions ...any) map[string]any {
		return map[string]any{"organizationId": testOrgID, "type": typ, "actions": actions}
	}
	mailbox := map[string]any{"kind": "mailbox", "target": adele}
	tests := []struct {
		name     string
		raw      any
		contains []string
	}{
		{"unknown field", base("vex", mailbox, map[string]any{"kind": "mailbox", "tagret": adele}),
			[]string{`actions[1].tagret "\"` + adele + `\""`, "unknown field", "target"}},
		{"unknown field of to", base("vex", map[string]any{"kind": "mailbox", "target": adele, "to": map[string]any{"mailbx": "x"}}),
			[]string{"actions[0].to.mailbx", "unknown field", "mailbox"}},
		{"wrong type", base("vex", map[string]any{"kind": "mailbox", "target": adele, "archive": "yes"}),
			[]string{"actions[0].archive", "want a JSON boolean"}},
		{"not an object", base("vex", "mailbox"), []string{"actions[0]", "want a JSON object"}},
		{"not a list", map[string]any{"organizationId": testOrgID, "type": "vex", "actions": mailbox},
			[]string{"actions", "want a JSON array"}},
		{"workload mismatch", base("vesp", mailbox),
			[]string{`actions[0].kind "mailbox"`, "Exchange", "vex", "the session is of type vesp (SharePoint)"}},
		{"workload mismatch of a later one", base("vet", map[string]any{"kind": "team", "target": "Finance", "restoreMembers": true},
			map[string]any{"kind": "onedrive", "target": adele}),
			[]string{`actions[1].kind "onedrive"`, "veod", "vet"}},
		{"unknown kind", base("vex", map[string]any{"kind": "tape", "target": "x"}), []string{`actions[0].kind "tape"`}},
		{"no target", base("vex", map[string]any{"kind": "mailbox"}), []string{"actions[0].target is empty"}},
		{"bad location", base("vex", map[string]any{"kind": "mailbox", "target": adele, "to": map[string]any{"siteUrl": "https://x"}}),
			[]string{"actions[0].to"}},
	}
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) {
			_, err := ValidateInput(decode(t, c.raw), testNow)
			requireAppErr(t, err, ErrInvalidRequest, c.contains...)
		})
	}
}

func TestValidateInputAcceptsActions(t *testing.T) {
	in := decode(t, map[string]any{"organizationId": testOrgID, "type": "exchange", "keepSessionOpen": true, "stopOnFailure": true,
		"actions": []any{
			map[string]any{"Kind": " Mailbox ", "target": adele, "credentialProfile": "m365-admin", "to": map[string]any{"mailbox": "recovery@abc.onmicrosoft.com", "folder": "Restored"}},
			map[string]any{"kind": "mailboxes", "targets": []string{adele, "alex.wilber@abc.onmicrosoft.com"}, "changedItems": false},
		}})
	req, err := ValidateInput(in, testNow)
	require.NoError(t, err)
	require.Len(t, req.Actions, 2)
	require.Equal(t, "mailbox", req.Actions[0].Kind, "the kind in one form")
	require.Equal(t, &activities.RestoreLocation{Mailbox: "recovery@abc.onmicrosoft.com", Folder: "Restored"}, req.Actions[0].To)
	require.NotNil(t, req.Actions[1].ChangedItems)
	require.False(t, *req.Actions[1].ChangedItems)
	require.True(t, req.KeepSessionOpen)
	require.True(t, req.StopOnFailure)
	again, err := ValidateInput(req.Input(), testNow)
	require.NoError(t, err)
	require.Equal(t, req, again, "Input writes the actions back")
	require.Equal(t, " Mailbox ", in.Actions[0].Kind, "the input itself is left as sent")

	many := RestoreInput{OrganizationID: testOrgID, Type: "vex", Actions: make([]activities.RestoreAction, MaxActions+1)}
	_, err = ValidateInput(many, testNow)
	requireAppErr(t, err, ErrInvalidRequest, "actions", "at most 100")
}
