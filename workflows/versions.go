package workflows

// Change ids of workflow.GetVersion: one per change of the workflow's
// commands since release1, named for what the change does. Histories of
// earlier releases replay with DefaultVersion at each of them; never reuse
// or rename one.
const (
	// changeStopUpdateOutlivesCancel: the stop update waits for the
	// session to be stopped even when the workflow is cancelled meanwhile,
	// and answers with the stopped session.
	changeStopUpdateOutlivesCancel = "stop-update-outlives-cancel"
	// changeNoCreateAfterCancel: a cancel that arrives before the creation
	// (during the search-attribute check) creates no session.
	changeNoCreateAfterCancel = "no-create-after-cancel"
	// changeStopConfirmBound: the stop is retried for Options.StopConfirmBound,
	// then the workflow records what it can and fails SessionStopUnconfirmed.
	changeStopConfirmBound = "stop-confirm-bound"
)
