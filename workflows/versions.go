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
	// changeStopUpdateAnswersWhenStopped: the stop update answers once the
	// session is stopped, before the events after the stop are read (so a
	// run may continue as new while reading them).
	changeStopUpdateAnswersWhenStopped = "stop-update-answers-when-stopped"
	// changeContinueOnHistorySize: a run continues as new once its history
	// reaches Options.HistoryBytesPerRun, also while reading the events
	// after the stop, which no longer stops after maxFinalFetches reads.
	changeContinueOnHistorySize = "continue-on-history-size"
	// changeRecordPastRunning: events after one still Running are recorded
	// as they finish (the running one when it ends), instead of being held
	// back behind it.
	changeRecordPastRunning = "record-past-running"
	// changeNotifyParentEnded: a child (NotifyParent) signals its parent
	// SignalSessionEnded when it ends, so a parent that continued as new
	// since it started the child learns how it ended.
	changeNotifyParentEnded = "notify-parent-ended"
	// changeSessionTypeLowercase: the VB365SessionType search attribute
	// holds the type in the input's lower-case form (vex, vesp, veod, vet),
	// not VB365's casing, so a query by the form users type finds it.
	changeSessionTypeLowercase = "session-type-search-attribute-lowercase"
	// changeProgressWithinPoll: a child's progress held back is sent after
	// at most one poll interval (Options.ProgressInterval when shorter), so
	// a parent sees completed events within two poll intervals; before, after
	// at most Options.ProgressInterval.
	changeProgressWithinPoll = "progress-within-poll-interval"
	// changeRestoreActions: a restore with actions runs them once its
	// session is open, one RestoreAction activity each, then stops the
	// session unless KeepSessionOpen (see actions.go). Decided once, in the
	// first run of a restore with actions; a restore without actions never
	// asks.
	changeRestoreActions = "restore-actions"
)
