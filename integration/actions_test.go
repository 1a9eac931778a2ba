package integration

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktemporal "go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/internal/gomodule"
	"github.com/vb365-restore/vb365-restore/internal/testenv"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
	"github.com/vb365-restore/vb365-restore/workflows/playbook"
)

// Restore actions end to end: the workflow runs each action in the session
// it opened, through the real worker and a real Temporal server, against the
// simulator's built-in organization; every report is held to the
// simulator's ground truth (which restores it accepted, with which counts).

// Credential profiles of the actions' worker: good is what the simulated
// Microsoft 365 accepts, wrong a password it refuses.
const (
	profileGood  = testenv.RestoreProfile
	profileWrong = "m365-wrong"
	profileApp   = "m365-app"
	// wrongM365Password is a password the simulated Microsoft 365 refuses;
	// distinctive, so that the secrets test can look for it.
	wrongM365Password = "Wombat-9043-Wr0ng-M365"
	// appCertificate is the content of the application's certificate file
	// (the simulator takes any certificate); sent base64-encoded.
	appCertificate = "PFX-Narwhal-5520-certificate-bytes"
)

// actionEnv is the worker environment of the actions' tests: the API
// version and a credential profiles file.
func actionEnv(t *testing.T, version string) []string {
	t.Helper()
	dir := t.TempDir()
	cert := filepath.Join(dir, "app.pfx")
	require.NoError(t, os.WriteFile(cert, []byte(appCertificate), 0o600))
	wrong := testenv.SimRestoreAccount()
	wrong.Password = wrongM365Password
	creds, err := testenv.WriteRestoreCredentials(dir, map[string]testenv.CredentialProfile{
		profileGood:  testenv.SimRestoreAccount(),
		profileWrong: wrong,
		profileApp: {ApplicationID: vb365sim.RestoreApplicationID, CertificateFile: cert,
			CertificatePassword: vb365sim.RestoreCertificatePassword, ImpersonationAccountName: vb365sim.RestoreUserName},
	})
	require.NoError(t, err)
	env := []string{creds}
	if version != "" {
		env = append(env, "VB365_API_VERSION="+version)
	}
	return env
}

// actionSim is the simulator of the actions' tests: the built-in data with
// one View as a session's script (an empty one means the built-in script),
// instead of the built-in restores of a session's first seconds, which
// VB365 v8 counts in the session's statistics beside the actions'
// (TestActionsCountsBesideOtherRestores has them).
func actionSim() vb365sim.Options {
	sc := vb365sim.BuiltinScenario()
	sc.Events = []vb365sim.ScriptedEvent{{Offset: vb365sim.Duration(100 * time.Millisecond), Duration: vb365sim.Duration(100 * time.Millisecond),
		Type: "View", Status: "Success", Title: "Explore", Message: "Opened {type} backup of {org}", ItemName: "{org}", ItemType: "Organization"}}
	return vb365sim.Options{Scenario: sc}
}

// actionInput is a restore of the seed organization of type typ running
// actions, polled every second.
func actionInput(typ string, actions ...activities.RestoreAction) workflows.RestoreInput {
	return workflows.RestoreInput{OrganizationID: seedOrg, Type: typ, PollInterval: "1s", Actions: actions}
}

// The built-in data's actions, by session type, to the original location
// and elsewhere.
func mailboxTo(target, to, folder string) activities.RestoreAction {
	a := activities.RestoreAction{Kind: activities.RestoreKindMailbox, Target: target, CredentialProfile: profileGood}
	if to != "" {
		a.To = &activities.RestoreLocation{Mailbox: to, Folder: folder}
	}
	return a
}

func allKindsByType() map[string][]activities.RestoreAction {
	return map[string][]activities.RestoreAction{
		"vex": {
			mailboxTo(vb365sim.MailboxAdele, "", ""),
			mailboxTo(vb365sim.MailboxAdele, vb365sim.MailboxRecovery, "DR/Adele"),
			{Kind: activities.RestoreKindMailboxes, Targets: []string{vb365sim.MailboxAlex, vb365sim.MailboxMegan}, CredentialProfile: profileGood},
		},
		"veod": {
			{Kind: activities.RestoreKindOneDrive, Target: vb365sim.MailboxMegan, CredentialProfile: profileGood, DocumentAction: "Overwrite"},
			{Kind: activities.RestoreKindOneDrive, Target: vb365sim.MailboxMegan, CredentialProfile: profileGood,
				To: &activities.RestoreLocation{OneDrive: vb365sim.MailboxAlex, Folder: "From Megan"}},
		},
		"vesp": {
			{Kind: activities.RestoreKindSite, Target: vb365sim.SiteFinance, CredentialProfile: profileGood, RestoreSubsites: new(true), RestorePermissions: new(true)},
			{Kind: activities.RestoreKindSite, Target: vb365sim.SiteMarketing, CredentialProfile: profileGood,
				To: &activities.RestoreLocation{SiteURL: vb365sim.SiteFinance}},
		},
		"vet": {
			{Kind: activities.RestoreKindTeam, Target: vb365sim.TeamFinance, CredentialProfile: profileGood,
				RestoreChangedItems: new(true), RestoreMissingItems: new(true), RestoreMembers: new(true), RestoreSettings: new(true)},
			{Kind: activities.RestoreKindChannel, Target: vb365sim.TeamMark8, Channel: "Research and Development", CredentialProfile: profileGood,
				RestoreChangedItems: new(true), RestoreMissingItems: new(true)},
		},
	}
}

// checkActions holds a report's actions to the simulator: the actions that
// reached VB365 (a restore id) are, in order, the restores VB365 accepted in
// the report's session, one each (never two), with the same item counts;
// the action counts add up; the session is stopped and every event
// recorded.
func checkActions(t *testing.T, s *stack, rep workflows.RestoreReport) []vb365sim.RestoreView {
	t.Helper()
	var inSession []vb365sim.RestoreView
	for _, r := range s.sim.Restores() {
		if r.SessionID == rep.Session.ID {
			inSession = append(inSession, r)
		}
	}
	var reached []workflows.ActionReport
	counts := workflows.ActionCounts{Total: len(rep.Actions)}
	for i, a := range rep.Actions {
		require.Equal(t, i, a.Index)
		switch a.State {
		case workflows.ActionSuccess:
			counts.Succeeded++
		case workflows.ActionWarning:
			counts.PartlySucceeded++
		case workflows.ActionFailed:
			counts.Failed++
		case workflows.ActionSkipped:
			counts.Skipped++
		case workflows.ActionCanceled:
			counts.Canceled++
		default:
			t.Fatalf("action %d ended %q", i, a.State)
		}
		if a.RestoreActionResult != nil && a.RestoreID != "" {
			reached = append(reached, a)
		}
	}
	require.NotNil(t, rep.ActionCounts)
	require.Equal(t, counts, *rep.ActionCounts, "action counts")
	require.Len(t, inSession, len(reached), "VB365 accepted one restore per action that reached it, never two: %+v", inSession)
	for i, a := range reached {
		if a.Adopted && inSession[i].APIVersion != "v8" {
			// v6 and v7 give a restore's counts only in the answer that was
			// lost; the events that found the restore carry none: the
			// report says so rather than showing zeros.
			require.True(t, a.CountsUnknown, "action %d (%s): adopted on %s", a.Index, a.Kind, inSession[i].APIVersion)
			require.Equal(t, activities.RestoreCounts{}, a.Counts)
			continue
		}
		require.False(t, a.CountsUnknown, "action %d (%s): VB365 gave its counts", a.Index, a.Kind)
		var want activities.RestoreCounts
		for _, it := range inSession[i].Items {
			want.Total += it.Total
			want.Restored += it.Restored
			want.Failed += it.Failed
			want.Skipped += it.Skipped
		}
		got := a.Counts
		got.Warnings = 0 // VB365's warnings are not item counts
		require.Equal(t, want, got, "action %d (%s): counts against VB365's", a.Index, a.Kind)
	}
	require.Empty(t, testenv.WorkingSessions(s.sim), "sessions left open")
	require.NoError(t, testenv.CheckRecorded(s.sim, rep))
	return inSession
}

// Each kind of action, to its original location and elsewhere, on v6, v7
// and v8: every action succeeds, VB365 restored each once with the counts
// the report gives, and the session is stopped when the last one ends.
func TestActionsEachKindEachVersion(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"v6", "v7", "v8"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, actionSim(), actionEnv(t, version)...)
			for typ, actions := range allKindsByType() {
				t.Run(typ, func(t *testing.T) {
					run := s.start(actionInput(typ, actions...))
					rep, err := resultOf(t, run)
					require.NoError(t, err)
					require.Len(t, rep.Actions, len(actions))
					for _, a := range rep.Actions {
						require.Equal(t, workflows.ActionSuccess, a.State, "action %d %s: %s %s", a.Index, a.Action.Kind, a.ErrorType, a.Error)
						require.NotNil(t, a.RestoreActionResult)
						require.NotEmpty(t, a.Resolved, "the target as resolved")
						require.NotZero(t, a.Counts.Total)
						require.Equal(t, a.Counts.Total, a.Counts.Restored)
						require.False(t, a.Start.IsZero() || a.End.Before(a.Start), "start %s, end %s", a.Start, a.End)
					}
					require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
					require.Equal(t, "restore actions done", rep.StopReason, "the workflow stopped the session itself")
					restores := checkActions(t, s, rep)
					for _, r := range restores {
						require.Equal(t, version, r.APIVersion)
					}
				})
			}
		})
	}
}

// Other restores run in the session while an action does (the built-in
// script's restores of a session's first seconds, as an operator's in
// Veeam Explorer would): the action's counts are its own restore's, not
// the session's.
func TestActionsCountsBesideOtherRestores(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"v7", "v8"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, vb365sim.Options{}, actionEnv(t, version)...)
			rep, err := resultOf(t, s.start(actionInput("vex", mailboxTo(vb365sim.MailboxAdele, "", ""), mailboxTo(vb365sim.MailboxAlex, "", ""))))
			require.NoError(t, err)
			checkActions(t, s, rep)
		})
	}
}

// A target the session does not hold fails its action with
// RestoreTargetNotFound and restores nothing; a mailbox gone from Microsoft
// 365 is restored by VB365 and fails there; a profile the worker does not
// have is InvalidRequest; the other actions still run.
func TestActionsFailuresDoNotStopTheOthers(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"v6", "v7", "v8"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			testActionsFailures(t, version)
		})
	}
}

func testActionsFailures(t *testing.T, version string) {
	s := newStack(t, actionSim(), actionEnv(t, version)...)
	run := s.start(actionInput("vex",
		mailboxTo("nobody@abc.onmicrosoft.com", "", ""),
		mailboxTo(vb365sim.MailboxFormer, "", ""),
		activities.RestoreAction{Kind: activities.RestoreKindMailbox, Target: vb365sim.MailboxAdele, CredentialProfile: "no-such-profile"},
		mailboxTo(vb365sim.MailboxAlex, "", ""),
	))
	rep, err := resultOf(t, run)
	require.NoError(t, err)
	require.Len(t, rep.Actions, 4)

	notFound := rep.Actions[0]
	require.Equal(t, workflows.ActionFailed, notFound.State)
	require.Equal(t, activities.ErrTypeRestoreTargetNotFound, notFound.ErrorType)
	require.Contains(t, notFound.Error, "nobody@abc.onmicrosoft.com")

	gone := rep.Actions[1]
	require.Equal(t, workflows.ActionFailed, gone.State, "%s %s", gone.ErrorType, gone.Error)
	require.NotNil(t, gone.RestoreActionResult)
	require.NotEmpty(t, gone.FailedItems, "VB365's reason is in the report")

	noProfile := rep.Actions[2]
	require.Equal(t, workflows.ActionFailed, noProfile.State)
	require.Equal(t, activities.ErrTypeInvalidRequest, noProfile.ErrorType)
	require.Contains(t, noProfile.Error, "no-such-profile")

	require.Equal(t, workflows.ActionSuccess, rep.Actions[3].State)
	require.Equal(t, workflows.ActionCounts{Total: 4, Succeeded: 1, Failed: 3}, *rep.ActionCounts)
	checkActions(t, s, rep)
}

// stopOnFailure: the actions after a failed one are skipped.
func TestActionsStopOnFailureSkipsTheRest(t *testing.T) {
	t.Parallel()
	s := newStack(t, actionSim(), actionEnv(t, "v8")...)
	in := actionInput("vex", mailboxTo("nobody@abc.onmicrosoft.com", "", ""), mailboxTo(vb365sim.MailboxAlex, "", ""))
	in.StopOnFailure = true
	rep, err := resultOf(t, s.start(in))
	require.NoError(t, err)
	require.Equal(t, workflows.ActionFailed, rep.Actions[0].State)
	require.Equal(t, workflows.ActionSkipped, rep.Actions[1].State)
	checkActions(t, s, rep)
	require.Empty(t, s.sim.Restores(), "nothing restored")
}

// Credentials Microsoft 365 refuses fail the action, on every version,
// and VB365 restores nothing.
func TestActionsBadCredentials(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"v6", "v7", "v8"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, actionSim(), actionEnv(t, version)...)
			a := mailboxTo(vb365sim.MailboxAdele, "", "")
			a.CredentialProfile = profileWrong
			rep, err := resultOf(t, s.start(actionInput("vex", a)))
			require.NoError(t, err)
			require.Equal(t, workflows.ActionFailed, rep.Actions[0].State)
			require.NotEmpty(t, rep.Actions[0].ErrorType)
			require.NotContains(t, rep.Actions[0].Error, wrongM365Password)
			checkActions(t, s, rep)
			for _, r := range s.sim.Restores() {
				for _, it := range r.Items {
					require.Zero(t, it.Restored, "nothing restored with refused credentials")
				}
			}
		})
	}
}

// Microsoft 365 throttles: the restore partly succeeds (warning), and the
// report names the failed items with VB365's reasons.
func TestActionsPartialSuccessReportsItemErrors(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"v7", "v8"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, actionSim(), actionEnv(t, version)...)
			require.NoError(t, s.sim.SetRestoreBehaviour(vb365sim.RestoreBehaviour{Throttled: new(true)}))
			rep, err := resultOf(t, s.start(actionInput("vex", mailboxTo(vb365sim.MailboxLynne, "", ""))))
			require.NoError(t, err)
			a := rep.Actions[0]
			require.Equal(t, workflows.ActionWarning, a.State, "%s %s", a.ErrorType, a.Error)
			require.NotZero(t, a.Counts.Failed)
			require.NotZero(t, a.Counts.Restored)
			require.NotEmpty(t, a.FailedItems)
			for _, it := range a.FailedItems {
				require.NotEmpty(t, it.Reason)
			}
			require.Equal(t, workflows.ActionCounts{Total: 1, PartlySucceeded: 1}, *rep.ActionCounts)
			checkActions(t, s, rep)
		})
	}
}

// The answer to the restore request is lost (VB365 started the restore, the
// worker never heard): the next attempt finds that restore and follows it.
// VB365 restored once, not twice.
func TestActionsLostRestoreResponse(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"v6", "v7", "v8"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, actionSim(), actionEnv(t, version)...)
			s.sim.AddFault(vb365sim.Fault{Method: "POST", Path: "/*/RestoreSessions/*/organization/mailboxes/*/restore", DropAfterCommit: true})
			rep, err := resultOf(t, s.start(actionInput("vex", mailboxTo(vb365sim.MailboxAdele, "", ""))))
			require.NoError(t, err)
			require.Empty(t, s.sim.Faults(), "the answer was lost")
			a := rep.Actions[0]
			require.Equal(t, workflows.ActionSuccess, a.State, "%s %s", a.ErrorType, a.Error)
			require.True(t, a.Adopted, "the action followed the restore the lost request started")
			restores := checkActions(t, s, rep)
			require.Len(t, restores, 1, "restored once")
		})
	}
}

// The worker process is killed while a v7 restore runs (v7 answers the
// restore request only when it is done): a new worker resumes following
// that restore, and VB365 restored once.
func TestActionsWorkerKilledDuringLongV7Restore(t *testing.T) {
	t.Parallel()
	root, err := gomodule.Root()
	require.NoError(t, err)
	bin, err := testenv.BuildWorker(root, t.TempDir())
	require.NoError(t, err)
	sim, err := testenv.StartSim(actionSim(), t.TempDir())
	require.NoError(t, err)
	t.Cleanup(sim.Close)
	// Adele's 120 items take 24 s.
	require.NoError(t, sim.SetRestoreBehaviour(vb365sim.RestoreBehaviour{ItemDuration: new(vb365sim.Duration(200 * time.Millisecond))}))
	tq := "it-actions-kill-v7"
	env := testenv.WorkerEnv(devServer, sim, append([]string{"TEMPORAL_TASK_QUEUE=" + tq}, actionEnv(t, "v7")...)...)

	first, err := testenv.StartWorkerProcess(bin, env)
	require.NoError(t, err)
	run := startOn(t, devServer.Client, tq, actionInput("vex", mailboxTo(vb365sim.MailboxAdele, "", "")))
	waitFor(t, long, "the restore running in VB365", func() bool { return len(sim.Restores()) == 1 })
	time.Sleep(2 * time.Second)
	first.Kill()

	second, err := testenv.StartWorkerProcess(bin, env)
	require.NoError(t, err)
	t.Cleanup(func() { _ = second.Terminate(30 * time.Second) })
	rep, err := resultOf(t, run)
	require.NoError(t, err, "worker logs:\n%s", second.Logs())
	a := rep.Actions[0]
	require.Equal(t, workflows.ActionSuccess, a.State, "%s %s", a.ErrorType, a.Error)
	restores := sim.Restores()
	require.Len(t, restores, 1, "restored once")
	require.True(t, a.Adopted, "the second worker followed the restore the first one started")
	require.True(t, a.CountsUnknown, "v7 gives the counts only in the answer the killed worker never read")
	require.Equal(t, "Success", restores[0].Items[0].Status, "the action ended when VB365's restore did")
	require.Empty(t, testenv.WorkingSessions(sim))
	require.NoError(t, testenv.CheckRecorded(sim, rep))
	attempts := activityAttempts(historyOf(t, devServer.Client, run.GetID()))[activities.RestoreActionName]
	require.Len(t, attempts, 1)
	require.Greater(t, attempts[0], int32(1), "the action was retried on the second worker")
}

// A stop or a cancel while an action runs: the action is canceled (VB365
// cancels the running restore when the session stops), the actions after
// it are skipped, and the session is stopped.
func TestActionsStopAndCancelDuringAnAction(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"stop", "cancel"} {
		for _, version := range []string{"v7", "v8"} {
			t.Run(how+"-"+version, func(t *testing.T) {
				t.Parallel()
				s := newStack(t, actionSim(), actionEnv(t, version)...)
				require.NoError(t, s.sim.SetRestoreBehaviour(vb365sim.RestoreBehaviour{ItemDuration: new(vb365sim.Duration(time.Second))}))
				run := s.start(actionInput("vex", mailboxTo(vb365sim.MailboxAdele, "", ""), mailboxTo(vb365sim.MailboxAlex, "", "")))
				waitFor(t, long, "the first action running in VB365", func() bool { return len(s.sim.Restores()) == 1 })
				waitFor(t, long, "the status showing it running", func() bool {
					st := status(t, run.GetID())
					return len(st.Actions) == 2 && st.Actions[0].State == workflows.ActionRunning
				})
				var rep workflows.RestoreReport
				if how == "stop" {
					stopByUpdate(t, run.GetID())
					var err error
					rep, err = resultOf(t, run)
					require.NoError(t, err)
					require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
				} else {
					require.NoError(t, devServer.Client.CancelWorkflow(context.Background(), run.GetID(), ""))
					_, err := resultOf(t, run)
					var ce *sdktemporal.CanceledError
					require.True(t, errors.As(err, &ce), "canceled: %v", err)
					require.NoError(t, ce.Details(&rep))
					require.Equal(t, workflows.EndReasonCanceled, rep.EndReason)
				}
				require.Equal(t, workflows.ActionCanceled, rep.Actions[0].State)
				require.Equal(t, workflows.ActionSkipped, rep.Actions[1].State)
				require.Equal(t, workflows.ActionCounts{Total: 2, Canceled: 1, Skipped: 1}, *rep.ActionCounts)
				restores := s.sim.Restores()
				require.Len(t, restores, 1, "the second action never reached VB365")
				require.Equal(t, "Cancelled", restores[0].Items[0].Status, "the stop cancelled the running restore in VB365")
				require.Empty(t, testenv.WorkingSessions(s.sim))
				require.NoError(t, testenv.CheckRecorded(s.sim, rep))
			})
		}
	}
}

// keepSessionOpen: the session stays open after the actions until a stop.
func TestActionsKeepSessionOpen(t *testing.T) {
	t.Parallel()
	s := newStack(t, actionSim(), actionEnv(t, "v8")...)
	in := actionInput("vex", mailboxTo(vb365sim.MailboxMegan, "", ""))
	in.KeepSessionOpen = true
	run := s.start(in)
	waitFor(t, long, "the action done", func() bool {
		st := status(t, run.GetID())
		return st.ActionCounts != nil && st.ActionCounts.Succeeded == 1
	})
	time.Sleep(3 * time.Second)
	require.Len(t, testenv.WorkingSessions(s.sim), 1, "the session stays open")
	stopByUpdate(t, run.GetID())
	rep, err := resultOf(t, run)
	require.NoError(t, err)
	require.Equal(t, workflows.EndReasonStopRequested, rep.EndReason)
	checkActions(t, s, rep)
}

// A playbook of 20 restores with actions: every row ends done with its
// action counts, and VB365 ran each action once.
func TestActionsPlaybookOf20(t *testing.T) {
	t.Parallel()
	s := newStack(t, actionSim(), actionEnv(t, "v8")...)
	kinds := allKindsByType()
	types := []string{"vex", "veod", "vesp", "vet"}
	in := playbook.Input{Name: "20 restores with actions", MaxConcurrent: 5}
	wantActions := 0
	for i := range 20 {
		typ := types[i%len(types)]
		r := actionInput(typ, kinds[typ]...)
		r.PollInterval = "2s"
		in.Restores = append(in.Restores, r)
		wantActions += len(kinds[typ])
	}
	run := s.startPlaybook(in)
	ctx, cancel := context.WithTimeout(context.Background(), 2*long)
	defer cancel()
	var rep playbook.Report
	require.NoError(t, run.Get(ctx, &rep))
	require.Len(t, rep.Rows, 20)
	total := 0
	for _, row := range rep.Rows {
		require.Equal(t, playbook.RowDone, row.State, "row %d: %s %s", row.Index, row.ErrorType, row.Error)
		require.NotNil(t, row.Actions, "row %d", row.Index)
		require.Equal(t, row.Actions.Total, row.Actions.Succeeded, "row %d: %+v", row.Index, *row.Actions)
		total += row.Actions.Total
	}
	require.Equal(t, wantActions, total)
	require.Len(t, s.sim.Restores(), wantActions, "each action restored once")
	checkPlaybookRows(t, s, rep)
	for _, row := range rep.Rows {
		var rr workflows.RestoreReport
		require.NoError(t, devServer.Client.GetWorkflow(context.Background(), row.WorkflowID, "").Get(context.Background(), &rr))
		checkActions(t, s, rr)
	}
}

// The README's walk-through: the example DR drill playbook with
// `starter playbook --follow`, and `starter restore --action ... --follow`,
// print the actions with their counts and exit 0.
func TestActionsStarterAndExamplePlaybook(t *testing.T) {
	t.Parallel()
	s := newStack(t, actionSim(), actionEnv(t, "v8")...)
	starter := starterCommand(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), long)
	defer cancel()
	root, err := gomodule.Root()
	require.NoError(t, err)

	out, err := starter(ctx, "playbook", "--file", filepath.Join(root, "examples", "playbooks", "dr-drill-original-location.json"), "--follow").CombinedOutput()
	require.NoError(t, err, string(out))
	got := string(out)
	require.Contains(t, got, "vex: done")
	require.Contains(t, got, "actions 2: 2 succeeded")
	require.Contains(t, got, "vesp: done")
	require.Contains(t, got, "vet: done")
	require.Contains(t, got, "actions 1: 1 succeeded")
	require.Contains(t, got, "done: 3 done")
	require.Len(t, s.sim.Restores(), 4, "two mailboxes, a site and a team, once each")

	out, err = starter(ctx, "restore", "--org", seedOrg, "--type", "vex", "--poll-interval", "1s", "--follow",
		"--action", "mailbox:"+vb365sim.MailboxMegan+",credentialProfile="+profileGood,
		"--action", "mailbox:"+vb365sim.MailboxLynne+",to.mailbox="+vb365sim.MailboxRecovery+",to.folder=DR,credentialProfile="+profileGood).CombinedOutput()
	require.NoError(t, err, string(out))
	got = string(out)
	require.Contains(t, got, "action 1 mailbox "+vb365sim.MailboxMegan+" to the original location, profile "+profileGood+": success")
	require.Contains(t, got, "action 2 mailbox "+vb365sim.MailboxLynne+" to "+vb365sim.MailboxRecovery+"/DR, profile "+profileGood+": success")
	require.Contains(t, got, "actions: 2: 2 succeeded")
	require.Len(t, s.sim.Restores(), 6)
	require.Empty(t, testenv.WorkingSessions(s.sim))
}
