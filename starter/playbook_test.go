package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

func TestReadPlaybook(t *testing.T) {
	in, err := readPlaybook("../examples/playbooks/drill.json", time.Now())
	require.NoError(t, err, "the sample playbook in the README must stay valid")
	require.Equal(t, "quarterly DR drill", in.Name)
	require.Len(t, in.Restores, 3)
	require.Equal(t, 2, in.MaxConcurrent)

	cases := []struct {
		name, body, want string
	}{
		{"unknown field", `{"name":"x","restores":[{"organizationId":"a","type":"vet"}],"maxConcurent":2}`, `unknown field "maxConcurent"`},
		{"unknown restore field", `{"name":"x","restores":[{"organizationId":"a","tpye":"vet"}]}`, `restores[0]: tpye "\"vet\"": unknown field`},
		{"no restores", `{"name":"x","restores":[]}`, "lists no restore"},
		{"not JSON", `name: x`, "invalid character"},
		{"restore the workflow refuses", `{"name":"x","restores":[{"organizationId":"a","type":"vet"}]}`, `restores[0]: organizationId "a": not a UUID`},
		{"misspelt action option", `{"name":"x","restores":[{"organizationId":"` + seedOrg + `","type":"vex","actions":[{"kind":"mailbox","target":"a@x","to":{"mailbx":"b@x"}}]}]}`, `restores[0]: actions[0].to.mailbx "\"b@x\"": unknown field`},
		{"internal field", `{"name":"x","restores":[{"organizationId":"a","type":"vet","continuation":{}}]}`, "continuation"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.json")
			require.NoError(t, os.WriteFile(path, []byte(c.body), 0o600))
			_, err := readPlaybook(path, time.Now())
			require.ErrorContains(t, err, c.want)
			require.Equal(t, exitUsage, exitCode(err))
		})
	}
}

// Every example playbook decodes strictly and passes the workflow's own
// validation, actions included: the README walks through them.
func TestExamplePlaybooksAreValid(t *testing.T) {
	files, err := filepath.Glob("../examples/playbooks/*.json")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 3)
	withActions := 0
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			// readPlaybook runs workflows.ValidateInput on each restore, which
			// checks each action as the activity will.
			in, err := readPlaybook(f, time.Now())
			require.NoError(t, err)
			for _, r := range in.Restores {
				withActions += len(r.Actions)
			}
		})
	}
	require.GreaterOrEqual(t, withActions, 6, "the DR drills restore two mailboxes, a site, a team and two to a recovery mailbox")
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"quarterly DR drill": "quarterly-dr-drill",
		"  ":                 "playbook",
		"Émile's test #2":    "mile-s-test-2",
	} {
		require.Equal(t, want, slug(in), in)
	}
}

func TestPlaybookSummaryClipsByCharacters(t *testing.T) {
	s := playbookSummary(playbook.Input{Name: strings.Repeat("é", 300)})
	require.True(t, utf8.ValidString(s), "a cut never splits a character")
	require.Equal(t, summaryBound, utf8.RuneCountInString(s))
	require.True(t, strings.HasSuffix(s, "…"))
	require.Equal(t, `DR playbook "drill": 0 restores`, playbookSummary(playbook.Input{Name: "drill"}))
}
