package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
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
	// PreExisting are the ids of sessions that already matched (same
	// organization and type, Working, created since SendTime-adoptSlack)
	// before the first POST: they belong to someone else.
	PreExisting []string `json:"preExisting,omitempty"`
	// Posts counts the POSTs sent so far (for the logs and the UI). In the
	// details of an error it counts those that may have created a session:
	// a POST VB365 answered with a refusal created nothing.
	Posts int `json:"posts"`
}

// adoptSlack widens the search window before SendTime, because creationTime
// comes from the VB365 server's clock and SendTime from the worker's.
// Sessions created in the slack before the POST are excluded by the
// PreExisting snapshot, which uses the same window.
const adoptSlack = time.Minute

// maxListPages bounds the paging through restore sessions in one lookup;
// listPageSize is the page size asked for (VB365 allows up to 10,000).
const (
	maxListPages = 50
	listPageSize = 1000
)

// CreateRestoreSession opens the restore session, and never opens a second
// one for the same activity: when a previous attempt may have sent its POST
// (heartbeat details say so, or this is not the first attempt), it first looks
// for the session that POST created and adopts it.
//
// Residual ambiguity: VB365 has no idempotency key, so the session is found by
// organization name, type, state Working, creation time after SendTime-slack
// and absence from the pre-POST snapshot. If another client (another workflow
// for the same organization and type, or an operator) creates such a session
// between this activity's snapshot and its retry while this activity's own
// response was lost, the closest one created after SendTime is adopted, which
// may be the other one. Two workflows for the same organization and type that
// both lose their responses within the same second can thus swap or share a
// session. Avoid it by not starting two identical restores at once (the
// workflow id is the natural guard).
func (a *Activities) CreateRestoreSession(ctx context.Context, in CreateRestoreSessionInput) (*CreateRestoreSessionResult, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	log := a.logger(ctx)
	info := activity.GetInfo(ctx)

	var prog CreateProgress
	recorded := false
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &prog); err == nil && !prog.SendTime.IsZero() {
			recorded = true
		}
	}
	if !recorded && info.Attempt > 1 {
		// A previous attempt ran but left no details: it failed before its
		// pre-POST heartbeat, so it most likely never posted. Look anyway,
		// from the activity's first scheduling, without a snapshot (and so
		// without slack, to not adopt sessions that predate this activity).
		prog.SendTime = info.ScheduledTime
		if s, err := a.findCreated(ctx, c, in, prog.SendTime, nil, 0); err != nil {
			return nil, err
		} else if s != nil {
			log.Warn("adopted a restore session created by an earlier attempt", "sessionId", s.ID, "attempt", info.Attempt)
			return &CreateRestoreSessionResult{Session: *s, Adopted: true}, nil
		}
		prog = CreateProgress{}
	}
	if recorded {
		s, err := a.findCreated(ctx, c, in, prog.SendTime, prog.PreExisting, adoptSlack)
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
		prog.SendTime = time.Now().UTC()
		existing, err := a.listMatching(ctx, c, in, prog.SendTime.Add(-adoptSlack))
		if err != nil {
			return nil, err
		}
		for _, s := range existing {
			prog.PreExisting = append(prog.PreExisting, s.ID)
		}
	}
	prog.Posts++
	activity.RecordHeartbeat(ctx, prog)

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
		if !vb365.IsTransient(err) && !isAuthFailure(err) {
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
	a.claims.take(s.ID, workflowOf(ctx))
	return &CreateRestoreSessionResult{Session: *s}, nil
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
// a retry of the creation would (same organization and type, Working,
// created since Progress.SendTime less the slack, not in the pre-POST
// snapshot, not claimed by another workflow on this worker) and stops it. It
// carries the same residual ambiguity as adoption (see CreateRestoreSession).
// The session found is heartbeated before the stop, so a retry after a lost
// stop response stops the same one (stopping is idempotent).
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
		s, err := a.findCreated(ctx, c, in.Create, in.Progress.SendTime, in.Progress.PreExisting, adoptSlack)
		if err != nil {
			return nil, err
		}
		if s == nil {
			a.logger(ctx).Info("no restore session left open by the failed creation", "posts", in.Progress.Posts)
			return &ReleaseLostSessionResult{}, nil
		}
		id = s.ID
		activity.RecordHeartbeat(ctx, id)
	}
	if err := c.StopRestoreSession(ctx, id); err != nil {
		if vb365.StatusCode(err) == 404 {
			return &ReleaseLostSessionResult{SessionID: id, Missing: true}, nil
		}
		return nil, mapError(fmt.Sprintf("stop restore session %q left open by a failed creation", id), err)
	}
	a.logger(ctx).Warn("stopped a restore session left open by a failed creation", "sessionId", id, "posts", in.Progress.Posts)
	return &ReleaseLostSessionResult{SessionID: id}, nil
}

// findCreated returns the session a lost POST created, or nil.
func (a *Activities) findCreated(ctx context.Context, c VB365API, in CreateRestoreSessionInput,
	sendTime time.Time, preExisting []string, slack time.Duration) (*vb365.RestoreSession, error) {
	from := sendTime.Add(-slack)
	found, err := a.listMatching(ctx, c, in, from)
	if err != nil {
		return nil, err
	}
	var candidates []*vb365.RestoreSession
	for i := range found {
		s := &found[i]
		if slices.Contains(preExisting, s.ID) || s.CreationTime.Before(from) {
			continue
		}
		candidates = append(candidates, s)
	}
	return a.claims.pick(workflowOf(ctx), candidates, func(s, t *vb365.RestoreSession) bool {
		return closer(s.CreationTime, t.CreationTime, sendTime)
	}), nil
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
// since from: every one, whatever order VB365 lists them in and while
// sessions are created (readAll). The time filter keeps the list short; v8,
// which lists newest first by default, is asked for oldest first, so that
// sessions created meanwhile land after the read position instead of
// shifting the pages still to read.
func (a *Activities) listMatching(ctx context.Context, c VB365API, in CreateRestoreSessionInput, from time.Time) ([]vb365.RestoreSession, error) {
	// Large pages: with hundreds of restores starting at once, VB365's
	// default of 30 a page made this lookup cost several requests each.
	read := func(ctx context.Context, offset int) (*vb365.Page[vb365.RestoreSession], error) {
		return c.ListRestoreSessions(ctx, vb365.ListRestoreSessionsOptions{
			StartTimeFrom: &from, ListOptions: vb365.ListOptions{Offset: offset, Limit: listPageSize},
			OrderBy: vb365.OrderByCreationTime, OrderAsc: true,
		})
	}
	all, err := readAll(ctx, read, func(s vb365.RestoreSession) string { return strings.ToLower(s.ID) }, maxListPages)
	if err != nil {
		return nil, mapError(fmt.Sprintf("list restore sessions since %s (looking for one of organization %q)",
			from.Format(time.RFC3339), in.OrganizationName), err)
	}
	var out []vb365.RestoreSession
	for _, s := range all {
		if strings.EqualFold(s.Organization, in.OrganizationName) &&
			strings.EqualFold(s.Type, string(in.Type)) &&
			s.State == vb365.SessionStateWorking {
			out = append(out, s)
		}
	}
	return out, nil
}

// createSettle bounds how long a create whose outcome is unknown looks for
// the session VB365 may still be creating; createSettlePoll is how often.
var (
	createSettle     = 30 * time.Second
	createSettlePoll = time.Second
)

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
	if createSettle <= 0 {
		return nil
	}
	deadline := time.Now().Add(createSettle)
	for {
		s, err := a.findCreated(ctx, c, in, prog.SendTime, prog.PreExisting, adoptSlack)
		if err == nil && s != nil {
			return s
		}
		activity.RecordHeartbeat(ctx, prog)
		if time.Now().Add(createSettlePoll).After(deadline) {
			return nil
		}
		t := time.NewTimer(createSettlePoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}
