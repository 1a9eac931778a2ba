package playbook

// Change ids of workflow.GetVersion: one per change of the playbook's
// commands since release1, named for what the change does. Never reuse or
// rename one.
const (
	// changeValidateRestoreEntries: a restore entry workflows.ValidateInput
	// refuses (an unknown field or a wrong JSON type included) fails its row
	// with that error instead of starting a child, which would never see
	// what the strict decoding refused.
	changeValidateRestoreEntries = "validate-restore-entries"
	// changeContinueAsNew: decided once, at the start of a first run. A
	// playbook at version 1 starts its children with
	// PARENT_CLOSE_POLICY_ABANDON (the server applies a child's parent
	// close policy when its parent continues as new), learns their end from
	// workflows.SignalSessionEnded, stops and cancels them by id, and
	// continues as new when its history grows (see shouldContinueAsNew).
	// Earlier playbooks keep their children bound to their run and never
	// continue as new.
	changeContinueAsNew = "continue-as-new"
)
