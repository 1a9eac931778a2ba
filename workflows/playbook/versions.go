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
)
