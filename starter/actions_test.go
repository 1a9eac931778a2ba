package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/workflows"
)

func TestParseAction(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		spec string
		want activities.RestoreAction
	}{
		{"mailbox:adele.vance@abc.onmicrosoft.com",
			activities.RestoreAction{Kind: "mailbox", Target: "adele.vance@abc.onmicrosoft.com"}},
		{"Mailbox: adele.vance@abc.onmicrosoft.com ,to.mailbox=recovery@abc.onmicrosoft.com,to.folder=DR,credentialProfile=prod",
			activities.RestoreAction{Kind: "mailbox", Target: "adele.vance@abc.onmicrosoft.com", CredentialProfile: "prod",
				To: &activities.RestoreLocation{Mailbox: "recovery@abc.onmicrosoft.com", Folder: "DR"}}},
		{"mailbox:adele.vance@abc.onmicrosoft.com,archive,excludeDrafts=false,MARKRESTOREDASUNREAD=1",
			activities.RestoreAction{Kind: "mailbox", Target: "adele.vance@abc.onmicrosoft.com", Archive: true,
				ExcludeDrafts: &no, MarkRestoredAsUnread: &yes}},
		{"mailboxes:adele.vance@abc.onmicrosoft.com; alex.wilber@abc.onmicrosoft.com;,credentialProfile=prod",
			activities.RestoreAction{Kind: "mailboxes", Targets: []string{"adele.vance@abc.onmicrosoft.com", "alex.wilber@abc.onmicrosoft.com"},
				CredentialProfile: "prod"}},
		{"onedrive:megan.bowen@abc.onmicrosoft.com,to.oneDrive=recovery@abc.onmicrosoft.com,to.folder=Megan\\, restored,documentAction=overwrite",
			activities.RestoreAction{Kind: "onedrive", Target: "megan.bowen@abc.onmicrosoft.com", DocumentAction: "overwrite",
				To: &activities.RestoreLocation{OneDrive: "recovery@abc.onmicrosoft.com", Folder: "Megan, restored"}}},
		{"site:https://abc.sharepoint.com/sites/Finance,restoreSubsites,restorePermissions=true,documentVersion=last,to.siteUrl=https://abc.sharepoint.com/sites/Marketing",
			activities.RestoreAction{Kind: "site", Target: "https://abc.sharepoint.com/sites/Finance", RestoreSubsites: &yes,
				RestorePermissions: &yes, DocumentVersion: "last", To: &activities.RestoreLocation{SiteURL: "https://abc.sharepoint.com/sites/Marketing"}}},
		{"team:Finance,restoreChangedItems,restoreMissingItems,restoreMembers=false,restoreSettings=false",
			activities.RestoreAction{Kind: "team", Target: "Finance", RestoreChangedItems: &yes, RestoreMissingItems: &yes,
				RestoreMembers: &no, RestoreSettings: &no}},
		{`channel:Mark 8 Project Team,channel=Research and Development,restoreChangedItems,restoreMissingItems,to.folder=a\\b`,
			activities.RestoreAction{Kind: "channel", Target: "Mark 8 Project Team", Channel: "Research and Development",
				RestoreChangedItems: &yes, RestoreMissingItems: &yes, To: &activities.RestoreLocation{Folder: `a\b`}}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := parseAction(tt.spec)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// Every field of an action can be given with --action: a field added to
// activities.RestoreAction without an option would fail here.
func TestEveryActionFieldHasAnOption(t *testing.T) {
	var specs []string
	for _, name := range actionOptionNames {
		specs = append(specs, name+"=1")
	}
	// Strings take "1" as it is, booleans read it as true.
	a, err := parseAction("mailboxes:a@x;b@x," + strings.Join(specs, ","))
	require.NoError(t, err)
	raw, err := json.Marshal(a)
	require.NoError(t, err)
	var fields map[string]any
	require.NoError(t, json.Unmarshal(raw, &fields))
	var to map[string]any
	require.NoError(t, json.Unmarshal(mustJSON(t, a.To), &to))
	// Every JSON field but target (the mailboxes take targets) is set.
	want := jsonNames(t, activities.RestoreAction{Kind: "k", Target: "t", Targets: []string{"x"}, To: &activities.RestoreLocation{}})
	delete(want, "target")
	for name := range want {
		assert.Contains(t, fields, name, "an option sets %s", name)
	}
	assert.Len(t, to, len(jsonNames(t, activities.RestoreLocation{Mailbox: "m", OneDrive: "o", Folder: "f", SiteURL: "s"})))
}

// jsonNames are the JSON names of v's fields, every field set to make
// omitempty keep it: pointers are filled in by reflection through the
// encoder of a zero-filled copy.
func jsonNames(t *testing.T, v any) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	var m map[string]any
	require.NoError(t, json.Unmarshal(mustJSON(t, v), &m))
	for k := range m {
		names[k] = true
	}
	// omitempty hides the zero options; count them from the option table.
	for _, n := range actionOptionNames {
		if !strings.HasPrefix(n, "to.") {
			if _, isAction := v.(activities.RestoreAction); isAction {
				names[n] = true
			}
		}
	}
	return names
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestParseActionErrorsNameTheFlagOptionAndValue(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"adele.vance@abc.onmicrosoft.com", `--action "adele.vance@abc.onmicrosoft.com": no KIND:TARGET at the start`},
		{"mailbx:adele", `--action "mailbx:adele": kind "mailbx" is not one of mailbox, mailboxes, onedrive, site, team, channel`},
		{"mailbox:", `--action "mailbox:": no target after "mailbox:"`},
		{"mailbox: ,to.mailbox=x", `no target after "mailbox:"`},
		{"mailboxes: ; ", `--action "mailboxes: ; "`},
		{"mailbox:a@x,to.mailbx=b@x", `--action "mailbox:a@x,to.mailbx=b@x": unknown option "to.mailbx" (value "b@x"); options are `},
		{"mailbox:a@x,target=b@x", `unknown option "target"`},
		{"mailbox:a@x,archive=maybe", `--action "mailbox:a@x,archive=maybe": option archive: "maybe" is not true or false`},
		{"mailbox:a@x,to.folder", `option to.folder needs a value (to.folder=...)`},
		{"mailbox:a@x,,archive", `an empty option`},
		{"mailbox:a@x,archive,", `an empty option`},
		{"mailbox:a@x,archive,Archive=false", `option archive given twice`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := parseAction(tt.spec)
			if tt.spec == "mailboxes: ; " {
				// No address at all: the workflow's validation names it.
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Equal(t, exitUsage, exitCode(err))
		})
	}
}

func TestReadActionsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	good := write("good.json", `[{"kind": "mailbox", "target": "adele.vance@abc.onmicrosoft.com", "credentialProfile": "prod"},
		{"kind": "team", "target": "Finance", "restoreChangedItems": true, "restoreMissingItems": true, "restoreMembers": false, "restoreSettings": false}]`)
	actions, err := readActionsFile(good, nil)
	require.NoError(t, err)
	require.Len(t, actions, 2)
	assert.Equal(t, "prod", actions[0].CredentialProfile)
	assert.False(t, *actions[1].RestoreMembers)

	fromStdin, err := readActionsFile("-", strings.NewReader(`[{"kind":"site","target":"https://abc.sharepoint.com/sites/Finance"}]`))
	require.NoError(t, err)
	assert.Equal(t, "site", fromStdin[0].Kind)

	for name, c := range map[string]struct{ content, want string }{
		"unknown field":   {`[{"kind":"mailbox","target":"a@x"},{"kind":"mailbox","target":"a@x","to":{"mailbox":"b@x","fodler":"DR"}}]`, `action [1]: unknown field "fodler"`},
		"unknown top":     {`[{"kind":"mailbox","targte":"a@x"}]`, `action [0]: unknown field "targte"`},
		"wrong type":      {`[{"kind":"mailbox","target":"a@x","archive":"yes"}]`, `action [0]: cannot unmarshal string`},
		"not an array":    {`{"kind":"mailbox"}`, `not a JSON array of actions`},
		"empty":           {`[]`, `lists no action`},
		"not JSON at all": {`mailbox:a@x`, `not a JSON array of actions`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readActionsFile(write(strings.ReplaceAll(name, " ", "-")+".json", c.content), nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "--actions-file ")
			assert.Contains(t, err.Error(), c.want)
		})
	}
	_, err = readActionsFile(filepath.Join(dir, "missing.json"), nil)
	assert.ErrorContains(t, err, "--actions-file: ")
}

// The flags reach the workflow's input JSON as the workflow reads it:
// restore --action ... and the same actions in the input's "actions".
func TestRestoreActionFlagsRoundTripToInputJSON(t *testing.T) {
	f := restoreFlags{org: seedOrg, sessionType: "vex", beforeFirstBackup: "fail", keepSessionOpen: true, stopOnFailure: true,
		actions: []string{
			"mailbox:adele.vance@abc.onmicrosoft.com,credentialProfile=prod",
			"mailbox:alex.wilber@abc.onmicrosoft.com,to.mailbox=recovery@abc.onmicrosoft.com,to.folder=DR,credentialProfile=prod,excludeDrafts",
		}}
	req, err := f.request(testNow)
	require.NoError(t, err)
	raw, err := json.Marshal(req.input)
	require.NoError(t, err)
	assert.JSONEq(t, `{"organizationId": "`+seedOrg+`", "type": "vex", "beforeFirstBackup": "fail",
		"maxSessionDuration": "8h", "pollInterval": "15s", "keepSessionOpen": true, "stopOnFailure": true,
		"actions": [
			{"kind": "mailbox", "target": "adele.vance@abc.onmicrosoft.com", "credentialProfile": "prod"},
			{"kind": "mailbox", "target": "alex.wilber@abc.onmicrosoft.com", "credentialProfile": "prod", "excludeDrafts": true,
			 "to": {"mailbox": "recovery@abc.onmicrosoft.com", "folder": "DR"}}]}`, string(raw))

	// What the workflow decodes is what was asked.
	var back workflows.RestoreInput
	require.NoError(t, json.Unmarshal(raw, &back))
	again, err := workflows.ValidateInput(back, testNow)
	require.NoError(t, err)
	assert.Equal(t, req.input, again.Input())

	// The same actions from a file give the same input.
	file := filepath.Join(t.TempDir(), "actions.json")
	actionsJSON, err := json.Marshal(req.input.Actions)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, actionsJSON, 0o600))
	g := f
	g.actions, g.actionsFile = nil, file
	fromFile, err := g.request(testNow)
	require.NoError(t, err)
	assert.Equal(t, req.input, fromFile.input)

	g.actions = f.actions
	_, err = g.request(testNow)
	assert.ErrorContains(t, err, "--action and --actions-file: give the actions one way")
}

func TestRestoreWithActionsStartsThroughTheCommandLine(t *testing.T) {
	fc := &fakeClient{}
	a, stdout, stderr := testApp(fc)
	code := a.run(context.Background(), []string{"restore", "--org", seedOrg, "--type", "vex",
		"--action", "mailbox:adele.vance@abc.onmicrosoft.com", "--action", "mailboxes:alex.wilber@abc.onmicrosoft.com;megan.bowen@abc.onmicrosoft.com,credentialProfile=prod",
		"--keep-session-open"})
	require.Equal(t, exitOK, code, stderr.String())
	assert.Contains(t, stdout.String(), "2 restore action(s)")
	require.NotNil(t, fc.started)
	in := fc.input
	require.Len(t, in.Actions, 2)
	assert.Equal(t, []string{"alex.wilber@abc.onmicrosoft.com", "megan.bowen@abc.onmicrosoft.com"}, in.Actions[1].Targets)
	assert.True(t, in.KeepSessionOpen)
	assert.Contains(t, fc.started.StaticDetails, "| 2 | mailboxes alex.wilber@abc.onmicrosoft.com;megan.bowen@abc.onmicrosoft.com to the original location, profile prod |")

	a, _, stderr = testApp(&fakeClient{})
	assert.Equal(t, exitUsage, a.run(context.Background(), []string{"restore", "--org", seedOrg, "--type", "vex", "--action", "mailbox:a@x,fodler=DR"}))
	assert.Contains(t, stderr.String(), `--action "mailbox:a@x,fodler=DR": unknown option "fodler" (value "DR")`)
}

// What the workflow's validation refuses in an action names the --action
// that gave it, as written, or the --actions-file.
func TestActionValidationNamesTheFlag(t *testing.T) {
	f := restoreFlags{org: seedOrg, sessionType: "vex", beforeFirstBackup: "fail",
		actions: []string{"mailbox:a@x", "team:Finance,restoreMembers"}}
	_, err := f.request(testNow)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `--action "team:Finance,restoreMembers": actions[1].kind "team"`)
	assert.Equal(t, exitUsage, exitCode(err))

	file := filepath.Join(t.TempDir(), "a.json")
	require.NoError(t, os.WriteFile(file, []byte(`[{"kind":"site","target":"https://abc.sharepoint.com"}]`), 0o600))
	f.actions, f.actionsFile = nil, file
	_, err = f.request(testNow)
	assert.ErrorContains(t, err, "--actions-file "+file+": actions[0].kind \"site\"")
}

func TestStatusShowsActionsWithTheirCounts(t *testing.T) {
	fc := &fakeClient{statuses: []workflows.Status{{
		Phase:        workflows.PhaseOpen,
		Organization: workflows.OrganizationInfo{ID: seedOrg},
		ActionCounts: &workflows.ActionCounts{Total: 3, Succeeded: 1, Running: 1, Pending: 1},
		Actions: []workflows.ActionReport{
			{Index: 0, Action: activities.RestoreAction{Kind: "mailbox", Target: "adele.vance@abc.onmicrosoft.com"}, State: workflows.ActionSuccess,
				RestoreActionResult: &activities.RestoreActionResult{Target: "adele.vance@abc.onmicrosoft.com", Resolved: "Adele Vance",
					Counts:      activities.RestoreCounts{Total: 120, Restored: 118, Failed: 2},
					FailedItems: []activities.RestoreFailedItem{{Name: "Inbox/budget.xlsx", Reason: "Access denied"}}}},
			{Index: 1, Action: activities.RestoreAction{Kind: "site", Target: "https://abc.sharepoint.com/sites/Finance",
				To: &activities.RestoreLocation{SiteURL: "https://abc.sharepoint.com/sites/Marketing"}}, State: workflows.ActionRunning},
			{Index: 2, Action: activities.RestoreAction{Kind: "team", Target: "Finance"}, State: workflows.ActionFailed,
				ErrorType: "RestoreTargetNotFound", Error: "no team Finance"},
		},
	}}}
	a, stdout, _ := testApp(fc)
	require.Equal(t, exitOK, a.run(context.Background(), []string{"status", "wf-1"}))
	s := stdout.String()
	assert.Contains(t, s, "Actions:")
	assert.Contains(t, s, "3: 1 succeeded, 1 running, 1 pending")
	assert.Contains(t, s, "action 1 mailbox adele.vance@abc.onmicrosoft.com to the original location: success (resolved Adele Vance), 118 of 120 restored, 2 failed, 0 skipped")
	assert.Contains(t, s, `failed "Inbox/budget.xlsx": Access denied`)
	assert.Contains(t, s, "action 2 site https://abc.sharepoint.com/sites/Finance to https://abc.sharepoint.com/sites/Marketing: running")
	assert.Contains(t, s, "action 3 team Finance to the original location: failed; RestoreTargetNotFound: no team Finance")
}

// The help text names every option --action takes.
func TestActionGrammarNamesEveryOption(t *testing.T) {
	for _, name := range actionOptionNames {
		assert.Contains(t, actionGrammar, name)
	}
	for _, kind := range actionKinds {
		assert.Contains(t, actionGrammar, kind)
	}
}
