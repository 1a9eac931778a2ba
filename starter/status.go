package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/follow"
	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

func (a *app) statusCommand() *cobra.Command {
	var (
		asJSON        bool
		keepFollowing bool
	)
	cmd := &cobra.Command{
		Use:   "status WORKFLOW_ID [--json] [--follow]",
		Short: "Show a restore's status (phase, session, events) or a playbook's (one row per restore)",
		Args:  exactArgs(1, "WORKFLOW_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id := args[0]
			c, err := a.connect(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			pb, err := isPlaybook(qctx, c, id)
			if err != nil {
				return &temporalError{fmt.Errorf("describe %s: %w", id, err)}
			}
			if pb {
				if keepFollowing {
					return a.followPlaybook(ctx, c, id, "")
				}
				return showStatus(qctx, a, c, id, asJSON, follow.QueryPlaybook, printPlaybook)
			}
			if keepFollowing {
				return a.follow(ctx, c, id, "")
			}
			return showStatus(qctx, a, c, id, asJSON, follow.QueryStatus, printStatus)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	cmd.Flags().BoolVar(&keepFollowing, "follow", false, "follow the restore or playbook until it ends (Ctrl-C detaches)")
	return cmd
}

// showStatus queries the status of workflow id and prints the answer, as
// JSON or for people.
func showStatus[T any](ctx context.Context, a *app, c client.Client, id string, asJSON bool,
	query func(context.Context, client.Client, string, string) (T, error), print func(io.Writer, string, string, T)) error {
	answer, err := query(ctx, c, id, "")
	if err != nil {
		return &temporalError{fmt.Errorf("query status of %s: %w", id, err)}
	}
	if asJSON {
		return printJSON(a.stdout, answer)
	}
	print(a.stdout, id, a.cfg.WorkflowURL(id), answer)
	return nil
}

// printStatus prints st for people.
func printStatus(w io.Writer, id, link string, st workflows.Status) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	row := func(k, format string, args ...any) {
		fmt.Fprintf(tw, "%s:\t"+format+"\n", append([]any{k}, args...)...)
	}
	ts := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	row("Workflow", "%s", id)
	row("Web UI", "%s", link)
	row("Phase", "%s", st.Phase)
	org := st.Organization.ID
	if st.Organization.Name != "" {
		org = fmt.Sprintf("%s (%s)", st.Organization.Name, st.Organization.ID)
	}
	row("Organization", "%s", org)
	if st.Organization.FirstBackupTime != nil || st.Organization.LastBackupTime != nil {
		row("Backup window", "%s .. %s", ts(st.Organization.FirstBackupTime), ts(st.Organization.LastBackupTime))
	}
	if st.EffectivePointInTime != nil {
		pit := ts(st.EffectivePointInTime)
		if st.ClampedToLatest {
			pit += " (the latest restore point)"
		}
		row("Point in time", "%s", pit)
	}
	if s := st.Session; s != nil {
		row("Session", "%s", s.ID)
		if s.Name != "" {
			row("Session name", "%s", s.Name)
		}
		state := s.State
		if s.Result != "" {
			state += " (" + s.Result + ")"
		}
		row("Session state", "%s", state)
		row("Session created", "%s", s.CreationTime.UTC().Format(time.RFC3339))
	}
	if st.StopDeadline != nil {
		row("Stops at the latest", "%s", ts(st.StopDeadline))
	}
	if st.EndReason != "" {
		row("End reason", "%s", st.EndReason)
	}
	row("Events", "%s", follow.CountsText(st.EventCounts))
	if c := follow.ActionCountsText(st.ActionCounts); c != "" {
		row("Actions", "%s", c)
	}
	_ = tw.Flush()
	for _, a := range st.Actions {
		fmt.Fprintln(w, follow.ActionLine(a))
		for _, l := range follow.FailedItemLines(a) {
			fmt.Fprintln(w, "      "+l)
		}
	}
	if len(st.LatestEvents) > 0 {
		fmt.Fprintln(w, "Latest events:")
		for _, e := range st.LatestEvents {
			fmt.Fprintln(w, follow.FormatEvent(e))
		}
	}
}

// isPlaybook tells a playbook from a restore by its workflow type: the two
// answer the status query and the stop update with different types
// (playbook.Report, workflows.Status and vb365.RestoreSession).
func isPlaybook(ctx context.Context, c client.Client, id string) (bool, error) {
	desc, err := c.DescribeWorkflow(ctx, id, "")
	if err != nil {
		return false, err
	}
	return desc.WorkflowType.Name == playbook.WorkflowName, nil
}

// printPlaybook prints a playbook's report for people: one line per restore.
func printPlaybook(w io.Writer, id, link string, rep playbook.Report) {
	fmt.Fprintf(w, "Playbook:  %s (%s)\nWeb UI:    %s\n", rep.Name, id, link)
	counts := follow.PlaybookCounts(rep)
	if rep.StopRequested {
		counts += "; stop requested"
	}
	fmt.Fprintf(w, "Restores:  %d: %s\n", len(rep.Rows), counts)
	for _, r := range rep.Rows {
		fmt.Fprintln(w, follow.RowLine(r))
	}
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
