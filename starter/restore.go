package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/internal/follow"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// restoreFlags are the flags of the restore subcommand.
type restoreFlags struct {
	org               string
	at                string
	sessionType       string
	showDeleted       bool
	showAllVersions   bool
	beforeFirstBackup string
	maxDuration       string
	pollInterval      string
	id                string
	follow            bool
	actions           []string // --action, each as written
	actionsFile       string
	keepSessionOpen   bool
	stopOnFailure     bool
	stdin             io.Reader // read by --actions-file -; nil: os.Stdin
}

// restoreRequest is what restoreFlags say, checked by the workflow's own
// validation.
type restoreRequest struct {
	input workflows.RestoreInput // what is sent: req written in one form
	req   workflows.RestoreRequest
}

func (a *app) restoreCommand() *cobra.Command {
	var f restoreFlags
	cmd := &cobra.Command{
		Use:   "restore --org ID --type vex|vesp|veod|vet [--at TIME] [flags]",
		Short: "Start a restore session workflow (and follow it with --follow)",
		Long: "Start RestoreSessionWorkflow for an organization: it checks the point in time against the\n" +
			"backup window, opens the VB365 restore session, records its events and stops it at the end.\n\n" +
			"--at takes RFC 3339 (2020-10-30T10:54:40Z) or 'yyyy-MM-dd HH:mm:ss' / 'yyyy.MM.dd HH:mm:ss' in UTC;\n" +
			"without it the latest restore point opens. --type takes vex|vesp|veod|vet or\n" +
			"exchange|sharepoint|onedrive|teams.\n\n" +
			"Restore actions run in order inside the session once it is open (VB365 v6 or later); the\n" +
			"session is stopped when they end unless --keep-session-open. Give them with --action or as a\n" +
			"JSON array with --actions-file (the \"actions\" of the workflow's input, read strictly):\n\n" +
			actionGrammar,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := f.request(a.now())
			if err != nil {
				return err
			}
			return a.startRestore(cmd, f, req)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.org, "org", "", "organization ID (required)")
	fl.StringVar(&f.at, "at", "", "point in time to restore (default: the latest restore point)")
	fl.StringVar(&f.sessionType, "type", "", "restore session type: vex, vesp, veod, vet (or exchange, sharepoint, onedrive, teams) (required)")
	fl.BoolVar(&f.showDeleted, "show-deleted", false, "show deleted items in the session")
	fl.BoolVar(&f.showAllVersions, "show-all-versions", false, "show all item versions in the session")
	fl.StringVar(&f.beforeFirstBackup, "before-first-backup", "fail", "a point in time before the first backup: fail or allow (VB365 then opens an empty session)")
	// Empty duration flags leave the defaults to the workflow.
	fl.StringVar(&f.maxDuration, "max-duration", "", fmt.Sprintf("stop the session after this long (default %gh, at most %gh)",
		workflows.DefaultMaxSessionDuration.Hours(), workflows.MaxMaxSessionDuration.Hours()))
	fl.StringVar(&f.pollInterval, "poll-interval", "", fmt.Sprintf("how often the workflow polls an active session (default %gs, %gs to %gm)",
		workflows.DefaultPollInterval.Seconds(), workflows.MinPollInterval.Seconds(), workflows.MaxPollInterval.Minutes()))
	fl.StringVar(&f.id, "id", "", "workflow ID (default vb365-restore-<org>-<type>-<unix-seconds>); a restore of that ID still running is not started again")
	fl.BoolVar(&f.follow, "follow", false, "follow the restore: print its events, phases and actions until it ends; Ctrl-C detaches")
	fl.StringArrayVar(&f.actions, "action", nil, "a restore action KIND:TARGET[,OPTION=VALUE...] (repeatable; see above)")
	fl.StringVar(&f.actionsFile, "actions-file", "", "a JSON array of restore actions (- reads standard input); not with --action")
	fl.BoolVar(&f.keepSessionOpen, "keep-session-open", false, "keep the session open after the actions, until stop or --max-duration")
	fl.BoolVar(&f.stopOnFailure, "stop-on-failure", false, "skip the actions after one that failed")
	return cmd
}

// request checks the flags with workflows.ValidateInput against now, so
// that the starter refuses exactly what the workflow would refuse, and
// builds the input to send.
func (f restoreFlags) request(now time.Time) (restoreRequest, error) {
	var r restoreRequest
	if strings.TrimSpace(f.org) == "" {
		return r, usageErrorf("--org is required")
	}
	if strings.TrimSpace(f.sessionType) == "" {
		return r, usageErrorf("--type is required")
	}
	at := f.at
	if strings.EqualFold(strings.TrimSpace(at), "latest") {
		at = ""
	}
	actions, err := f.readActions()
	if err != nil {
		return r, err
	}
	req, err := workflows.ValidateInput(workflows.RestoreInput{
		Actions:            actions,
		KeepSessionOpen:    f.keepSessionOpen,
		StopOnFailure:      f.stopOnFailure,
		OrganizationID:     f.org,
		PointInTime:        at,
		Type:               f.sessionType,
		ShowDeleted:        f.showDeleted,
		ShowAllVersions:    f.showAllVersions,
		BeforeFirstBackup:  f.beforeFirstBackup,
		MaxSessionDuration: f.maxDuration,
		PollInterval:       f.pollInterval,
	}, now)
	if err != nil {
		return r, f.flagError(err)
	}
	return restoreRequest{input: req.Input(), req: req}, nil
}

// readActions reads --action or --actions-file (not both: their order
// would be a guess).
func (f restoreFlags) readActions() ([]activities.RestoreAction, error) {
	if f.actionsFile != "" && len(f.actions) > 0 {
		return nil, usageErrorf("--action and --actions-file: give the actions one way")
	}
	if f.actionsFile != "" {
		in := f.stdin
		if in == nil {
			in = os.Stdin
		}
		return readActionsFile(f.actionsFile, in)
	}
	var actions []activities.RestoreAction
	for _, spec := range f.actions {
		a, err := parseAction(spec)
		if err != nil {
			return nil, err
		}
		actions = append(actions, a)
	}
	return actions, nil
}

// flagOfField names the flag that sets each field of RestoreInput.
var flagOfField = map[string]string{
	"organizationId":     "--org",
	"pointInTime":        "--at",
	"type":               "--type",
	"beforeFirstBackup":  "--before-first-backup",
	"maxSessionDuration": "--max-duration",
	"pollInterval":       "--poll-interval",
	"keepSessionOpen":    "--keep-session-open",
	"stopOnFailure":      "--stop-on-failure",
}

// flagError is a validation error of the workflow as a usage error that
// names the flag; the message starts with the field's JSON name. A field of
// an action ("actions[2].to.mailbox ...") names --actions-file, or the
// --action that gave it, as written.
func (f restoreFlags) flagError(err error) error {
	msg := err.Error()
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		msg = ae.Message()
	}
	field, _, _ := strings.Cut(msg, " ")
	field = strings.TrimRight(field, ":,")
	if flag, ok := flagOfField[field]; ok {
		return usageErrorf("%s: %s", flag, msg)
	}
	if rest, ok := strings.CutPrefix(field, "actions"); ok {
		if f.actionsFile != "" {
			return usageErrorf("--actions-file %s: %s", f.actionsFile, msg)
		}
		var i int
		if _, err := fmt.Sscanf(rest, "[%d]", &i); err == nil && i >= 0 && i < len(f.actions) {
			return usageErrorf("--action %q: %s", f.actions[i], msg)
		}
		return usageErrorf("--action: %s", msg)
	}
	return usageErrorf("%s", msg)
}

// startError explains a refused start. A workflow of the same ID that is
// still running was started before (by another command, or by this one run
// twice within a second with the default ID, which is the same then): this
// command started nothing, and says so rather than "Started".
func (a *app) startError(what, id string, err error) error {
	var running *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &running) {
		return &temporalError{fmt.Errorf("not started: %s %s is already running (run %s), started before this command; "+
			"follow it with: starter status %s --follow", what, id, running.RunId, id)}
	}
	return &temporalError{fmt.Errorf("start %s %s: %w", what, id, err)}
}

// defaultWorkflowID is vb365-restore-<org>-<type>-<unix-seconds>.
func defaultWorkflowID(org string, st vb365.SessionType, now time.Time) string {
	return fmt.Sprintf("vb365-restore-%s-%s-%d", org, strings.ToLower(string(st)), now.Unix())
}

// summaryBound keeps a static summary to one short line of the Web UI
// (runes).
const summaryBound = 200

// summary is the workflow's one-line static summary in the Web UI, for
// example "Teams restore of 3c424478… at 2020-10-30T10:54:40Z".
func (r restoreRequest) summary() string {
	org := workflows.Clip(r.input.OrganizationID, 9)
	when := "the latest restore point"
	if r.req.PointInTime != nil {
		when = r.req.PointInTime.Format(time.RFC3339)
	}
	s := fmt.Sprintf("%s restore of %s at %s", r.req.Type.Workload(), org, when)
	if n := len(r.input.Actions); n > 0 {
		s += fmt.Sprintf(", %d restore action(s)", n)
	}
	return workflows.Clip(s, summaryBound)
}

// details is the workflow's static Markdown details in the Web UI.
func (r restoreRequest) details(by string, now time.Time) string {
	yesNo := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	when := "latest restore point"
	if r.req.PointInTime != nil {
		when = r.req.PointInTime.Format(time.RFC3339Nano)
	}
	in := r.input
	var b strings.Builder
	fmt.Fprintf(&b, "### %s restore session\n\n", r.req.Type.Workload())
	fmt.Fprintf(&b, "| | |\n| --- | --- |\n")
	fmt.Fprintf(&b, "| Organization | `%s` |\n", in.OrganizationID)
	fmt.Fprintf(&b, "| Point in time | %s |\n", when)
	fmt.Fprintf(&b, "| Type | %s (`%s`) |\n", r.req.Type.Workload(), in.Type)
	fmt.Fprintf(&b, "| Show deleted items | %s |\n", yesNo(in.ShowDeleted))
	fmt.Fprintf(&b, "| Show all versions | %s |\n", yesNo(in.ShowAllVersions))
	fmt.Fprintf(&b, "| Before first backup | %s |\n", in.BeforeFirstBackup)
	fmt.Fprintf(&b, "| Maximum session duration | %s |\n", in.MaxSessionDuration)
	fmt.Fprintf(&b, "| Poll interval | %s |\n", in.PollInterval)
	fmt.Fprintf(&b, "| Started by | %s, %s, with the vb365-restore starter |\n", by, now.UTC().Format(time.RFC3339))
	if len(in.Actions) > 0 {
		fmt.Fprintf(&b, "| Keep the session open after the actions | %s |\n", yesNo(in.KeepSessionOpen))
		fmt.Fprintf(&b, "| Stop on the first failed action | %s |\n", yesNo(in.StopOnFailure))
		fmt.Fprintf(&b, "\n#### Restore actions\n\n| # | Action |\n| --- | --- |\n")
		for i, a := range in.Actions {
			fmt.Fprintf(&b, "| %d | %s |\n", i+1, strings.ReplaceAll(follow.ActionText(a), "|", "\\|"))
		}
	}
	return b.String()
}

// startOptions are the StartWorkflowOptions of a restore.
func (r restoreRequest) startOptions(cfg config.Temporal, id, by string, now time.Time) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:            id,
		TaskQueue:     cfg.TaskQueue,
		StaticSummary: r.summary(),
		StaticDetails: r.details(by, now),
		// A running workflow of the same ID is an error, not a run handed
		// back as if this command had started it (see alreadyRunning).
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
}

func (a *app) startRestore(cmd *cobra.Command, f restoreFlags, req restoreRequest) error {
	ctx := cmd.Context()
	now := a.now()
	id := strings.TrimSpace(f.id)
	if id == "" {
		id = defaultWorkflowID(req.input.OrganizationID, req.req.Type, now)
	}
	c, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	run, err := c.ExecuteWorkflow(ctx, req.startOptions(a.cfg, id, requestedBy(), now), workflows.RestoreSessionWorkflowName, req.input)
	if err != nil {
		return a.startError("restore", id, err)
	}
	fmt.Fprintf(a.stdout, "Started %s\n", req.summary())
	fmt.Fprintf(a.stdout, "  Workflow ID: %s\n", run.GetID())
	fmt.Fprintf(a.stdout, "  Run ID:      %s\n", run.GetRunID())
	fmt.Fprintf(a.stdout, "  Web UI:      %s\n", a.cfg.WorkflowURL(run.GetID()))
	if !f.follow {
		fmt.Fprintf(a.stdout, "Follow it with: starter status %s --follow\n", run.GetID())
		return nil
	}
	return a.follow(ctx, c, run.GetID(), run.GetRunID())
}
