package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

// actionsPerRestore is how many actions each restore of the actions scenario runs:
// the four mailboxes to their original location, and one to the recovery
// mailbox.
const actionsPerRestore = 5

// actionHistoryBudget is the target: history events per action, beyond
// what its progress updates cost.
const actionHistoryBudget = 12

// actionsConfig sizes the actions scenario.
type actionsConfig struct {
	restores      int // the playbook's restores
	maxConcurrent int
}

// actionsResult is the actions scenario's figures.
type actionsResult struct {
	// One restore with 1 action and one with actionsPerRestore, each alone
	// on the worker: the difference divided by the extra actions is what
	// one action costs.
	EventsOne, EventsFive     int
	RequestsOne, RequestsFive int
	PerActionEvents           float64
	PerActionRequests         float64
	RequestRoutes             map[string]int // of the restore with 5 actions

	Restores, MaxConcurrent int
	Took                    time.Duration
	RowsDone                int
	ActionsSucceeded        int
	VB365Restores           int
	PlaybookEvents          int // the playbook's history, every run
	PlaybookRuns            int
	MaxChildEvents          int
	// NotSucceeded counts the playbook's actions that did not succeed, by
	// state and error type ("failed InvalidRequest").
	NotSucceeded map[string]int
}

// fiveActions are the restore actions of every restore of the actions scenario.
func fiveActions(profile string) []activities.RestoreAction {
	mbx := func(target string) activities.RestoreAction {
		return activities.RestoreAction{Kind: activities.RestoreKindMailbox, Target: target, CredentialProfile: profile}
	}
	recovery := mbx(vb365sim.MailboxAdele)
	recovery.To = &activities.RestoreLocation{Mailbox: vb365sim.MailboxRecovery, Folder: "DR"}
	return []activities.RestoreAction{mbx(vb365sim.MailboxAdele), mbx(vb365sim.MailboxAlex), mbx(vb365sim.MailboxMegan),
		mbx(vb365sim.MailboxLynne), recovery}
}

// runActions measures restore actions: history events and VB365 requests
// per action (a restore with one action against one with five, each alone),
// then a playbook of cfg.restores restores with five actions each.
func runActions(ctx context.Context, st *stack, cfg actionsConfig, logf func(string, ...any)) (*actionsResult, error) {
	// A session's script is one View: the built-in script's restores would
	// count in VB365 v8's session statistics beside the actions'.
	sc := vb365sim.BuiltinScenario()
	sc.Events = []vb365sim.ScriptedEvent{{Offset: vb365sim.Duration(100 * time.Millisecond), Duration: vb365sim.Duration(100 * time.Millisecond),
		Type: "View", Status: "Success", Title: "Explore", Message: "Opened {type} backup of {org}", ItemName: "{org}", ItemType: "Organization"}}
	sim, err := startSim(vb365sim.Options{Scenario: sc})
	if err != nil {
		return nil, err
	}
	defer sim.close()
	const profile = "bench"
	creds := filepath.Join(st.dir, "restore-credentials.json")
	body := fmt.Sprintf(`{"profiles": {%q: {"userName": %q, "password": %q}}}`, profile, vb365sim.RestoreUserName, vb365sim.RestorePassword)
	if err := os.WriteFile(creds, []byte(body), 0o600); err != nil {
		return nil, err
	}
	tq := st.taskQueue("actions")
	w, err := st.startProductWorker(ctx, tq, sim.URL, "VB365_RESTORE_CREDENTIALS_FILE="+creds)
	if err != nil {
		return nil, err
	}
	defer w.stop()
	res := &actionsResult{Restores: cfg.restores, MaxConcurrent: cfg.maxConcurrent}

	one := func(actions []activities.RestoreAction) (events, requests int, routes map[string]int, err error) {
		sim.sim.ResetStats()
		id := "bench-actions-" + uuid.NewString()
		run, err := st.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: tq}, workflows.RestoreSessionWorkflowName,
			workflows.RestoreInput{OrganizationID: benchSeedOrg, Type: "vex", Actions: actions})
		if err != nil {
			return 0, 0, nil, err
		}
		var rep workflows.RestoreReport
		if err := run.Get(ctx, &rep); err != nil {
			return 0, 0, nil, err
		}
		if rep.ActionCounts == nil || rep.ActionCounts.Succeeded != len(actions) {
			return 0, 0, nil, fmt.Errorf("restore %s: actions %+v, want all %d succeeded", id, rep.ActionCounts, len(actions))
		}
		h, err := fetchHistory(ctx, st.c, id)
		if err != nil {
			return 0, 0, nil, err
		}
		stats := sim.sim.Stats()
		return h.Events, apiRequests(stats.Requests), stats.Requests, nil
	}
	logf("actions: one restore with 1 action, one with %d", actionsPerRestore)
	if res.EventsOne, res.RequestsOne, _, err = one(fiveActions(profile)[:1]); err != nil {
		return nil, err
	}
	if res.EventsFive, res.RequestsFive, res.RequestRoutes, err = one(fiveActions(profile)); err != nil {
		return nil, err
	}
	extra := float64(actionsPerRestore - 1)
	res.PerActionEvents = float64(res.EventsFive-res.EventsOne) / extra
	res.PerActionRequests = float64(res.RequestsFive-res.RequestsOne) / extra

	logf("actions: a playbook of %d restores with %d actions each (at most %d being created at once)", cfg.restores, actionsPerRestore, cfg.maxConcurrent)
	in := playbook.Input{Name: "bench actions", MaxConcurrent: cfg.maxConcurrent}
	for range cfg.restores {
		in.Restores = append(in.Restores, workflows.RestoreInput{OrganizationID: benchSeedOrg, Type: "vex", Actions: fiveActions(profile)})
	}
	pid := "bench-actions-playbook-" + uuid.NewString()
	before := len(sim.sim.Restores())
	began := time.Now()
	run, err := st.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: pid, TaskQueue: tq}, playbook.WorkflowName, in)
	if err != nil {
		return nil, err
	}
	var rep playbook.Report
	if err := run.Get(ctx, &rep); err != nil {
		return nil, err
	}
	res.Took = time.Since(began)
	for _, row := range rep.Rows {
		if row.State == playbook.RowDone {
			res.RowsDone++
		}
		if row.Actions != nil {
			res.ActionsSucceeded += row.Actions.Succeeded
		}
		h, err := fetchHistory(ctx, st.c, row.WorkflowID)
		if err != nil {
			return nil, err
		}
		res.MaxChildEvents = max(res.MaxChildEvents, h.Events)
		var rr workflows.RestoreReport
		if err := st.c.GetWorkflow(ctx, row.WorkflowID, "").Get(ctx, &rr); err != nil {
			return nil, fmt.Errorf("restore %s: %w", row.WorkflowID, err)
		}
		for _, a := range rr.Actions {
			if a.State != workflows.ActionSuccess {
				if res.NotSucceeded == nil {
					res.NotSucceeded = map[string]int{}
				}
				key := string(a.State)
				if a.ErrorType != "" {
					key += " " + a.ErrorType
				}
				res.NotSucceeded[key]++
				if res.NotSucceeded[key] == 1 {
					logf("actions: an action %s: %s", key, a.Error)
					logf("actions: its restore's activity failures: %s", activityFailures(ctx, st, row.WorkflowID))
				}
			}
		}
	}
	res.VB365Restores = len(sim.sim.Restores()) - before
	if res.PlaybookEvents, res.PlaybookRuns, err = allRunsEvents(ctx, st, pid, run.GetRunID()); err != nil {
		return nil, err
	}
	logf("actions: %d of %d rows done, %d actions succeeded, in %s", res.RowsDone, cfg.restores, res.ActionsSucceeded, res.Took.Round(time.Second))
	return res, nil
}

// allRunsEvents counts the history events of every run of a workflow that
// may have continued as new, from its first run, and the runs.
func allRunsEvents(ctx context.Context, st *stack, id, firstRunID string) (events, runs int, err error) {
	runID := firstRunID
	for {
		h, next, err := runHistory1(ctx, st, id, runID)
		if err != nil {
			return 0, 0, err
		}
		events += h
		runs++
		if next == "" {
			return events, runs, nil
		}
		runID = next
	}
}

func (r *report) actionsTargets() []target {
	a := r.actions
	if a == nil {
		return nil
	}
	return []target{
		{"History events per restore action", fmt.Sprintf("≤ %d plus its progress updates", actionHistoryBudget),
			fmt.Sprintf("%.1f (a restore with %d actions: %d events; with 1: %d)", a.PerActionEvents, actionsPerRestore, a.EventsFive, a.EventsOne),
			verdict(a.PerActionEvents <= actionHistoryBudget)},
		{fmt.Sprintf("A playbook of %d restores with %d actions each", a.Restores, actionsPerRestore), "far from the history limits (50,000 events, 50 MB per run)",
			fmt.Sprintf("playbook %d events over %d run(s); largest restore %d events; %d of %d restores done, %d of %d actions succeeded",
				a.PlaybookEvents, a.PlaybookRuns, a.MaxChildEvents, a.RowsDone, a.Restores, a.ActionsSucceeded, a.Restores*actionsPerRestore),
			r.measured(a.Restores >= 200, a.RowsDone == a.Restores && a.ActionsSucceeded == a.Restores*actionsPerRestore &&
				a.MaxChildEvents < 5000 && a.PlaybookEvents/a.PlaybookRuns < 10000)},
	}
}

func (r *report) renderActions(p func(string, ...any)) {
	a := r.actions
	p("## 6. Restore actions")
	p("")
	p("One product worker and one simulator (its built-in organization; a restore takes %s per item). Each restore is an Exchange restore "+
		"of the seed's organization whose actions restore Adele Vance's, Alex Wilber's, Megan Bowen's and Lynne Robbins' mailboxes (120, 85, 64 and "+
		"140 items) to their original location and Adele Vance's to the recovery mailbox; VB365 API v8 (the restore answers at once and is followed "+
		"by reading it). The session is stopped when the last action ends.", vb365sim.DefaultRestoreItemDuration)
	p("")
	p("**Per action** (a restore with %d actions against one with 1, each alone on the worker):", actionsPerRestore)
	p("")
	p("| | 1 action | %d actions | per extra action |", actionsPerRestore)
	p("|---|---:|---:|---:|")
	p("| History events | %d | %d | %.1f |", a.EventsOne, a.EventsFive, a.PerActionEvents)
	p("| VB365 requests (token grants aside) | %d | %d | %.1f |", a.RequestsOne, a.RequestsFive, a.PerActionRequests)
	p("")
	p("VB365 requests of the restore with %d actions, by route:", actionsPerRestore)
	p("")
	p("| route | requests |")
	p("|---|---:|")
	for _, k := range sortedRoutes(a.RequestRoutes) {
		p("| `%s` | %d |", k, a.RequestRoutes[k])
	}
	p("")
	p("**A playbook of %d restores with %d actions each** (at most %d being created at once):", a.Restores, actionsPerRestore, a.MaxConcurrent)
	p("")
	p("| | |")
	p("|---|---|")
	p("| Took | %s |", a.Took.Round(time.Second))
	p("| Restores done | %d of %d |", a.RowsDone, a.Restores)
	p("| Actions succeeded | %d of %d; VB365 accepted %d restores |", a.ActionsSucceeded, a.Restores*actionsPerRestore, a.VB365Restores)
	for _, k := range sortedRoutes(a.NotSucceeded) {
		p("| Actions %s | %d |", k, a.NotSucceeded[k])
	}
	p("| Playbook history | %d events over %d run(s) |", a.PlaybookEvents, a.PlaybookRuns)
	p("| Largest restore's history | %d events |", a.MaxChildEvents)
	p("")
}

// benchSeedOrg is the simulator's built-in organization, whose sessions
// hold the mailboxes the actions restore.
const benchSeedOrg = "3c424478-0811-4920-8aab-01f0bf2a2822"

// runHistory1 counts the events of one run and returns the run it
// continued as new into, if any.
func runHistory1(ctx context.Context, st *stack, id, runID string) (events int, next string, err error) {
	it := st.c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return 0, "", err
		}
		events++
		if a := e.GetWorkflowExecutionContinuedAsNewEventAttributes(); a != nil {
			next = a.GetNewExecutionRunId()
		}
	}
	return events, next, nil
}

// activityFailures lists what ended the RestoreAction attempts of a
// workflow that did not complete (timeouts and failures), for the log.
func activityFailures(ctx context.Context, st *stack, id string) string {
	it := st.c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []string
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return err.Error()
		}
		if a := e.GetActivityTaskTimedOutEventAttributes(); a != nil {
			out = append(out, fmt.Sprintf("timed out (%s): %s", a.GetRetryState(), a.GetFailure().GetMessage()))
		}
		if a := e.GetActivityTaskFailedEventAttributes(); a != nil {
			out = append(out, fmt.Sprintf("failed (attempt %s): %s", a.GetRetryState(), a.GetFailure().GetMessage()))
		}
		if a := e.GetActivityTaskStartedEventAttributes(); a != nil && a.GetAttempt() > 1 {
			f := a.GetLastFailure()
			out = append(out, fmt.Sprintf("attempt %d after: %s", a.GetAttempt(), f.GetMessage()))
		}
	}
	return strings.Join(out, "; ")
}
