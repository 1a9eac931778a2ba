package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/follow"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

func (a *app) stopCommand() *cobra.Command {
	var (
		reason string
		signal bool
	)
	cmd := &cobra.Command{
		Use:   "stop WORKFLOW_ID [--reason R] [--signal]",
		Short: "Stop a restore or a playbook: its VB365 sessions are stopped and the workflow ends",
		Long: "Stop a restore. By default it sends the stop update and waits until the VB365 session is\n" +
			"stopped, then prints the final session (for a playbook: every restore's row). --signal sends the stop signal instead and returns at\n" +
			"once. The reason and who asked (user@host) go into the workflow's report.",
		Args: exactArgs(1, "WORKFLOW_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id := args[0]
			req := workflows.StopRequest{Reason: reason, RequestedBy: requestedBy()}
			c, err := a.connect(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			if signal {
				if err := c.SignalWorkflow(ctx, id, "", workflows.SignalStop, req); err != nil {
					return &temporalError{fmt.Errorf("signal stop to %s: %w", id, err)}
				}
				fmt.Fprintf(a.stdout, "Stop signal sent to %s; the session is being stopped.\n  Web UI: %s\n", id, a.cfg.WorkflowURL(id))
				return nil
			}
			pb, err := isPlaybook(ctx, c, id)
			if err != nil {
				return &temporalError{fmt.Errorf("describe %s: %w", id, err)}
			}
			if pb {
				fmt.Fprintf(a.stdout, "Stopping playbook %s (waiting for every VB365 session to stop)…\n", id)
			} else {
				fmt.Fprintf(a.stdout, "Stopping %s (waiting for the VB365 session to stop)…\n", id)
			}
			handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
				WorkflowID:   id,
				UpdateName:   workflows.UpdateStop,
				Args:         []any{req},
				WaitForStage: client.WorkflowUpdateStageCompleted,
			})
			if err != nil {
				return &temporalError{fmt.Errorf("stop %s: %w", id, err)}
			}
			if pb {
				var rep playbook.Report
				if err := handle.Get(ctx, &rep); err != nil {
					return &temporalError{fmt.Errorf("stop playbook %s: %w", id, err)}
				}
				fmt.Fprintf(a.stdout, "Stopped: %s\n", follow.PlaybookCounts(rep))
				for _, r := range rep.Rows {
					fmt.Fprintln(a.stdout, follow.RowLine(r))
				}
				fmt.Fprintf(a.stdout, "  Web UI: %s\n", a.cfg.WorkflowURL(id))
				return nil
			}
			var session vb365.RestoreSession
			if err := handle.Get(ctx, &session); err != nil {
				return &temporalError{fmt.Errorf("stop %s: %w", id, err)}
			}
			fmt.Fprintf(a.stdout, "Stopped: session %s is %s", session.ID, session.State)
			if session.Result != "" {
				fmt.Fprintf(a.stdout, " (%s)", session.Result)
			}
			if session.EndTime != nil {
				fmt.Fprintf(a.stdout, " at %s", session.EndTime.UTC().Format(time.RFC3339))
			}
			fmt.Fprintf(a.stdout, "\n  Web UI: %s\n", a.cfg.WorkflowURL(id))
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the restore is stopped (recorded in the report)")
	cmd.Flags().BoolVar(&signal, "signal", false, "send the stop signal and return at once instead of waiting for the stop update")
	return cmd
}

// exactArgs is cobra.ExactArgs with a usage error naming the argument.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("%s: want %s (got %d arguments)\nsee %s --help", cmd.Name(), names, len(args), cmd.CommandPath())
		}
		return nil
	}
}
