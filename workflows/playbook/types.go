// Package playbook holds RestorePlaybookWorkflow: a DR playbook that opens
// many restore sessions at once (several organizations and workloads), each as
// a child RestoreSessionWorkflow, with one status view and one stop.
package playbook

import (
	"time"

	"github.com/vb365-restore/vb365-restore/workflows"
)

// WorkflowName is the registered type name of the playbook workflow.
const WorkflowName = "RestorePlaybookWorkflow"

// Defaults and bounds of Input.MaxConcurrent.
const (
	DefaultMaxConcurrent = 4
	MaxMaxConcurrent     = 50
	MaxRestores          = 200
)

// Input is the playbook, as JSON:
//
//	{"name": "quarterly DR drill",
//	 "restores": [{"organizationId": "...", "type": "vex", "pointInTime": "..."}, ...],
//	 "maxConcurrent": 4}
type Input struct {
	Name     string                   `json:"name"`
	Restores []workflows.RestoreInput `json:"restores"`
	// MaxConcurrent bounds how many restores are being created at once
	// (validating and opening their session); an open session no longer counts.
	MaxConcurrent int `json:"maxConcurrent,omitempty"`

	// Continuation is internal: set only by the playbook itself when it
	// continues as new, to carry its rows into the next run. Callers leave
	// it out (a first run refuses it).
	Continuation *Continuation `json:"continuation,omitempty"`
}

// Continuation is the state a playbook carries into its next run: its rows
// (the children's ids among them) and how far it got starting them.
type Continuation struct {
	Rows []Row `json:"rows"`
	Next int   `json:"next"`
	Runs int   `json:"runs"`
}

// RowState is where a restore of the playbook stands, from the playbook's
// point of view.
type RowState string

// Row states.
const (
	RowPending  RowState = "pending"  // not started yet (waiting for a creation slot)
	RowCreating RowState = "creating" // child running, session not known yet
	RowOpen     RowState = "open"     // session exists
	RowDone     RowState = "done"     // child completed
	RowFailed   RowState = "failed"   // child failed (ErrorType says why)
	RowCanceled RowState = "canceled" // child canceled
	RowSkipped  RowState = "skipped"  // never started: the playbook was stopped or canceled first
)

// Row is one restore of the playbook.
type Row struct {
	Index                int                   `json:"index"`
	WorkflowID           string                `json:"workflowId"`
	OrganizationID       string                `json:"organizationId"`
	OrganizationName     string                `json:"organizationName,omitempty"`
	Type                 string                `json:"type"`
	State                RowState              `json:"state"`
	EffectivePointInTime *time.Time            `json:"effectivePointInTime,omitempty"`
	SessionID            string                `json:"sessionId,omitempty"`
	SessionName          string                `json:"sessionName,omitempty"`
	SessionState         string                `json:"sessionState,omitempty"`
	EventCounts          workflows.EventCounts `json:"eventCounts"`
	EndReason            workflows.EndReason   `json:"endReason,omitempty"`
	ErrorType            string                `json:"errorType,omitempty"`
	Error                string                `json:"error,omitempty"`
	// Actions counts the restore's actions by how they ended (absent when
	// it has none).
	Actions *workflows.ActionCounts `json:"actions,omitempty"`
}

// Report is the playbook's result and the answer of its status query.
type Report struct {
	Name          string `json:"name"`
	StopRequested bool   `json:"stopRequested,omitempty"`
	Rows          []Row  `json:"rows"`
	// Counts by row state.
	Counts map[RowState]int `json:"counts"`
	// Runs is how many times the playbook continued as new so far.
	Runs int `json:"runs,omitempty"`
	// ActionCounts sums the rows' restore actions (absent when no restore
	// has any).
	ActionCounts *workflows.ActionCounts `json:"actionCounts,omitempty"`
}
