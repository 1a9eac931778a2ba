package playbook

// Change ids of workflow.GetVersion: one per change of the playbook's
// commands since release1, named for what the change does. Never reuse or
// rename one.
const (
	// changeStrictRestoreInput: a restore entry the strict decoding refused
	// (unknown field, wrong JSON type) fails its row InvalidRequest instead
	// of starting a child that never sees the problem.
	changeStrictRestoreInput = "strict-restore-input"
)
