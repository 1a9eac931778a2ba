package workflows

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"

	"github.com/vb365-restore/vb365-restore/activities"
)

// decode runs v through the SDK's default data converter into a RestoreInput,
// as a workflow started from any SDK, the CLI or the Web UI receives it.
func decode(t *testing.T, v any) RestoreInput {
	t.Helper()
	dc := converter.GetDefaultDataConverter()
	p, err := dc.ToPayload(v)
	require.NoError(t, err)
	var in RestoreInput
	require.NoError(t, dc.FromPayload(p, &in), "decoding must never fail: the workflow task would fail forever")
	return in
}

func TestInputDecodingReportsUnknownFieldsAndWrongTypes(t *testing.T) {
	tests := []struct {
		name     string
		raw      any
		contains []string
	}{
		{"unknown field", map[string]any{"organizationId": testOrgID, "type": "vet", "pointOfTime": "2020-10-30T10:00:00Z"},
			[]string{`pointOfTime "\"2020-10-30T10:00:00Z\""`, "unknown field", "pointInTime"}},
		{"wrong type bool", map[string]any{"organizationId": testOrgID, "type": "vet", "showDeleted": "yes"},
			[]string{"showDeleted", "want a JSON boolean"}},
		{"wrong type string", map[string]any{"organizationId": 42, "type": "vet"},
			[]string{"organizationId", "want a JSON string"}},
		{"wrong type int", map[string]any{"organizationId": testOrgID, "type": "vet", "continueAsNewAfterBatches": 1e30},
			[]string{"continueAsNewAfterBatches", "want a JSON integer"}},
		{"not an object", []string{testOrgID}, []string{"input", "not a JSON object"}},
		{"two problems", map[string]any{"organizationId": testOrgID, "type": "vet", "a": 1, "b": 2},
			[]string{`a "1"`, "and 1 more"}},
	}
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) {
			_, err := ValidateInput(decode(t, c.raw), testNow)
			requireAppErr(t, err, ErrInvalidRequest, c.contains...)
		})
	}
}

func TestInputDecodingKeepsValidInputs(t *testing.T) {
	in := RestoreInput{OrganizationID: testOrgID, PointInTime: "2020-10-15T00:00:00Z", Type: "vet", ShowDeleted: true,
		MaxSessionDuration: "1h", PollInterval: "1s", NotifyParent: true, ContinueAsNewAfterBatches: 7,
		Continuation: &Continuation{Runs: 2, Events: newEventLog()}}
	got := decode(t, in)
	require.Equal(t, in, got)
	_, err := ValidateInput(got, testNow)
	require.NoError(t, err)

	// Names match as encoding/json matches them: ignoring case.
	got = decode(t, map[string]any{"OrganizationID": testOrgID, "TYPE": "vet"})
	require.Equal(t, testOrgID, got.OrganizationID)
	require.Equal(t, "vet", got.Type)
	_, err = ValidateInput(got, testNow)
	require.NoError(t, err)
}

func TestInvalidMessageClipsHugeValues(t *testing.T) {
	_, err := ValidateInput(RestoreInput{OrganizationID: strings.Repeat("x", 100_000), Type: "vet"}, testNow)
	requireAppErr(t, err, ErrInvalidRequest, "organizationId")
	require.Less(t, len(err.Error()), 400)
}

// A workflow started with an unknown field fails at once, without any activity.
func TestWorkflowRejectsUnknownField(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	Register(env, activities.New(activities.Config{}))
	env.ExecuteWorkflow(RestoreSessionWorkflowName, map[string]any{"organizationId": testOrgID, "type": "vet", "maxDuration": "1h"})
	require.True(t, env.IsWorkflowCompleted())
	requireAppErr(t, env.GetWorkflowError(), ErrInvalidRequest, "maxDuration", "unknown field")
}
