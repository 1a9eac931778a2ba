package activities

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// CreateRestoreSessionInput is what to open: the organization (its name is
// what restore sessions carry, and what a lost session is found by) and the
// explore request.
type CreateRestoreSessionInput struct {
	OrganizationID   string            `json:"organizationId"`
	OrganizationName string            `json:"organizationName"`
	DateTime         time.Time         `json:"dateTime"`
	Type             vb365.SessionType `json:"type"`
	ShowDeleted      bool              `json:"showDeleted,omitempty"`
	ShowAllVersions  bool              `json:"showAllVersions,omitempty"`
}

// CreateRestoreSessionResult is the session the workflow owns from now on.
type CreateRestoreSessionResult struct {
	Session vb365.RestoreSession `json:"session"`
	// Adopted is true when a previous attempt's POST created the session but
	// its response was lost, and this attempt found it instead of creating
	// another one.
	Adopted bool `json:"adopted,omitempty"`
}

// CreateProgress is recorded in heartbeat details before the POST, so that
// a later attempt knows a POST may have reached VB365 and can look for the
// session it created. The first heartbeat of an attempt is sent
// synchronously, so it is on the server before the POST leaves.
//
// When the activity fails for good, the workflow recovers it (from a
// TimeoutError's last heartbeat details, or from the details of the
// ApplicationError the activity returned) and, when Posts > 0, runs
// ReleaseLostSession with it.
type CreateProgress struct {
	// SendTime is the worker's clock just before the first POST.
	SendTime time.Time `json:"sendTime"`
	// PreExisting are the ids of the Working sessions of the organization
	// and type created since SnapshotFrom, listed before the first POST:
	// they belong to someone else. No session is adopted or released
	// without this snapshot.
	PreExisting []string `json:"preExisting,omitempty"`
	// Posts counts the POSTs sent so far (for the logs and the UI). In the
	// details of an error it counts those that may have created a session:
	// a POST VB365 answered with a refusal created nothing.
	Posts int `json:"posts"`
	// SnapshotFrom is the earliest creation time the snapshot covers, on
	// VB365's clock (snapshotFrom). Zero in progress recorded before it
	// existed: SendTime less a minute, the slack of that time.
	SnapshotFrom time.Time `json:"snapshotFrom,omitzero"`
	// LastPostBy is the latest time the last POST sent may have created
	// its session: the deadline of the attempt that sent it plus
	// createSettle. A session created after it (plus clockSlack) is not
	// one of ours. Zero in older progress: no upper bound.
	LastPostBy time.Time `json:"lastPostBy,omitzero"`
	// Waiting says why a VB365 request of the attempt waits for the
	// worker's request budget (for the UI); empty while none waits.
	Waiting string `json:"waiting,omitempty"`
}

// window is the creation times a session of these POSTs can have, on
// VB365's clock: from the snapshot's start to the last POST's end, widened
// by clockSlack; to is zero when unbounded.
func (p CreateProgress) window() (from, to time.Time) {
	from = p.SnapshotFrom
	if from.IsZero() {
		from = p.SendTime.Add(-legacySnapshotSlack)
	}
	if !p.LastPostBy.IsZero() {
		to = p.LastPostBy.Add(clockSlack)
	}
	return from, to
}

// clockSlack is how far VB365's clock may be off the worker's:
// creationTime comes from the server's clock, SendTime from the worker's.
// When VB365's clock is not known (snapshotFrom), the snapshot covers
// sessions created since SendTime less the slack, so a session made in the
// slack before the POST is still known as someone else's; the window's end
// is widened by it always.
const clockSlack = 10 * time.Minute

// legacySnapshotSlack is the slack of progress recorded without
// SnapshotFrom.
const legacySnapshotSlack = time.Minute

// serverClockMargin is how far before VB365's clock, as its last answer
// told it (VB365API.ServerNow), a snapshot starts: that reading is to the
// second and never late, so the margin covers the clocks drifting apart
// between two answers, with room to spare.
const serverClockMargin = time.Minute

// snapshotFrom is where the snapshot of an attempt that is about to POST
// starts, on VB365's clock: a minute (serverClockMargin) before VB365's
// clock now, when it is known, but never before sendTime less clockSlack.
// A session this attempt's POST creates is created later than that, so it
// can never be in the snapshot or before the window; and the snapshot lists
// only the sessions of the last minute or so instead of ten, which is what
// it costs (requests and memory) when hundreds of restores open at once.
// Unknown, it is sendTime less clockSlack.
func snapshotFrom(ctx context.Context, c VB365API, sendTime time.Time) time.Time {
	from := sendTime.Add(-clockSlack)
	if now, ok := c.ServerNow(ctx); ok && now.Add(-serverClockMargin).After(from) {
		from = now.Add(-serverClockMargin)
	}
	return from
}

// CreateRestoreSession opens the restore session, and never opens a second
// one for the same activity: when a previous attempt sent a POST (its
// heartbeat details say so), it first looks for the session that POST
// created and adopts it.
//
// A session is adopted only when every fact VB365 gives of it fits: listed
// for the worker's account and initiated by it, the organization, the type,
// Working, the restore point in its name, created in the window of the
// POSTs sent (CreateProgress.window), absent from the snapshot taken before
// the first POST, and claimed for this workflow (Claims) so that no other
// workflow holds it. An attempt that finds no progress recorded (the
// previous one failed before it, for example on the snapshot's own lookup)
// never POSTed: it takes a snapshot and POSTs, and adopts nothing.
//
// Residual ambiguity: VB365 has no idempotency key. Identical restores
// (same account, organization, type and restore point) whose responses
// were lost may end up with each other's sessions, one each (the claims
// see to that); they are interchangeable. A session someone opens with the
// worker's own account, for the same organization, type and restore point,
// inside the window of a lost POST, cannot be told from ours.
func (a *Activities) CreateRestoreSession(ctx context.Context, in CreateRestoreSessionInput) (*CreateRestoreSessionResult, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	log := activity.GetLogger(ctx)
	info := activity.GetInfo(ctx)

	var prog CreateProgress
	recorded := false
	// The attempt heartbeats all along (its requests may wait for the VB365
	// budget, and a POST may be slow), always with the progress as it
	// stands; beaten says a heartbeat has been issued, after which the SDK
	// may hold the pre-POST one back (durableHeartbeat).
	var mu sync.Mutex
	beaten := false
	ctx, stopBeating := a.queueHeartbeats(ctx, a.postHeartbeatEvery, func(waiting string) any {
		mu.Lock()
		defer mu.Unlock()
		beaten = true
		p := prog
		p.Waiting = waiting
		return p
	})
	defer stopBeating()
	if activity.HasHeartbeatDetails(ctx) {
		var earlier CreateProgress
		if err := activity.GetHeartbeatDetails(ctx, &earlier); err == nil && !earlier.SendTime.IsZero() {
			earlier.Waiting = ""
			mu.Lock()
			prog, recorded = earlier, true
			mu.Unlock()
		}
	}
	if recorded {
		s, err := a.findCreated(ctx, c, in, prog)
		if err != nil {
			return nil, withProgress(err, prog)
		}
		if s != nil {
			log.Warn("adopted a restore session created by an earlier attempt whose response was lost",
				"sessionId", s.ID, "attempt", info.Attempt, "posts", prog.Posts)
			return &CreateRestoreSessionResult{Session: *s, Adopted: true}, nil
		}
		log.Info("no restore session from earlier attempts found; creating one", "attempt", info.Attempt, "posts", prog.Posts)
	} else {
		// Heartbeats until the POST record none of this: a crash before
		// it leaves nothing that says a POST was sent.
		snap := CreateProgress{SendTime: time.Now().UTC()}
		snap.SnapshotFrom = snapshotFrom(ctx, c, snap.SendTime)
		// Only the ids are kept: the snapshot is all a later attempt needs.
		err := a.visitMatching(ctx, c, in, snap.SnapshotFrom, time.Time{}, func(s vb365.RestoreSession) {
			snap.PreExisting = append(snap.PreExisting, s.ID)
		})
		if err != nil {
			return nil, err
		}
		mu.Lock()
		prog = snap
		mu.Unlock()
	}
	mu.Lock()
	prog.Posts++
	if !info.Deadline.IsZero() {
		prog.LastPostBy = info.Deadline.Add(a.createSettle).UTC()
	}
	held := beaten
	mu.Unlock()
	if err := a.durableHeartbeat(ctx, prog, held); err != nil {
		return nil, withProgress(retryable(ErrTypeTransient, "record the progress of this attempt before its POST: "+err.Error(), err), progressBefore(prog))
	}

	s, err := c.StartRestoreSession(ctx, in.OrganizationID, vb365.ExploreRequest{
		DateTime: in.DateTime.UTC(), Type: in.Type,
		ShowDeleted: in.ShowDeleted, ShowAllVersions: in.ShowAllVersions,
	})
	if err != nil {
		what := fmt.Sprintf("create %s restore session for organization %q (%s) at %s",
			in.Type, in.OrganizationName, in.OrganizationID, in.DateTime.UTC().Format(time.RFC3339))
		// The POSTs that may have created a session: not this one when
		// VB365 answered it with a refusal.
		mayHaveCreated := prog
		if !vb365.IsTransient(err) && !outcomeUnknown(ctx, err) {
			mayHaveCreated.Posts--
		}
		if !vb365.IsTransient(err) && !vb365.IsAuthenticationFailure(err) {
			if code := vb365.StatusCode(err); code >= 400 && code < 500 {
				return nil, withProgress(nonRetryable(ErrTypeRestoreSessionRejected,
					fmt.Sprintf("%s: VB365 rejected it: %v", what, err), err), mayHaveCreated)
			}
		}
		if outcomeUnknown(ctx, err) {
			// VB365 may still be creating the session this POST asked for
			// (a timeout does not stop the server): look for it before a
			// retry POSTs again and opens a second one.
			if s := a.awaitCreated(ctx, c, in, prog); s != nil {
				log.Warn("adopted the restore session of a POST whose response did not arrive",
					"sessionId", s.ID, "attempt", info.Attempt, "error", err)
				return &CreateRestoreSessionResult{Session: *s, Adopted: true}, nil
			}
		}
		return nil, withProgress(mapError(what, err), mayHaveCreated)
	}
	me := workflowOf(ctx)
	owner, err := a.claims.Claim(ctx, s.ID, me)
	if err != nil {
		// The next attempt finds the session (it is in the window and not
		// in the snapshot) and claims it then.
		return nil, withProgress(retryable(ErrTypeTransient, fmt.Sprintf("claim restore session %s: %v", s.ID, err), err), prog)
	}
	if owner != me {
		// Another workflow, whose own response was lost, adopted this
		// session while its answer was on its way here: its session is the
		// one to take instead (they are interchangeable).
		log.Warn("the restore session this POST created was adopted by another workflow; looking for the one it left",
			"sessionId", s.ID, "owner", owner)
		other, err := a.findCreated(ctx, c, in, prog)
		if err != nil {
			return nil, withProgress(err, prog)
		}
		if other == nil {
			return nil, withProgress(retryable(ErrTypeTransient, fmt.Sprintf(
				"the restore session %s this POST created belongs to workflow %s, and no other session of this restore was found", s.ID, owner), nil), prog)
		}
		return &CreateRestoreSessionResult{Session: *other, Adopted: true}, nil
	}
	return &CreateRestoreSessionResult{Session: *s}, nil
}

// durableHeartbeat records prog in the heartbeat details before the POST
// leaves, so that a later attempt knows the POST may have created a session
// (and when). The SDK sends an attempt's first heartbeat at once; later
// ones it may hold back for up to 0.8 of the heartbeat timeout and send
// together. held says an earlier heartbeat of this attempt was issued (it
// waited for the VB365 budget or VB365 was slow): prog is then also sent
// straight to the server through the worker's client, and the POST waits
// for it. prog goes to the SDK first, so a heartbeat it still holds back
// carries prog too rather than the older details.
func (a *Activities) durableHeartbeat(ctx context.Context, prog CreateProgress, held bool) error {
	a.heartbeat(ctx, prog)
	if !held {
		return nil
	}
	cl := a.activityClient(ctx)
	if cl == nil {
		return nil // a worker's activities always have one
	}
	info := activity.GetInfo(ctx)
	return cl.RecordActivityHeartbeatWithOptions(ctx, client.RecordActivityHeartbeatOptions{
		TaskToken: info.TaskToken, Details: []any{prog},
		WorkflowID: info.WorkflowExecution.ID, ActivityType: info.ActivityType.Name,
		WorkflowType: info.WorkflowType.Name, TaskQueue: info.TaskQueue,
	})
}

// progressBefore is prog less the POST it was about to send.
func progressBefore(prog CreateProgress) CreateProgress {
	prog.Posts--
	return prog
}

// withProgress attaches prog to err (an ApplicationError, as mapError
// returns) as its details when a POST may have created a session, so that if
// err ends the activity for good the workflow can find and stop that session
// (ReleaseLostSession). Other errors (the activity's own context ending) are
// returned as they are: the server's last heartbeat details hold prog.
func withProgress(err error, prog CreateProgress) error {
	ae, ok := err.(*temporal.ApplicationError)
	if !ok || prog.Posts <= 0 {
		return err
	}
	return temporal.NewApplicationErrorWithOptions(ae.Message(), ae.Type(), temporal.ApplicationErrorOptions{
		NonRetryable: ae.NonRetryable(), Cause: ae.Unwrap(), Details: []any{prog},
		NextRetryDelay: ae.NextRetryDelay(), Category: ae.Category(),
	})
}

// ReleaseLostSessionInput is a creation that failed for good and what it
// recorded before its POSTs.
type ReleaseLostSessionInput struct {
	Create   CreateRestoreSessionInput `json:"create"`
	Progress CreateProgress            `json:"progress"`
}

// ReleaseLostSessionResult says what ReleaseLostSession found.
type ReleaseLostSessionResult struct {
	// SessionID is the session found and stopped; empty when none was open.
	SessionID string `json:"sessionId,omitempty"`
	// Missing is true when VB365 no longer knew it when it was stopped.
	Missing bool `json:"missing,omitempty"`
}

// ReleaseLostSession stops the session that a lost POST of a failed
// CreateRestoreSession created, if there is one: it looks for it exactly as
// a retry of the creation would (every fact VB365 gives, inside the window
// of the POSTs the creation sent, absent from its snapshot, claimed for
// this workflow) and stops it. Without a snapshot (Progress.SendTime zero)
// it looks for nothing. It carries the same residual ambiguity as adoption
// (see CreateRestoreSession). The session found is heartbeated before the
// stop, so a retry after a lost stop response stops the same one (stopping
// is idempotent).
func (a *Activities) ReleaseLostSession(ctx context.Context, in ReleaseLostSessionInput) (*ReleaseLostSessionResult, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	var id string
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &id)
	}
	if id == "" {
		if in.Progress.SendTime.IsZero() {
			activity.GetLogger(ctx).Warn("no snapshot of the failed creation: not looking for a session to release", "posts", in.Progress.Posts)
			return &ReleaseLostSessionResult{}, nil
		}
		s, err := a.findCreated(ctx, c, in.Create, in.Progress)
		if err != nil {
			return nil, err
		}
		if s == nil {
			activity.GetLogger(ctx).Info("no restore session left open by the failed creation", "posts", in.Progress.Posts)
			return &ReleaseLostSessionResult{}, nil
		}
		id = s.ID
		a.heartbeat(ctx, id)
	}
	if err := c.StopRestoreSession(ctx, id); err != nil {
		if vb365.StatusCode(err) == 404 {
			return &ReleaseLostSessionResult{SessionID: id, Missing: true}, nil
		}
		return nil, mapError(fmt.Sprintf("stop restore session %q left open by a failed creation", id), err)
	}
	activity.GetLogger(ctx).Warn("stopped a restore session left open by a failed creation", "sessionId", id, "posts", in.Progress.Posts)
	return &ReleaseLostSessionResult{SessionID: id}, nil
}

// findCreated returns the session a lost POST of prog created, claimed for
// this workflow, or nil: a candidate is a Working session of the
// organization and type listed for the worker's account, initiated by it,
// created inside prog's window, absent from prog's snapshot, with the
// restore point the request opens in its name. A candidate this workflow
// already holds wins (an earlier attempt claimed it); otherwise the best
// one (closer) that no other workflow holds is claimed.
func (a *Activities) findCreated(ctx context.Context, c VB365API, in CreateRestoreSessionInput, prog CreateProgress) (*vb365.RestoreSession, error) {
	from, to := prog.window()
	found, err := a.listMatching(ctx, c, in, from, to)
	if err != nil {
		return nil, err
	}
	var candidates []*vb365.RestoreSession
	for i := range found {
		s := &found[i]
		if slices.Contains(prog.PreExisting, s.ID) || s.CreationTime.Before(from) ||
			!to.IsZero() && s.CreationTime.After(to) || !sameAccount(s.InitiatedBy, a.cfg.Username) {
			continue
		}
		candidates = append(candidates, s)
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	org, err := c.GetOrganization(ctx, in.OrganizationID)
	if err != nil {
		return nil, mapError(fmt.Sprintf("get organization %q (the restore point a lost session must show)", in.OrganizationID), err)
	}
	candidates = slices.DeleteFunc(candidates, func(s *vb365.RestoreSession) bool {
		return !opensRestorePoint(s.Name, in, org, a.cfg.ServerTimeZone)
	})
	slices.SortStableFunc(candidates, func(s, t *vb365.RestoreSession) int {
		switch {
		case closer(s.CreationTime, t.CreationTime, prog.SendTime):
			return -1
		case closer(t.CreationTime, s.CreationTime, prog.SendTime):
			return 1
		}
		return 0
	})
	me := workflowOf(ctx)
	var free []*vb365.RestoreSession
	for _, s := range candidates {
		owner, err := a.claims.Owner(ctx, s.ID)
		if err != nil {
			return nil, retryable(ErrTypeTransient, fmt.Sprintf("read the claim of restore session %s: %v", s.ID, err), err)
		}
		switch owner {
		case me:
			return s, nil
		case "":
			free = append(free, s)
		}
	}
	for _, s := range free {
		owner, err := a.claims.Claim(ctx, s.ID, me)
		if err != nil {
			return nil, retryable(ErrTypeTransient, fmt.Sprintf("claim restore session %s: %v", s.ID, err), err)
		}
		if owner == me {
			return s, nil
		}
	}
	return nil, nil
}

// sameAccount reports whether a session's initiatedBy names the account the
// client logs in with. VB365 writes it as DOMAIN\user (the account may be
// configured as user, DOMAIN\user or user@domain); an empty side says
// nothing and matches.
func sameAccount(initiatedBy, username string) bool {
	if initiatedBy == "" || username == "" {
		return true
	}
	return strings.EqualFold(accountName(initiatedBy), accountName(username))
}

func accountName(s string) string {
	if i := strings.LastIndex(s, `\`); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.Index(s, "@"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// nameRestorePoint is the restore point VB365 writes at the end of a
// session's name: "Teams restore (Entire organization - 10/30/2020 10:29:05
// AM)", or "(... - no backup data as of 9/1/2020 8:00:00 AM)" for a session
// opened before the first backup.
var nameRestorePoint = regexp.MustCompile(`(no backup data as of )?(\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M)\)\s*$`)

// opensRestorePoint reports whether a session's name shows the restore
// point the request opens: the last backup when the requested time is at
// or after it; otherwise one at or before the requested time and not
// before the first backup; "no backup data as of" the requested time when
// that precedes the first backup. The name's time carries no zone: it may
// be UTC or the server's zone, and either reading that fits matches. A name
// without a restore point in this form says nothing and matches.
func opensRestorePoint(name string, in CreateRestoreSessionInput, org *vb365.Organization, zone *time.Location) bool {
	m := nameRestorePoint.FindStringSubmatch(name)
	if m == nil {
		return true
	}
	wall, err := time.Parse("1/2/2006 3:04:05 PM", m[2])
	if err != nil {
		return true
	}
	if zone == nil {
		zone = time.UTC
	}
	req := in.DateTime.UTC().Truncate(time.Second)
	sec := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		u := t.UTC().Truncate(time.Second)
		return &u
	}
	first, last := sec(org.FirstBackupTime), sec(org.LastBackupTime)
	for _, loc := range []*time.Location{time.UTC, zone} {
		p := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, loc).UTC()
		switch {
		case m[1] != "":
			if p.Equal(req) && (first == nil || req.Before(*first)) {
				return true
			}
		case last != nil && !req.Before(*last):
			if p.Equal(*last) {
				return true
			}
		default:
			if !p.After(req) && (first == nil || !p.Before(*first)) {
				return true
			}
		}
	}
	return false
}

// closer reports whether t is a better match than u for a POST sent at
// sendTime: sessions created at or after sendTime come first (the closest
// one), then those in the slack before it (again the closest).
func closer(t, u, sendTime time.Time) bool {
	tAfter, uAfter := !t.Before(sendTime), !u.Before(sendTime)
	if tAfter != uAfter {
		return tAfter
	}
	return absDuration(t.Sub(sendTime)) < absDuration(u.Sub(sendTime))
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// listMatching lists Working sessions of the organization and type created
// since from (and until to, unless zero): those visitMatching visits.
func (a *Activities) listMatching(ctx context.Context, c VB365API, in CreateRestoreSessionInput, from, to time.Time) ([]vb365.RestoreSession, error) {
	var out []vb365.RestoreSession
	if err := a.visitMatching(ctx, c, in, from, to, func(s vb365.RestoreSession) { out = append(out, s) }); err != nil {
		return nil, err
	}
	return out, nil
}

// visitMatching calls visit for each Working session of the organization
// and type created since from (and until to, unless zero): every one, once,
// whatever order VB365 lists them in and while sessions are created
// (visitAll). The list holds the sessions every restore of the server
// started in the window, hundreds when many open at once: they are matched
// as each page arrives, and no more than the ids of the others are kept.
// The time filter keeps the list short; v8, which lists newest first by
// default, is asked for oldest first, so that sessions created meanwhile
// land after the read position instead of shifting the pages still to read
// (visitAll holds either way).
func (a *Activities) visitMatching(ctx context.Context, c VB365API, in CreateRestoreSessionInput, from, to time.Time, visit func(vb365.RestoreSession)) error {
	var until *time.Time
	if !to.IsZero() {
		until = &to
	}
	// Large pages: with hundreds of restores starting at once, VB365's
	// default of 30 a page made this lookup cost several requests each.
	read := func(ctx context.Context, offset int) (*vb365.Page[vb365.RestoreSession], error) {
		return c.ListRestoreSessions(ctx, vb365.ListRestoreSessionsOptions{
			StartTimeFrom: &from, StartTimeTo: until, ListOptions: vb365.ListOptions{Offset: offset, Limit: a.listPageSize},
			OrderBy: vb365.OrderByCreationTime, OrderAsc: true,
		})
	}
	err := visitAll(ctx, read, func(s vb365.RestoreSession) string { return strings.ToLower(s.ID) }, a.maxListPages, func(s vb365.RestoreSession) {
		if strings.EqualFold(s.Organization, in.OrganizationName) &&
			strings.EqualFold(s.Type, string(in.Type)) &&
			s.State == vb365.SessionStateWorking {
			visit(s)
		}
	})
	if err != nil {
		return mapError(fmt.Sprintf("list restore sessions since %s (looking for one of organization %q)",
			from.Format(time.RFC3339), in.OrganizationName), err)
	}
	return nil
}

// outcomeUnknown says whether a failed POST may still have created a
// session: no HTTP answer (timeout, connection reset or closed) or a
// gateway timeout (a proxy gave up; VB365 behind it goes on).
func outcomeUnknown(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	code := vb365.StatusCode(err)
	return code == 504 || code == 0 && (vb365.IsTransient(err) || errors.Is(err, context.DeadlineExceeded))
}

// awaitCreated looks for the session of an unanswered POST for up to
// createSettle, heartbeating; nil when none appeared (the caller's error
// then makes the next attempt look again and, if still none, POST).
func (a *Activities) awaitCreated(ctx context.Context, c VB365API, in CreateRestoreSessionInput, prog CreateProgress) *vb365.RestoreSession {
	if a.createSettle <= 0 {
		return nil
	}
	deadline := time.Now().Add(a.createSettle)
	for {
		s, err := a.findCreated(ctx, c, in, prog)
		if err == nil && s != nil {
			return s
		}
		a.heartbeat(ctx, prog)
		if time.Now().Add(a.createSettlePoll).After(deadline) {
			return nil
		}
		t := time.NewTimer(a.createSettlePoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}
