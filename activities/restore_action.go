package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// RestoreActionName is the activity that runs one restore action.
const RestoreActionName = "RestoreAction"

// Error types of a restore action.
const (
	// ErrTypeInvalidRequest is an action the input describes badly (a
	// field and its value named), or a credential profile the worker does
	// not have: not retryable.
	ErrTypeInvalidRequest = "InvalidRequest"
	// ErrTypeRestoreTargetNotFound is a target the restore session does not
	// hold (no mailbox with that address...): not retryable.
	ErrTypeRestoreTargetNotFound = "RestoreTargetNotFound"
	// ErrTypeRestoreActionOutcomeUnknown is a restore that may or may not
	// have started in VB365 (its request may have gone out, and no trace of
	// it can be found): not retryable, since restoring twice is worse than
	// asking an operator to look.
	ErrTypeRestoreActionOutcomeUnknown = "RestoreActionOutcomeUnknown"
)

// The kinds of restore action.
const (
	RestoreKindMailbox   = "mailbox"
	RestoreKindMailboxes = "mailboxes"
	RestoreKindOneDrive  = "onedrive"
	RestoreKindSite      = "site"
	RestoreKindTeam      = "team"
	RestoreKindChannel   = "channel"
)

// RestoreAction is one restore to run inside an open restore session. The
// target is named as an operator knows it: an e-mail address (mailbox,
// onedrive), several (mailboxes), a site URL (site), a team's display name
// (team, channel, with Channel the channel's). Without To, it restores to
// the original location; options are named as Veeam names them.
type RestoreAction struct {
	Kind    string   `json:"kind"`
	Target  string   `json:"target,omitempty"`
	Targets []string `json:"targets,omitempty"`
	Channel string   `json:"channel,omitempty"`
	// Archive picks a user's archive mailbox rather than the primary one.
	Archive bool             `json:"archive,omitempty"`
	To      *RestoreLocation `json:"to,omitempty"`
	// CredentialProfile names the worker's Microsoft 365 credentials
	// (VB365_RESTORE_CREDENTIALS_FILE) the restore uses.
	CredentialProfile string `json:"credentialProfile,omitempty"`

	DocumentAction              string `json:"documentAction,omitempty"`
	DocumentVersion             string `json:"documentVersion,omitempty"`
	DocumentLastVersionAction   string `json:"documentLastVersionAction,omitempty"`
	ChangedItems                *bool  `json:"changedItems,omitempty"`
	DeletedItems                *bool  `json:"deletedItems,omitempty"`
	MarkRestoredAsUnread        *bool  `json:"markRestoredAsUnread,omitempty"`
	ExcludeDrafts               *bool  `json:"excludeDrafts,omitempty"`
	ExcludeDeletedItems         *bool  `json:"excludeDeletedItems,omitempty"`
	ExcludeInPlaceHoldItems     *bool  `json:"excludeInPlaceHoldItems,omitempty"`
	ExcludeLitigationHoldItems  *bool  `json:"excludeLitigationHoldItems,omitempty"`
	SkipUnresolved              *bool  `json:"skipUnresolved,omitempty"`
	RestorePermissions          *bool  `json:"restorePermissions,omitempty"`
	SendSharedLinksNotification *bool  `json:"sendSharedLinksNotification,omitempty"`
	RestoreSubsites             *bool  `json:"restoreSubsites,omitempty"`
	RestoreListViews            *bool  `json:"restoreListViews,omitempty"`
	RestoreMasterPages          *bool  `json:"restoreMasterPages,omitempty"`
	RestoreChangedItems         *bool  `json:"restoreChangedItems,omitempty"`
	RestoreMissingItems         *bool  `json:"restoreMissingItems,omitempty"`
	RestoreMembers              *bool  `json:"restoreMembers,omitempty"`
	RestoreSettings             *bool  `json:"restoreSettings,omitempty"`
}

// RestoreLocation is where a restore goes instead of the original
// location: another mailbox (and folder), a OneDrive (by its owner's
// e-mail address, and folder), or another site.
type RestoreLocation struct {
	Mailbox  string `json:"mailbox,omitempty"`
	OneDrive string `json:"oneDrive,omitempty"`
	Folder   string `json:"folder,omitempty"`
	SiteURL  string `json:"siteUrl,omitempty"`
}

// RestoreActionInput runs one action in an open session.
type RestoreActionInput struct {
	SessionID string `json:"sessionId"`
	// SessionType is the session's type (Vex, Veod, Vesp, Vet).
	SessionType string        `json:"sessionType"`
	Action      RestoreAction `json:"action"`
	// EventsSeen is how many of the session's events there were before the
	// action (the workflow's count): the action's own events come after
	// them, which is how a restore started by a lost request is found.
	EventsSeen int `json:"eventsSeen"`
	// PollInterval is how often a running restore is read (default 5s).
	PollInterval time.Duration `json:"pollInterval,omitempty"`
}

// RestoreActionResult is what an action did.
type RestoreActionResult struct {
	Kind string `json:"kind"`
	// Target as asked, and Resolved: what the session holds under it.
	Target   string `json:"target"`
	Resolved string `json:"resolved"`
	// State: Success, Warning (partly restored) or Failed.
	State string `json:"state"`
	// RestoreID is VB365's id of the restore (v8's sessionId; v6/v7: the
	// session's id).
	RestoreID   string              `json:"restoreId"`
	Start       time.Time           `json:"start"`
	End         time.Time           `json:"end"`
	Counts      RestoreCounts       `json:"counts"`
	FailedItems []RestoreFailedItem `json:"failedItems,omitempty"`
	// Adopted: the action followed a restore that a request whose answer
	// was lost had started, rather than sending another.
	Adopted bool `json:"adopted,omitempty"`
	// CountsUnknown: VB365 gave no item counts for this restore, so Counts
	// are zeros that mean "not known", not "nothing restored". It happens
	// when a v6/v7 restore was adopted: v6 and v7 give a restore's counts
	// only in the answer to its request (they have no session statistics),
	// and the session's events that found the restore say how each object
	// ended, not how many items. State and FailedItems still hold.
	CountsUnknown bool `json:"countsUnknown,omitempty"`
}

// RestoreCounts are a restore's item counts.
type RestoreCounts struct {
	Total    int64 `json:"total"`
	Restored int64 `json:"restored"`
	Failed   int64 `json:"failed"`
	Skipped  int64 `json:"skipped"`
	Warnings int64 `json:"warnings"`
}

// RestoreFailedItem is an item that did not come back, with VB365's reason.
type RestoreFailedItem struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// maxFailedItems bounds the failed items a result carries.
const maxFailedItems = 10

// RestoreAPI is the part of the VB365 client restore actions use.
type RestoreAPI interface {
	Version(ctx context.Context) (vb365.Version, error)
	FindMailbox(ctx context.Context, sessionID, email string, archive bool) (*vb365.Mailbox, error)
	FindOneDrive(ctx context.Context, sessionID, email string) (*vb365.OneDrive, error)
	FindSite(ctx context.Context, sessionID, siteURL string) (*vb365.Site, error)
	FindTeam(ctx context.Context, sessionID, displayName string) (*vb365.Team, error)
	FindChannel(ctx context.Context, sessionID, teamID, displayName string) (*vb365.Channel, error)
	RestoreMailbox(ctx context.Context, sessionID, mailboxID string, opts vb365.MailboxRestoreOptions) (*vb365.RestoreResult, error)
	RestoreMailboxTo(ctx context.Context, sessionID, mailboxID string, opts vb365.MailboxRestoreToOptions) (*vb365.RestoreResult, error)
	RestoreMailboxes(ctx context.Context, sessionID string, opts vb365.BulkMailboxRestoreOptions) (*vb365.RestoreResult, error)
	RestoreOneDrive(ctx context.Context, sessionID, oneDriveID string, opts vb365.OneDriveRestoreOptions) (*vb365.RestoreResult, error)
	CopyOneDriveTo(ctx context.Context, sessionID, oneDriveID string, opts vb365.OneDriveCopyToOptions) (*vb365.RestoreResult, error)
	RestoreSite(ctx context.Context, sessionID, siteID string, opts vb365.SiteRestoreOptions) (*vb365.RestoreResult, error)
	RestoreSiteTo(ctx context.Context, sessionID, siteID string, opts vb365.SiteRestoreToOptions) (*vb365.RestoreResult, error)
	RestoreTeam(ctx context.Context, sessionID, teamID string, opts vb365.TeamRestoreOptions) (*vb365.RestoreResult, error)
	RestoreChannel(ctx context.Context, sessionID, teamID, channelID string, opts vb365.ChannelRestoreOptions) (*vb365.RestoreResult, error)
	GetRestoreStatistics(ctx context.Context, sessionID string) (*vb365.RestoreStatistics, error)
	ListRestoreSessionEvents(ctx context.Context, sessionID string, opts vb365.ListOptions) (*vb365.Page[vb365.RestoreSessionEvent], error)
}

var _ RestoreAPI = (*vb365.Client)(nil)

// CredentialProfiles looks up Microsoft 365 credentials by profile name
// (*config.RestoreCredentialProfiles).
type CredentialProfiles interface {
	Lookup(name string) (vb365.RestoreCredentials, bool)
}

func (a *Activities) restorer() (RestoreAPI, error) {
	if a != nil {
		if r, ok := a.cfg.Client.(RestoreAPI); ok {
			return r, nil
		}
	}
	return nil, errors.New("activities: no VB365 client for restore actions configured")
}

// Phases a restore action's heartbeat records, so that the next attempt
// knows whether this one may have sent its restore request.
const (
	phaseResolving = "resolving"
	phaseNotSent   = "not-sent" // this attempt ended before sending: the next may send
	phaseSending   = "sending"  // the request may have gone out
	phaseFollowing = "following"
)

type restoreProgress struct {
	Phase     string                   `json:"phase"`
	RestoreID string                   `json:"restoreId,omitempty"`
	Baseline  *vb365.RestoreStatistics `json:"baseline,omitempty"`
	// Waiting is why a VB365 request of the attempt is waiting for the
	// worker's request budget, if it is.
	Waiting string `json:"waiting,omitempty"`
}

func invalid(format string, args ...any) error {
	return nonRetryable(ErrTypeInvalidRequest, fmt.Sprintf(format, args...), nil)
}

// workloads says which session type each kind needs.
var workloads = map[string]vb365.SessionType{
	RestoreKindMailbox: vb365.SessionTypeExchange, RestoreKindMailboxes: vb365.SessionTypeExchange,
	RestoreKindOneDrive: vb365.SessionTypeOneDrive, RestoreKindSite: vb365.SessionTypeSharePoint,
	RestoreKindTeam: vb365.SessionTypeTeams, RestoreKindChannel: vb365.SessionTypeTeams,
}

// checkAction refuses an action the input describes badly, naming the
// field: the session it runs in, then the action (CheckAction).
func checkAction(in *RestoreActionInput) error {
	if in.SessionID == "" {
		return invalid("sessionId is empty")
	}
	typ, err := vb365.ParseSessionType(in.SessionType)
	if err != nil {
		return invalid("sessionType: %v", err)
	}
	return CheckAction(&in.Action, typ, "action")
}

// CheckAction is the one check of a restore action, pure: the workflow's
// validation runs it on every action of a restore's input before the
// session is opened (field "actions[i]"), and the activity again before it
// restores anything (field "action"). It lower-cases act.Kind. The error is
// a non-retryable InvalidRequest whose message starts with field and the
// name of the bad member (field+".kind", field+".to", ...) and names the
// value: a kind whose workload is not the session's (typ) names both.
// A credential profile is only checked by the activity, which alone sees
// the worker's profiles.
func CheckAction(act *RestoreAction, typ vb365.SessionType, field string) error {
	act.Kind = strings.ToLower(strings.TrimSpace(act.Kind))
	want, ok := workloads[act.Kind]
	if !ok {
		return invalid("%s.kind %q: want mailbox, mailboxes, onedrive, site, team or channel", field, act.Kind)
	}
	if typ != want {
		return invalid("%s.kind %q needs a session of type %s (%s), the session is of type %s (%s)", field, act.Kind,
			strings.ToLower(string(want)), want.Workload(), strings.ToLower(string(typ)), typ.Workload())
	}
	switch {
	case act.Kind == RestoreKindMailboxes && len(act.Targets) == 0:
		return invalid("%s.targets is empty: a mailboxes action names the mailboxes' e-mail addresses", field)
	case act.Kind != RestoreKindMailboxes && strings.TrimSpace(act.Target) == "":
		return invalid("%s.target is empty", field)
	case act.Kind == RestoreKindChannel && strings.TrimSpace(act.Channel) == "":
		return invalid("%s.channel is empty: a channel action names the channel of %s.target's team", field, field)
	}
	if to := act.To; to != nil {
		switch act.Kind {
		case RestoreKindMailbox:
			if to.Mailbox == "" || to.OneDrive != "" || to.SiteURL != "" {
				return invalid("%s.to: a mailbox goes to another mailbox (to.mailbox, to.folder)", field)
			}
		case RestoreKindOneDrive:
			if to.Mailbox != "" || to.SiteURL != "" {
				return invalid("%s.to: a OneDrive is copied to a OneDrive (to.oneDrive, to.folder)", field)
			}
		case RestoreKindSite:
			if to.SiteURL == "" || to.Mailbox != "" || to.OneDrive != "" || to.Folder != "" {
				return invalid("%s.to: a site goes to another site (to.siteUrl)", field)
			}
		default:
			return invalid("%s.to: a %s action restores to the original location only", field, act.Kind)
		}
	}
	if act.DocumentAction != "" && (act.Kind != RestoreKindOneDrive || act.To != nil) {
		return invalid("%s.documentAction %q: only for a OneDrive restored to its original location", field, act.DocumentAction)
	}
	if act.Kind == RestoreKindTeam && !isTrue(act.RestoreChangedItems) && !isTrue(act.RestoreMissingItems) && !isTrue(act.RestoreMembers) && !isTrue(act.RestoreSettings) {
		return invalid("%s: a team restore needs one of restoreChangedItems, restoreMissingItems, restoreMembers, restoreSettings", field)
	}
	if act.Kind == RestoreKindChannel && !isTrue(act.RestoreChangedItems) && !isTrue(act.RestoreMissingItems) {
		return invalid("%s: a channel restore needs restoreChangedItems or restoreMissingItems", field)
	}
	return nil
}

func isTrue(b *bool) bool { return b != nil && *b }

// RestoreAction resolves an action's target by browsing the session, sends
// its restore request once, and follows the restore to its end while
// heartbeating. It never sends the request twice: an attempt after one that
// may have sent it looks for that restore in the session's events and
// follows it; when none is found it fails with RestoreActionOutcomeUnknown,
// saying what to check.
func (a *Activities) RestoreAction(ctx context.Context, in RestoreActionInput) (*RestoreActionResult, error) {
	if err := checkAction(&in); err != nil {
		return nil, err
	}
	api, err := a.restorer()
	if err != nil {
		return nil, err
	}
	act := in.Action
	var creds *vb365.RestoreCredentials
	if act.CredentialProfile != "" {
		if a.cfg.RestoreCredentials == nil {
			return nil, invalid("action.credentialProfile %q: the worker has no credential profiles (set VB365_RESTORE_CREDENTIALS_FILE)", act.CredentialProfile)
		}
		rc, ok := a.cfg.RestoreCredentials.Lookup(act.CredentialProfile)
		if !ok {
			return nil, invalid("action.credentialProfile %q is not in the worker's VB365_RESTORE_CREDENTIALS_FILE", act.CredentialProfile)
		}
		creds = &rc
	}
	if in.PollInterval <= 0 {
		in.PollInterval = 5 * time.Second
	}

	// What the previous attempt left. A restore counts as possibly sent
	// only once an attempt has recorded reaching its request ("sending",
	// "following", or a phase this code does not know): then this attempt
	// never sends, it looks for that restore. An attempt that ended before
	// (resolving its target, waiting for the VB365 budget, "not sent")
	// leaves this one free to send; but the SDK batches heartbeats, so the
	// "sending" of an attempt killed right after its request may never have
	// reached Temporal: after any earlier attempt but a clean "not sent",
	// this one first looks for a restore of its objects, and sends only
	// when there is none.
	var prev restoreProgress
	hasPrev := activity.HasHeartbeatDetails(ctx) && activity.GetHeartbeatDetails(ctx, &prev) == nil
	maySent := hasPrev && prev.Phase != phaseResolving && prev.Phase != phaseNotSent
	probe := !maySent && prev.Phase != phaseNotSent && (hasPrev || activity.GetInfo(ctx).Attempt > 1)
	phase := phaseResolving
	if maySent {
		phase = phaseSending // still unknown until the restore is found
	}
	// Resolving browses the session page by page, each request maybe
	// queued behind the worker's VB365 budget: the activity heartbeats all
	// along (with the budget's reason while it waits), so a slow resolve is
	// never a heartbeat timeout. It heartbeats every PollInterval, as
	// while it follows a restore (the workflow keeps that a fraction of
	// the heartbeat timeout).
	var mu sync.Mutex
	cur := restoreProgress{Phase: phase, Baseline: prev.Baseline}
	a.heartbeat(ctx, cur)
	stopBeating := a.startHeartbeats(ctx, in.PollInterval, func() any {
		mu.Lock()
		defer mu.Unlock()
		return cur
	})
	stopBeating = sync.OnceFunc(stopBeating)
	rctx := vb365.OnBudgetWait(ctx, func(w vb365.BudgetWait) { mu.Lock(); cur.Waiting = w.Reason; mu.Unlock() })

	res := &RestoreActionResult{Kind: act.Kind, Target: act.Target, Start: time.Now().UTC()}
	if act.Kind == RestoreKindMailboxes {
		res.Target = strings.Join(act.Targets, ", ")
	}
	notSent := func(baseline *vb365.RestoreStatistics, err error) error {
		stopBeating()
		if !maySent {
			a.heartbeat(ctx, restoreProgress{Phase: phaseNotSent, Baseline: baseline})
		}
		return err
	}
	v, err := api.Version(rctx)
	if err != nil {
		return nil, notSent(prev.Baseline, mapError("restore action: VB365 version", err))
	}
	post, names, err := resolveAction(rctx, api, in, creds, res)
	if err != nil {
		return nil, notSent(prev.Baseline, err)
	}
	if maySent {
		stopBeating()
		return a.adopt(ctx, api, in, names, res, prev.Baseline, v, "a previous attempt may have sent the restore request")
	}
	if probe {
		found, err := a.lookForRestore(rctx, api, in, names)
		if err != nil {
			return nil, notSent(prev.Baseline, err)
		}
		if found {
			stopBeating()
			return a.adopt(ctx, api, in, names, res, prev.Baseline, v, "a previous attempt may have sent the restore request")
		}
	}

	// v8's statistics are the session's: the action's are its objects'
	// details that were not there before it (fromSessionStatistics).
	baseline := prev.Baseline
	if v == vb365.V8 && baseline == nil {
		if baseline, err = api.GetRestoreStatistics(rctx, in.SessionID); err != nil {
			return nil, notSent(nil, mapError("restore action: read the session's statistics", err))
		}
	}
	stopBeating()
	if err := ctx.Err(); err != nil {
		// This attempt is over (canceled, or timed out in Temporal while a
		// later one may already run): it must not send.
		return nil, notSent(baseline, err)
	}

	sending := restoreProgress{Phase: phaseSending, Baseline: baseline}
	a.heartbeat(ctx, sending)
	// v6 and v7 answer when the restore is done, maybe hours later: the
	// activity heartbeats while it waits.
	r, err := a.heartbeatWhile(ctx, in.PollInterval, sending, post)
	if err != nil {
		if vb365.IsRestoreOutcomeUnknown(err) {
			return a.adopt(ctx, api, in, names, res, baseline, v, err.Error())
		}
		a.heartbeat(ctx, restoreProgress{Phase: phaseNotSent, Baseline: baseline})
		return nil, mapRestoreError(act, err)
	}
	res.RestoreID = r.RestoreSessionID
	if res.RestoreID == "" {
		res.RestoreID = in.SessionID
	}
	a.heartbeat(ctx, restoreProgress{Phase: phaseFollowing, RestoreID: res.RestoreID, Baseline: baseline})
	if r.Done() {
		res.fromStatistics(r.Statistics, nil)
		res.End = time.Now().UTC()
		return res, nil
	}
	return a.follow(ctx, api, in, names, res, baseline)
}

// mapRestoreError maps a refused restore request: VB365's 4xx answers are
// permanent for this action (bad credentials, a stopped session, a missing
// object) and carry VB365's message.
func mapRestoreError(act RestoreAction, err error) error {
	if errors.Is(err, vb365.ErrInvalidArgument) {
		return nonRetryable(ErrTypeInvalidRequest, fmt.Sprintf("restore action %s %q: %v", act.Kind, act.Target, err), err)
	}
	return mapError(fmt.Sprintf("restore action %s %q", act.Kind, act.Target), err)
}

// resolveAction finds the action's objects in the session and returns the
// request that restores them and the names their restore events carry.
func resolveAction(ctx context.Context, api RestoreAPI, in RestoreActionInput, creds *vb365.RestoreCredentials, res *RestoreActionResult) (func(context.Context) (*vb365.RestoreResult, error), []string, error) {
	act, sid := in.Action, in.SessionID
	notFound := func(what string, err error) error {
		if vb365.IsItemNotFound(err) {
			return nonRetryable(ErrTypeRestoreTargetNotFound, fmt.Sprintf("restore action %s: %s is not in restore session %s: %v", act.Kind, what, sid, err), err)
		}
		if errors.Is(err, vb365.ErrInvalidArgument) {
			return nonRetryable(ErrTypeInvalidRequest, fmt.Sprintf("restore action %s: %s: %v", act.Kind, what, err), err)
		}
		return mapError(fmt.Sprintf("restore action %s: find %s", act.Kind, what), err)
	}
	switch act.Kind {
	case RestoreKindMailbox:
		m, err := api.FindMailbox(ctx, sid, act.Target, act.Archive)
		if err != nil {
			return nil, nil, notFound("mailbox "+act.Target, err)
		}
		res.Resolved = m.Name + " <" + m.Email + "> (mailbox " + m.ID + ")"
		if act.To != nil {
			return func(ctx context.Context) (*vb365.RestoreResult, error) {
				return api.RestoreMailboxTo(ctx, sid, m.ID, vb365.MailboxRestoreToOptions{Mailbox: act.To.Mailbox, Folder: act.To.Folder,
					ChangedItems: act.ChangedItems, DeletedItems: act.DeletedItems, MarkRestoredAsUnread: act.MarkRestoredAsUnread,
					ExcludeDrafts: act.ExcludeDrafts, ExcludeDeletedItems: act.ExcludeDeletedItems, ExcludeInPlaceHoldItems: act.ExcludeInPlaceHoldItems,
					ExcludeLitigationHoldItems: act.ExcludeLitigationHoldItems, Credentials: creds})
			}, []string{m.Email}, nil
		}
		return func(ctx context.Context) (*vb365.RestoreResult, error) {
			return api.RestoreMailbox(ctx, sid, m.ID, vb365.MailboxRestoreOptions{Credentials: creds})
		}, []string{m.Email}, nil
	case RestoreKindMailboxes:
		var mbs []vb365.Mailbox
		var names, shown []string
		for _, t := range act.Targets {
			m, err := api.FindMailbox(ctx, sid, t, act.Archive)
			if err != nil {
				return nil, nil, notFound("mailbox "+t, err)
			}
			mbs = append(mbs, *m)
			names = append(names, m.Email)
			shown = append(shown, m.Email+" ("+m.ID+")")
		}
		res.Resolved = strings.Join(shown, ", ")
		return func(ctx context.Context) (*vb365.RestoreResult, error) {
			return api.RestoreMailboxes(ctx, sid, vb365.BulkMailboxRestoreOptions{Mailboxes: mbs, ChangedItems: act.ChangedItems,
				DeletedItems: act.DeletedItems, MarkRestoredAsUnread: act.MarkRestoredAsUnread, SkipUnresolved: act.SkipUnresolved,
				ExcludeDrafts: act.ExcludeDrafts, ExcludeDeletedItems: act.ExcludeDeletedItems, ExcludeInPlaceHoldItems: act.ExcludeInPlaceHoldItems,
				ExcludeLitigationHoldItems: act.ExcludeLitigationHoldItems, Credentials: creds})
		}, names, nil
	case RestoreKindOneDrive:
		o, err := api.FindOneDrive(ctx, sid, act.Target)
		if err != nil {
			return nil, nil, notFound("the OneDrive of "+act.Target, err)
		}
		res.Resolved = o.URL + " (OneDrive " + o.ID + ")"
		if act.To != nil {
			target := o
			if act.To.OneDrive != "" {
				if target, err = api.FindOneDrive(ctx, sid, act.To.OneDrive); err != nil {
					return nil, nil, notFound("the target OneDrive of "+act.To.OneDrive, err)
				}
			}
			return func(ctx context.Context) (*vb365.RestoreResult, error) {
				return api.CopyOneDriveTo(ctx, sid, o.ID, vb365.OneDriveCopyToOptions{Target: target, Folder: act.To.Folder,
					ChangedItems: act.ChangedItems, DeletedItems: act.DeletedItems, RestorePermissions: act.RestorePermissions,
					SendSharedLinksNotification: act.SendSharedLinksNotification, DocumentVersion: vb365.DocumentVersion(act.DocumentVersion),
					DocumentLastVersionAction: vb365.DocumentLastVersionAction(act.DocumentLastVersionAction), Credentials: creds})
			}, []string{o.URL}, nil
		}
		return func(ctx context.Context) (*vb365.RestoreResult, error) {
			return api.RestoreOneDrive(ctx, sid, o.ID, vb365.OneDriveRestoreOptions{DocumentAction: vb365.DocumentAction(act.DocumentAction), Credentials: creds})
		}, []string{o.URL}, nil
	case RestoreKindSite:
		s, err := api.FindSite(ctx, sid, act.Target)
		if err != nil {
			return nil, nil, notFound("site "+act.Target, err)
		}
		res.Resolved = s.Name + " " + s.URL + " (site " + s.ID + ")"
		if act.To != nil {
			return func(ctx context.Context) (*vb365.RestoreResult, error) {
				return api.RestoreSiteTo(ctx, sid, s.ID, vb365.SiteRestoreToOptions{SiteURL: act.To.SiteURL, RestoreListViews: act.RestoreListViews,
					ChangedItems: act.ChangedItems, DeletedItems: act.DeletedItems, RestoreSubsites: act.RestoreSubsites, RestoreMasterPages: act.RestoreMasterPages,
					SendSharedLinksNotification: act.SendSharedLinksNotification, DocumentVersion: vb365.DocumentVersion(act.DocumentVersion),
					DocumentLastVersionAction: vb365.DocumentLastVersionAction(act.DocumentLastVersionAction), Credentials: creds})
			}, []string{s.URL}, nil
		}
		return func(ctx context.Context) (*vb365.RestoreResult, error) {
			return api.RestoreSite(ctx, sid, s.ID, vb365.SiteRestoreOptions{RestoreListViews: act.RestoreListViews, ChangedItems: act.ChangedItems,
				DeletedItems: act.DeletedItems, RestoreSubsites: act.RestoreSubsites, RestoreMasterPages: act.RestoreMasterPages,
				RestorePermissions: act.RestorePermissions, SendSharedLinksNotification: act.SendSharedLinksNotification,
				DocumentVersion: vb365.DocumentVersion(act.DocumentVersion), DocumentLastVersionAction: vb365.DocumentLastVersionAction(act.DocumentLastVersionAction),
				Credentials: creds})
		}, []string{s.URL}, nil
	}
	// team, channel
	t, err := api.FindTeam(ctx, sid, act.Target)
	if err != nil {
		return nil, nil, notFound("team "+act.Target, err)
	}
	if act.Kind == RestoreKindTeam {
		res.Resolved = t.DisplayName + " (team " + t.ID + ")"
		return func(ctx context.Context) (*vb365.RestoreResult, error) {
			return api.RestoreTeam(ctx, sid, t.ID, vb365.TeamRestoreOptions{RestoreChangedItems: isTrue(act.RestoreChangedItems),
				RestoreMissingItems: isTrue(act.RestoreMissingItems), RestoreMembers: isTrue(act.RestoreMembers),
				RestoreSettings: isTrue(act.RestoreSettings), Credentials: creds})
		}, []string{t.DisplayName}, nil
	}
	ch, err := api.FindChannel(ctx, sid, t.ID, act.Channel)
	if err != nil {
		return nil, nil, notFound("channel "+act.Channel+" of team "+act.Target, err)
	}
	res.Resolved = t.DisplayName + "/" + ch.DisplayName + " (channel " + ch.ID + ")"
	return func(ctx context.Context) (*vb365.RestoreResult, error) {
		return api.RestoreChannel(ctx, sid, t.ID, ch.ID, vb365.ChannelRestoreOptions{RestoreChangedItems: isTrue(act.RestoreChangedItems),
			RestoreMissingItems: isTrue(act.RestoreMissingItems), RestoreMembers: act.RestoreMembers, Credentials: creds})
	}, []string{t.DisplayName + "/" + ch.DisplayName}, nil
}

// restoreEvents returns the session's Restore events, after the ones seen
// before the action, whose item is one of names (VB365 names the restored
// object in an event's itemName).
func restoreEvents(ctx context.Context, api RestoreAPI, in RestoreActionInput, names []string) ([]vb365.RestoreSessionEvent, error) {
	var out []vb365.RestoreSessionEvent
	offset := in.EventsSeen
	for range 10000 {
		p, err := api.ListRestoreSessionEvents(ctx, in.SessionID, vb365.ListOptions{Offset: offset, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, e := range p.Results {
			if !strings.EqualFold(e.Type, "Restore") {
				continue
			}
			for _, n := range names {
				if strings.EqualFold(strings.TrimSpace(e.ItemName), n) {
					out = append(out, e)
					break
				}
			}
		}
		offset += len(p.Results)
		if !p.HasNext || len(p.Results) == 0 {
			break
		}
	}
	return out, nil
}

// lookForRestore says whether the session holds a restore of names after
// the events seen before the action: the trace of a request an earlier
// attempt may have sent without recording it. It looks adoptLooks times,
// PollInterval apart, since VB365 may write the events a moment after it
// accepted the request.
func (a *Activities) lookForRestore(ctx context.Context, api RestoreAPI, in RestoreActionInput, names []string) (bool, error) {
	for look := range adoptLooks {
		if look > 0 {
			if err := sleepCtx(ctx, in.PollInterval); err != nil {
				return false, err
			}
		}
		evs, err := restoreEvents(ctx, api, in, names)
		if err != nil {
			return false, mapError("restore action: look for a restore an earlier attempt may have started", err)
		}
		if len(evs) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// adoptLooks is how many times, PollInterval apart, a possibly-started
// restore is looked for before its outcome is declared unknown: VB365 may
// write its events a moment after it accepted the request.
const adoptLooks = 3

// adopt looks for the restore a request that got no answer may have
// started, and follows it; without a trace, the outcome is unknown.
func (a *Activities) adopt(ctx context.Context, api RestoreAPI, in RestoreActionInput, names []string, res *RestoreActionResult,
	baseline *vb365.RestoreStatistics, v vb365.Version, why string) (*RestoreActionResult, error) {
	for look := range adoptLooks {
		if look > 0 {
			if err := sleepCtx(ctx, in.PollInterval); err != nil {
				return nil, err
			}
		}
		a.heartbeat(ctx, restoreProgress{Phase: phaseSending, Baseline: baseline})
		evs, err := restoreEvents(ctx, api, in, names)
		if err != nil {
			// Retried: the next attempt looks again before sending anything.
			return nil, mapError("restore action: look for the restore a lost request started", err)
		}
		if len(evs) > 0 {
			activity.GetLogger(ctx).Info("restore action: following the restore a request without answer started", "kind", in.Action.Kind, "session", in.SessionID)
			res.Adopted = true
			res.RestoreID = in.SessionID
			if v != vb365.V8 {
				baseline = nil // v6/v7 have no statistics to read: the events tell the state
			}
			a.heartbeat(ctx, restoreProgress{Phase: phaseFollowing, RestoreID: res.RestoreID, Baseline: baseline})
			return a.follow(ctx, api, in, names, res, baseline)
		}
	}
	return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf(
		"restore action %s %q (%s): the outcome is unknown: %s, and restore session %s shows no restore of %s after its first %d events. "+
			"Check the session's events in VB365 (or the restore history in the Veeam console) and the target in Microsoft 365 before restoring it again",
		in.Action.Kind, res.Target, res.Resolved, why, in.SessionID, strings.Join(names, ", "), in.EventsSeen),
		ErrTypeRestoreActionOutcomeUnknown, nil)
}

// follow reads the action's restore events until none runs, heartbeating,
// then takes its counts: v8's statistics of its objects
// (fromSessionStatistics), else the events' statuses.
func (a *Activities) follow(ctx context.Context, api RestoreAPI, in RestoreActionInput, names []string, res *RestoreActionResult,
	baseline *vb365.RestoreStatistics) (*RestoreActionResult, error) {
	for {
		evs, err := restoreEvents(ctx, api, in, names)
		if err != nil {
			return nil, mapError("restore action: follow the restore", err)
		}
		running := len(evs) < len(names) // not all written yet
		for _, e := range evs {
			if strings.EqualFold(e.Status, "Running") {
				running = true
			}
		}
		a.heartbeat(ctx, restoreProgress{Phase: phaseFollowing, RestoreID: res.RestoreID, Baseline: baseline})
		if !running {
			if baseline != nil {
				st, err := api.GetRestoreStatistics(ctx, in.SessionID)
				if err != nil {
					return nil, mapError("restore action: read the session's statistics", err)
				}
				res.fromSessionStatistics(st, baseline, names)
			} else {
				res.fromEvents(evs)
			}
			res.End = time.Now().UTC()
			return res, nil
		}
		if err := sleepCtx(ctx, in.PollInterval); err != nil {
			return nil, err
		}
	}
}

// heartbeatWhile runs call, recording details as the heartbeat every
// interval until it returns.
func (a *Activities) heartbeatWhile(ctx context.Context, interval time.Duration, details restoreProgress,
	call func(context.Context) (*vb365.RestoreResult, error)) (*vb365.RestoreResult, error) {
	stop := a.startHeartbeats(ctx, interval, func() any { return details })
	defer stop()
	return call(ctx)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// after returns the part of now that was added since before (lists that
// only grow).
func after[T any](now, before []T) []T {
	if len(before) <= len(now) {
		return now[len(before):]
	}
	return now
}

// fromSessionStatistics takes the action's counts from v8's statistics of
// its restore session, which hold every restore of the session: the
// action's own are its objects' details (st.Items named after one of names,
// by name, mailbox e-mail address or OneDrive URL) that the baseline did
// not hold. Where each of them carries its own counts (a mailbox's), those
// are the action's counts, warnings and failed items, whatever else
// restores in the session meanwhile. VB365 gives no counts in the details
// of a OneDrive, a site, a team or a channel: then the counts are what the
// session's statistics gained since the baseline, which also counts any
// other restore of the session that ended meanwhile (an operator's in Veeam
// Explorer); the failed items are still only the action's objects'.
// Two restores of one object running at once in one session cannot be told
// apart either way.
func (res *RestoreActionResult) fromSessionStatistics(st, baseline *vb365.RestoreStatistics, names []string) {
	b := &vb365.RestoreStatistics{}
	if baseline != nil {
		b = baseline
	}
	own := ownDetails(st.Items, b.Items, names)
	counted := len(own) > 0
	for _, it := range own {
		counted = counted && it.Counts != nil
	}
	if !counted {
		res.fromStatistics(st, b)
		if len(own) > 0 {
			res.FailedItems = nil
			res.addFailedItems(own)
		}
		return
	}
	res.Counts = RestoreCounts{}
	failedObjects := 0
	for _, it := range own {
		res.Counts.Total += it.Counts.Total
		res.Counts.Restored += it.Counts.Restored
		res.Counts.Failed += it.Counts.Failed
		res.Counts.Skipped += it.Counts.Skipped
		res.Counts.Warnings += int64(len(it.Warnings))
		if it.Error != "" {
			failedObjects++
		}
	}
	res.addFailedItems(own)
	res.judge(failedObjects > 0)
}

// ownDetails returns the details of now named after one of names, less as
// many as before held (an earlier restore of the same object in the
// session): VB365 keeps a session's details as they were added.
func ownDetails(now, before []vb365.RestoredItem, names []string) []vb365.RestoredItem {
	named := func(items []vb365.RestoredItem) []vb365.RestoredItem {
		var out []vb365.RestoredItem
		for _, it := range items {
			for _, n := range names {
				if strings.EqualFold(strings.TrimSpace(it.Name), n) || strings.EqualFold(strings.TrimSpace(it.MailboxEmail), n) ||
					strings.EqualFold(strings.TrimSpace(it.OneDriveURL), n) {
					out = append(out, it)
					break
				}
			}
		}
		return out
	}
	return after(named(now), named(before))
}

// addFailedItems adds the items with an error, up to maxFailedItems.
func (res *RestoreActionResult) addFailedItems(items []vb365.RestoredItem) {
	for _, it := range items {
		if it.Error != "" && len(res.FailedItems) < maxFailedItems {
			res.FailedItems = append(res.FailedItems, RestoreFailedItem{Name: it.Name, Reason: it.Error})
		}
	}
}

// judge sets the state from the counts: Failed when something failed and
// nothing came back, Warning when something failed or warned (or errors
// were reported), else Success.
func (res *RestoreActionResult) judge(errs bool) {
	switch {
	case res.Counts.Failed > 0 && res.Counts.Restored == 0:
		res.State = "Failed"
	case res.Counts.Failed > 0 || res.Counts.Warnings > 0 || errs:
		res.State = "Warning"
	default:
		res.State = "Success"
	}
}

// fromStatistics takes the counts of st, less the baseline's when given,
// and the state (judge). Without a baseline, st is the restore's own (the
// answer of a v6/v7 restore request).
func (res *RestoreActionResult) fromStatistics(st, baseline *vb365.RestoreStatistics) {
	b := &vb365.RestoreStatistics{}
	if baseline != nil {
		b = baseline
	}
	res.Counts = RestoreCounts{Total: st.Total - b.Total, Restored: st.Restored - b.Restored, Failed: st.Failed - b.Failed,
		Skipped: st.Skipped - b.Skipped}
	warnings, errs := after(st.Warnings, b.Warnings), after(st.Errors, b.Errors)
	res.Counts.Warnings = int64(len(warnings))
	res.addFailedItems(after(st.Items, b.Items))
	if len(res.FailedItems) == 0 {
		for _, e := range errs {
			if len(res.FailedItems) < maxFailedItems {
				res.FailedItems = append(res.FailedItems, RestoreFailedItem{Name: res.Target, Reason: e})
			}
		}
	}
	res.judge(len(errs) > 0)
}

// fromEvents judges a restore by its events alone (a v6/v7 restore whose
// answer was lost): the state is known, the item counts are not
// (CountsUnknown); the failed items are the objects that failed.
func (res *RestoreActionResult) fromEvents(evs []vb365.RestoreSessionEvent) {
	res.Counts = RestoreCounts{}
	res.CountsUnknown = true
	ok, warned, failed := 0, 0, 0
	for _, e := range evs {
		switch e.Status {
		case "Success":
			ok++
		case "Warning":
			ok++
			warned++
		default:
			failed++
			if len(res.FailedItems) < maxFailedItems {
				res.FailedItems = append(res.FailedItems, RestoreFailedItem{Name: e.ItemName, Reason: e.Message})
			}
		}
	}
	switch {
	case failed > 0 && ok == 0:
		res.State = "Failed"
	case failed > 0 || warned > 0:
		res.State = "Warning"
	default:
		res.State = "Success"
	}
}
