package integration

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// Bad input fails at once with its named error type and a message naming
// the field, is never retried (no activity, or its only attempt is the
// first) and never opens a session.
func TestBadInput(t *testing.T) {
	t.Parallel()
	org := func(kv ...any) map[string]any {
		m := map[string]any{"organizationId": seedOrg, "type": "vet", "pollInterval": "1s"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	const (
		inv = workflows.ErrInvalidRequest
		// activity is how the history must look: "none" (validation fails
		// before any activity) or "GetOrganization" (one attempt of it).
		none = ""
		get  = "GetOrganization"
	)
	huge := strings.Repeat("9", 64<<10)
	cases := []struct {
		name     string
		args     []any
		errType  string
		field    string
		activity string
	}{
		{"org-empty", []any{org("organizationId", "")}, inv, "organizationId", none},
		{"org-not-uuid", []any{org("organizationId", "abc.onmicrosoft.com")}, inv, "organizationId", none},
		{"org-no-dashes", []any{org("organizationId", "3c424478081149208aab01f0bf2a2822")}, inv, "organizationId", none},
		{"org-braces", []any{org("organizationId", "{3c424478-0811-4920-8aab-01f0bf2a2822}")}, inv, "organizationId", none},
		{"org-huge", []any{org("organizationId", huge)}, inv, "organizationId", none},
		{"org-number", []any{org("organizationId", 42)}, inv, "organizationId", none},
		{"org-null-object", []any{org("organizationId", map[string]any{"id": seedOrg})}, inv, "organizationId", none},
		{"time-words", []any{org("pointInTime", "yesterday")}, inv, "pointInTime", none},
		{"time-month-13", []any{org("pointInTime", "2020-13-01T00:00:00Z")}, inv, "pointInTime", none},
		{"time-date-only", []any{org("pointInTime", "2020-10-30")}, inv, "pointInTime", none},
		{"time-european", []any{org("pointInTime", "30/10/2020 10:00:00")}, inv, "pointInTime", none},
		{"time-bad-offset", []any{org("pointInTime", "2020-10-30T10:00:00+25:00")}, inv, "pointInTime", none},
		{"time-epoch-number", []any{org("pointInTime", 1604053440)}, inv, "pointInTime", none},
		{"time-huge", []any{org("pointInTime", huge)}, inv, "pointInTime", none},
		{"time-future", []any{org("pointInTime", "2999-01-01T00:00:00Z")}, workflows.ErrPointInTimeInFuture, "pointInTime", none},
		{"time-before-first-backup", []any{org("pointInTime", "2001-01-01T00:00:00Z")}, workflows.ErrPointInTimeBeforeFirstBackup, "pointInTime", get},
		{"type-empty", []any{org("type", "")}, inv, "type", none},
		{"type-unknown", []any{org("type", "mailbox")}, inv, "type", none},
		{"type-bool", []any{org("type", true)}, inv, "type", none},
		{"before-first-backup-maybe", []any{org("beforeFirstBackup", "maybe")}, inv, "beforeFirstBackup", none},
		{"max-duration-words", []any{org("maxSessionDuration", "forever")}, inv, "maxSessionDuration", none},
		{"max-duration-zero", []any{org("maxSessionDuration", "0s")}, inv, "maxSessionDuration", none},
		{"max-duration-negative", []any{org("maxSessionDuration", "-1h")}, inv, "maxSessionDuration", none},
		{"max-duration-over-7d", []any{org("maxSessionDuration", "169h")}, inv, "maxSessionDuration", none},
		{"max-duration-overflow", []any{org("maxSessionDuration", "9999999999999999999h")}, inv, "maxSessionDuration", none},
		{"max-duration-number", []any{org("maxSessionDuration", 3600)}, inv, "maxSessionDuration", none},
		{"poll-too-short", []any{org("pollInterval", "500ms")}, inv, "pollInterval", none},
		{"poll-too-long", []any{org("pollInterval", "11m")}, inv, "pollInterval", none},
		{"poll-no-unit", []any{org("pollInterval", "15")}, inv, "pollInterval", none},
		{"show-deleted-string", []any{org("showDeleted", "yes")}, inv, "showDeleted", none},
		{"batches-huge", []any{org("continueAsNewAfterBatches", 1e30)}, inv, "continueAsNewAfterBatches", none},
		{"unknown-field", []any{org("dryRun", true)}, inv, "dryRun", none},
		{"unknown-british-spelling", []any{map[string]any{"organisationId": seedOrg, "type": "vet"}}, inv, "organisationId", none},
		{"input-array", []any{[]string{seedOrg, "vet"}}, inv, "input", none},
		{"input-string", []any{seedOrg}, inv, "input", none},
		{"no-input", nil, inv, "organizationId", none},
		{"org-never-backed-up", []any{org("organizationId", vb365sim.NeverBackedUpOrganizationID)}, workflows.ErrOrganizationNotBackedUp, "organizationId", get},
		{"org-unknown", []any{org("organizationId", "0f0e0d0c-0b0a-4908-8706-050403020100")}, workflows.ErrOrganizationNotFound, "organizationId", get},
	}
	require.GreaterOrEqual(t, len(cases), 25)
	s := newStack(t, vb365sim.Options{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			run := s.startAny(c.args...)
			_, err := resultOf(t, run)
			checkRejected(t, run.GetID(), err, c.errType, c.field, c.activity)
		})
	}
	t.Cleanup(func() { require.Empty(t, s.sim.Sessions(), "bad input opened a session") })
}

// Wrong credentials and an untrusted certificate are the worker's bad
// input: they fail at once too, and name the setting to fix.
func TestBadWorkerSettings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		env   []string
		field string
	}{
		{"wrong-password", []string{"VB365_PASSWORD=not-the-password"}, "VB365_PASSWORD"},
		{"untrusted-certificate", []string{"VB365_CA_FILE="}, "VB365_CA_FILE"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, vb365sim.Options{}, c.env...)
			run := s.start(input())
			_, err := resultOf(t, run)
			checkRejected(t, run.GetID(), err, workflows.ErrVB365AuthenticationFailed, c.field, "GetOrganization")
			require.NotContains(t, err.Error(), "not-the-password")
			require.Empty(t, s.sim.Sessions())
		})
	}
}

// checkRejected holds a failed restore to the bad-input promises.
func checkRejected(t *testing.T, id string, err error, errType, field, activity string) {
	t.Helper()
	ae := namedError(t, err)
	require.Equal(t, errType, ae.Type(), "error: %v", err)
	require.True(t, ae.NonRetryable())
	require.Contains(t, ae.Error(), field, "the message names the field")
	require.Less(t, len(ae.Error()), 2000, "the message is bounded")
	attempts := activityAttempts(historyOf(t, devServer.Client, id))
	if activity == "" {
		require.Empty(t, attempts, "validation fails before any activity")
		return
	}
	require.Equal(t, map[string][]int32{activity: {1}}, attempts, "one activity, attempted once")
}
