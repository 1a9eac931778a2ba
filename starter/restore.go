package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/config"
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
}

// restoreRequest is what restoreFlags say, checked.
type restoreRequest struct {
	input       workflows.RestoreInput
	sessionType vb365.SessionType
	at          *time.Time // nil: the latest restore point
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
			"exchange|sharepoint|onedrive|teams.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := f.request()
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
	fl.StringVar(&f.maxDuration, "max-duration", "8h", "stop the session after this long (at most 168h)")
	fl.StringVar(&f.pollInterval, "poll-interval", "15s", "how often the workflow polls an active session (1s to 10m)")
	fl.StringVar(&f.id, "id", "", "workflow ID (default vb365-restore-<org>-<type>-<unix-seconds>)")
	fl.BoolVar(&f.follow, "follow", false, "follow the restore: print its events and phases until it ends; Ctrl-C detaches")
	return cmd
}

// request checks the flags and builds the workflow input.
func (f restoreFlags) request() (restoreRequest, error) {
	var r restoreRequest
	org := strings.TrimSpace(f.org)
	if org == "" {
		return r, usageErrorf("--org is required")
	}
	if f.sessionType == "" {
		return r, usageErrorf("--type is required: vex, vesp, veod or vet (or exchange, sharepoint, onedrive, teams)")
	}
	st, err := vb365.ParseSessionType(f.sessionType)
	if err != nil {
		return r, usageErrorf("--type: %v", err)
	}
	r.sessionType = st
	pointInTime := ""
	if at := strings.TrimSpace(f.at); at != "" && !strings.EqualFold(at, "latest") {
		t, err := parsePointInTime(at)
		if err != nil {
			return r, usageErrorf("--at %q: want RFC 3339 (2020-10-30T10:54:40Z) or yyyy-MM-dd HH:mm:ss (UTC)", f.at)
		}
		r.at = &t
		pointInTime = t.Format(time.RFC3339Nano)
	}
	bfb := strings.ToLower(strings.TrimSpace(f.beforeFirstBackup))
	if bfb != "fail" && bfb != "allow" {
		return r, usageErrorf("--before-first-backup %q: want fail or allow", f.beforeFirstBackup)
	}
	maxDuration, err := checkDuration("--max-duration", f.maxDuration, workflows.DefaultMaxSessionDuration,
		time.Nanosecond, workflows.MaxMaxSessionDuration, "more than 0 and at most 168h")
	if err != nil {
		return r, err
	}
	pollInterval, err := checkDuration("--poll-interval", f.pollInterval, workflows.DefaultPollInterval,
		workflows.MinPollInterval, workflows.MaxPollInterval, "between 1s and 10m")
	if err != nil {
		return r, err
	}
	r.input = workflows.RestoreInput{
		OrganizationID:     org,
		PointInTime:        pointInTime,
		Type:               strings.ToLower(string(st)),
		ShowDeleted:        f.showDeleted,
		ShowAllVersions:    f.showAllVersions,
		BeforeFirstBackup:  bfb,
		MaxSessionDuration: maxDuration,
		PollInterval:       pollInterval,
	}
	return r, nil
}

// checkDuration checks a duration flag as the workflow does
// (workflows/validate.go parseDuration) and returns the value to send: the
// flag trimmed, or def written out when it is empty.
func checkDuration(flag, v string, def, lo, hi time.Duration, bounds string) (string, error) {
	s := strings.TrimSpace(v)
	if s == "" {
		return def.String(), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return "", usageErrorf("%s %q: want a duration such as 8h, 90m or 15s", flag, v)
	}
	if d < lo || d > hi {
		return "", usageErrorf("%s %q: must be %s", flag, v, bounds)
	}
	return s, nil
}

// parsePointInTime reads the --at forms the workflow accepts.
func parsePointInTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	var lastErr error
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05", "2006.01.02 15:04:05"} {
		t, err := time.ParseInLocation(layout, s, time.UTC)
		if err == nil {
			return t, nil
		}
		lastErr = err
	}
	return time.Time{}, lastErr
}

// defaultWorkflowID is vb365-restore-<org>-<type>-<unix-seconds>.
func defaultWorkflowID(org string, st vb365.SessionType, now time.Time) string {
	return fmt.Sprintf("vb365-restore-%s-%s-%d", org, strings.ToLower(string(st)), now.Unix())
}

// summary is the workflow's one-line static summary in the Web UI, for
// example "Teams restore of 3c424478… at 2020-10-30T10:54:40Z".
func (r restoreRequest) summary() string {
	org := r.input.OrganizationID
	if len([]rune(org)) > 8 {
		org = string([]rune(org)[:8]) + "…"
	}
	when := "the latest restore point"
	if r.at != nil {
		when = r.at.Format(time.RFC3339)
	}
	s := fmt.Sprintf("%s restore of %s at %s", r.sessionType.Workload(), org, when)
	if len(s) > 200 {
		s = s[:200]
	}
	return s
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
	if r.at != nil {
		when = r.at.Format(time.RFC3339Nano)
	}
	in := r.input
	var b strings.Builder
	fmt.Fprintf(&b, "### %s restore session\n\n", r.sessionType.Workload())
	fmt.Fprintf(&b, "| | |\n| --- | --- |\n")
	fmt.Fprintf(&b, "| Organization | `%s` |\n", in.OrganizationID)
	fmt.Fprintf(&b, "| Point in time | %s |\n", when)
	fmt.Fprintf(&b, "| Type | %s (`%s`) |\n", r.sessionType.Workload(), in.Type)
	fmt.Fprintf(&b, "| Show deleted items | %s |\n", yesNo(in.ShowDeleted))
	fmt.Fprintf(&b, "| Show all versions | %s |\n", yesNo(in.ShowAllVersions))
	fmt.Fprintf(&b, "| Before first backup | %s |\n", in.BeforeFirstBackup)
	fmt.Fprintf(&b, "| Maximum session duration | %s |\n", in.MaxSessionDuration)
	fmt.Fprintf(&b, "| Poll interval | %s |\n", in.PollInterval)
	fmt.Fprintf(&b, "| Started by | %s, %s, with the vb365-restore starter |\n", by, now.UTC().Format(time.RFC3339))
	return b.String()
}

// startOptions are the StartWorkflowOptions of a restore.
func (r restoreRequest) startOptions(cfg config.Temporal, id, by string, now time.Time) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:            id,
		TaskQueue:     cfg.TaskQueue,
		StaticSummary: r.summary(),
		StaticDetails: r.details(by, now),
	}
}

func (a *app) startRestore(cmd *cobra.Command, f restoreFlags, req restoreRequest) error {
	ctx := cmd.Context()
	now := a.now()
	id := strings.TrimSpace(f.id)
	if id == "" {
		id = defaultWorkflowID(req.input.OrganizationID, req.sessionType, now)
	}
	c, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	run, err := c.ExecuteWorkflow(ctx, req.startOptions(a.cfg, id, requestedBy(), now), workflows.RestoreSessionWorkflowName, req.input)
	if err != nil {
		return &temporalError{fmt.Errorf("start workflow %s: %w", id, err)}
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
