package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/vb365-restore/vb365-restore/internal/temporalcli"
	"github.com/vb365-restore/vb365-restore/workflows"
)

func (a *app) listCommand() *cobra.Command {
	var (
		open  bool
		org   string
		limit int
	)
	cmd := &cobra.Command{
		Use:   "list [--open] [--org ID] [--limit N]",
		Short: "List restore workflows",
		Long: "List RestoreSessionWorkflow executions through Temporal visibility. --org filters on the\n" +
			workflows.SearchAttrOrganizationID + " search attribute, which must be registered in the namespace.",
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 {
				return usageErrorf("--limit %d: want 1 or more", limit)
			}
			query, err := listQuery(open, org)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			c, err := a.connect(ctx)
			if err != nil {
				return err
			}
			defer c.Close()

			tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "WORKFLOW ID\tSTATUS\tSTARTED\tCLOSED\tORGANIZATION")
			shown := 0
			var token []byte
			for shown < limit {
				resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
					Namespace:     a.cfg.Namespace,
					PageSize:      int32(min(limit-shown, 100)),
					NextPageToken: token,
					Query:         query,
				})
				if err != nil {
					return &temporalError{explainListError(err, org, a.cfg.Namespace)}
				}
				for _, e := range resp.GetExecutions() {
					if shown == limit {
						break
					}
					closed := "-"
					if ct := e.GetCloseTime(); ct != nil && ct.IsValid() && !ct.AsTime().IsZero() {
						closed = ct.AsTime().UTC().Format(time.RFC3339)
					}
					orgID := "-"
					if p, ok := e.GetSearchAttributes().GetIndexedFields()[workflows.SearchAttrOrganizationID]; ok {
						var v string
						if converter.GetDefaultDataConverter().FromPayload(p, &v) == nil && v != "" {
							orgID = v
						}
					}
					status := strings.ToLower(strings.TrimPrefix(e.GetStatus().String(), "WorkflowExecutionStatus"))
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.GetExecution().GetWorkflowId(), status,
						e.GetStartTime().AsTime().UTC().Format(time.RFC3339), closed, orgID)
					shown++
				}
				token = resp.GetNextPageToken()
				if len(token) == 0 {
					break
				}
			}
			_ = tw.Flush()
			if shown == 0 {
				fmt.Fprintln(a.stdout, "(no restore workflows match)")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&open, "open", false, "only running restores")
	cmd.Flags().StringVar(&org, "org", "", "only restores of this organization ID (needs the "+workflows.SearchAttrOrganizationID+" search attribute)")
	cmd.Flags().IntVar(&limit, "limit", 50, "show at most N workflows")
	return cmd
}

// listQuery is the visibility query of list.
func listQuery(open bool, org string) (string, error) {
	q := fmt.Sprintf("WorkflowType = '%s'", workflows.RestoreSessionWorkflowName)
	if open {
		q += " AND ExecutionStatus = 'Running'"
	}
	if org = strings.TrimSpace(org); org != "" {
		if strings.ContainsAny(org, `'"\`) {
			return "", usageErrorf("--org %q: an organization ID has no quotes or backslashes", org)
		}
		q += fmt.Sprintf(" AND %s = '%s'", workflows.SearchAttrOrganizationID, org)
	}
	return q, nil
}

// explainListError adds what to do when --org fails because the search
// attribute is not registered.
func explainListError(err error, org, namespace string) error {
	if org == "" {
		return fmt.Errorf("list workflows: %w", err)
	}
	msg := strings.ToLower(err.Error())
	if strings.Contains(msg, strings.ToLower(workflows.SearchAttrOrganizationID)) ||
		strings.Contains(msg, "search attribute") || strings.Contains(msg, "invalid query") {
		return fmt.Errorf("list workflows by organization: %w\n"+
			"The %s search attribute is probably not registered in namespace %s. Register it (and the others) with:\n"+
			"  %s\n"+
			"then restart the worker; restores started after that carry it. Without --org, list shows every restore",
			err, workflows.SearchAttrOrganizationID, namespace, temporalcli.RegisterCommand(namespace, workflows.SearchAttributes()))
	}
	return fmt.Errorf("list workflows: %w", err)
}
