package workflows

// RecordOptions is recordOptions for the recorder (package workflows_test):
// the worker that records a path's history and its replay use one value.
var RecordOptions = recordOptions
