package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/vb365-restore/vb365-restore/activities"
	"github.com/vb365-restore/vb365-restore/vb365"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// noOrganization is a VB365 that knows no organization: a restore the
// workflow accepts fails right after validation, on reading it.
type noOrganization struct{ activities.VB365API }

func (noOrganization) GetOrganization(context.Context, string) (*vb365.Organization, error) {
	return nil, &vb365.Error{Op: "get organization", StatusCode: 404, Message: "Not found."}
}

// workflowAccepts runs in through the workflow's own validation and reports
// whether it passed it.
func workflowAccepts(t *testing.T, in workflows.RestoreInput, now time.Time) bool {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(now)
	env.RegisterWorkflow(workflows.RestoreSessionWorkflow)
	env.RegisterActivity(activities.New(activities.Config{Client: noOrganization{}}))
	env.ExecuteWorkflow(workflows.RestoreSessionWorkflow, in)
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err, "the organization cannot be read")
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && (ae.Type() == workflows.ErrInvalidRequest || ae.Type() == workflows.ErrPointInTimeInFuture) {
		return false
	}
	return true
}

// TestStarterAgreesWithWorkflowValidation runs the same --at, --max-duration
// and --poll-interval values through the starter's checks and the
// workflow's: the starter must refuse exactly what the workflow would.
func TestStarterAgreesWithWorkflowValidation(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ms := func(d time.Duration) string { return d.String() }
	tests := []struct {
		name                          string
		at, maxDuration, pollInterval string
		accepted                      bool
	}{
		{"defaults", "", "8h", "15s", true},
		{"RFC 3339", "2020-10-30T10:54:40Z", "8h", "15s", true},
		{"RFC 3339 offset and fraction", "2020-10-30T12:54:40.2794046+02:00", "8h", "15s", true},
		{"RFC 3339 padded", "  2020-10-30T10:54:40Z ", "8h", "15s", true},
		{"yyyy-MM-dd HH:mm:ss", "2020-10-30 10:54:40", "8h", "15s", true},
		{"yyyy-MM-dd HH:mm:ss.fff", "2020-10-30 10:54:40.123", "8h", "15s", true},
		{"yyyy.MM.dd HH:mm:ss", "2020.10.30 10:54:40", "8h", "15s", true},
		{"yyyy.MM.dd HH:mm:ss.f", "2020.10.30 10:54:40.5", "8h", "15s", true},
		{"date only", "2020-10-30", "8h", "15s", false},
		{"no zone", "2020-10-30T10:54:40", "8h", "15s", false},
		{"day first", "30/10/2020 10:54:40", "8h", "15s", false},
		{"words", "yesterday", "8h", "15s", false},
		{"max duration at the bound", "", ms(workflows.MaxMaxSessionDuration), "15s", true},
		{"max duration over the bound", "", ms(workflows.MaxMaxSessionDuration + time.Second), "15s", false},
		{"max duration smallest", "", "1ns", "15s", true},
		{"max duration zero", "", "0s", "15s", false},
		{"max duration negative", "", "-1h", "15s", false},
		{"max duration no unit", "", "8", "15s", false},
		{"max duration padded", "", " 90m ", "15s", true},
		{"max duration empty: the default", "", "", "15s", true},
		{"poll at the lower bound", "", "8h", ms(workflows.MinPollInterval), true},
		{"poll under the lower bound", "", "8h", ms(workflows.MinPollInterval - time.Millisecond), false},
		{"poll at the upper bound", "", "8h", ms(workflows.MaxPollInterval), true},
		{"poll over the upper bound", "", "8h", ms(workflows.MaxPollInterval + time.Second), false},
		{"poll not a duration", "", "8h", "often", false},
		{"poll empty: the default", "", "8h", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flags := restoreFlags{org: seedOrg, sessionType: "vet", beforeFirstBackup: "fail",
				at: tt.at, maxDuration: tt.maxDuration, pollInterval: tt.pollInterval}
			req, err := flags.request()
			assert.Equal(t, tt.accepted, err == nil, "starter: %v", err)

			raw := workflows.RestoreInput{OrganizationID: seedOrg, Type: "vet", BeforeFirstBackup: "fail",
				PointInTime: tt.at, MaxSessionDuration: tt.maxDuration, PollInterval: tt.pollInterval}
			assert.Equal(t, tt.accepted, workflowAccepts(t, raw, now), "workflow, given the raw values")
			if err == nil {
				assert.True(t, workflowAccepts(t, req.input, now), "workflow, given what the starter sends")
			}
		})
	}
}
