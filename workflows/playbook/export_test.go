package playbook

// RecordEventsPerRun is recordEventsPerRun for the recorder (package
// playbook_test): the worker that records a history and its replay use one value.
const RecordEventsPerRun = recordEventsPerRun
