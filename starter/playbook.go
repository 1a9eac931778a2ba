package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

func (a *app) playbookCommand() *cobra.Command {
	var (
		file   string
		id     string
		follow bool
	)
	cmd := &cobra.Command{
		Use:   "playbook --file drill.json [--id ID] [--follow]",
		Short: "Run a DR playbook: many restores at once, one view, one stop",
		Long: "Start RestorePlaybookWorkflow from a JSON file:\n\n" +
			`  {"name": "quarterly drill", "maxConcurrent": 2,` + "\n" +
			`   "restores": [{"organizationId": "…", "type": "vex", "pointInTime": "2020-10-30T10:00:00Z"}, …]}` + "\n\n" +
			"Each restore takes the fields of a single restore (see `starter restore --help`). The file is\n" +
			"read strictly: an unknown field is an error. Stop every session at once with `starter stop ID`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return usageErrorf("--file is required")
			}
			in, err := readPlaybook(file, a.now())
			if err != nil {
				return err
			}
			return a.startPlaybook(cmd.Context(), in, strings.TrimSpace(id), follow)
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "playbook JSON file (required; - reads standard input)")
	cmd.Flags().StringVar(&id, "id", "", "workflow ID (default vb365-playbook-<name>-<unix-seconds>)")
	cmd.Flags().BoolVar(&follow, "follow", false, "show each restore's row as it changes until the playbook ends; Ctrl-C detaches")
	return cmd
}

// readPlaybook decodes a playbook file strictly, so a misspelt field is
// reported rather than silently ignored, and checks each restore with the
// workflow's own validation against now.
func readPlaybook(path string, now time.Time) (playbook.Input, error) {
	var in playbook.Input
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return in, usageErrorf("--file: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, usageErrorf("--file %s: %v", path, err)
	}
	if len(in.Restores) == 0 {
		return in, usageErrorf("--file %s: \"restores\" lists no restore", path)
	}
	for i, r := range in.Restores {
		if r.Continuation != nil {
			return in, usageErrorf("--file %s: restores[%d]: \"continuation\" is internal to the workflow", path, i)
		}
		if _, err := workflows.ValidateInput(r, now); err != nil {
			msg := err.Error()
			var bad *temporal.ApplicationError
			if errors.As(err, &bad) {
				msg = bad.Message()
			}
			return in, usageErrorf("--file %s: restores[%d]: %s", path, i, msg)
		}
	}
	return in, nil
}

func (a *app) startPlaybook(ctx context.Context, in playbook.Input, id string, follow bool) error {
	now := a.now()
	if id == "" {
		id = fmt.Sprintf("vb365-playbook-%s-%d", slug(in.Name), now.Unix())
	}
	c, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	summary := playbookSummary(in)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: a.cfg.TaskQueue, StaticSummary: summary,
		StaticDetails:                            fmt.Sprintf("Started by %s, %s, with the vb365-restore starter.", requestedBy(), now.UTC().Format(time.RFC3339)),
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, playbook.WorkflowName, in)
	if err != nil {
		return a.startError("playbook", id, err)
	}
	fmt.Fprintf(a.stdout, "Started %s\n  Workflow ID: %s\n  Run ID:      %s\n  Web UI:      %s\n",
		summary, run.GetID(), run.GetRunID(), a.cfg.WorkflowURL(run.GetID()))
	if !follow {
		fmt.Fprintf(a.stdout, "Stop every session with: starter stop %s\n", run.GetID())
		return nil
	}
	return a.followPlaybook(ctx, c, run.GetID(), run.GetRunID())
}

// playbookSummary is the playbook's one-line static summary in the Web UI.
func playbookSummary(in playbook.Input) string {
	return workflows.Clip(fmt.Sprintf("DR playbook %q: %d restores", in.Name, len(in.Restores)), summaryBound)
}

// slug keeps letters, digits and dashes of a name, for workflow ids.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteRune('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		return "playbook"
	}
	if len(out) > 40 {
		out = strings.Trim(out[:40], "-")
	}
	return out
}
