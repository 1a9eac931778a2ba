package main

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/follow"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

// follow prints the restore's progress until it ends. It returns nil on
// success, a *workflowError when the workflow did not succeed and
// errDetached when ctx ends first (Ctrl-C): the workflow keeps running.
func (a *app) follow(ctx context.Context, c client.Client, workflowID, runID string) error {
	fmt.Fprintln(a.stdout, "Following (Ctrl-C detaches; the restore keeps running)…")
	_, err := follow.Restore(ctx, c, a.stdout, workflowID, runID, a.pollEvery, nil)
	return a.followEnd(ctx, "workflow", workflowID, err)
}

// followPlaybook prints each row when it changes, then the final report.
// Exit status 1 when any restore failed.
func (a *app) followPlaybook(ctx context.Context, c client.Client, id, runID string) error {
	fmt.Fprintln(a.stdout, "Following (Ctrl-C detaches; the playbook keeps running)…")
	final, err := follow.Playbook(ctx, c, a.stdout, id, runID, a.pollEvery)
	if err != nil {
		return a.followEnd(ctx, "playbook", id, err)
	}
	fmt.Fprintf(a.stdout, "done: %s\n", follow.PlaybookCounts(final))
	if n := final.Counts[playbook.RowFailed]; n > 0 {
		return &workflowError{fmt.Errorf("%d of %d restores failed", n, len(final.Rows))}
	}
	return nil
}

// followEnd turns how following ended into the starter's errors.
func (a *app) followEnd(ctx context.Context, what, id string, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		fmt.Fprintf(a.stdout, "\nDetached: %s %s keeps running. Stop it with: starter stop %s\n  Web UI: %s\n",
			what, id, id, a.cfg.WorkflowURL(id))
		return errDetached
	case isWorkflowFailure(err):
		return &workflowError{err}
	}
	return &temporalError{fmt.Errorf("wait for %s %s: %w", what, id, err)}
}
