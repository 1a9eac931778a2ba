package openapispec

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// recordingTB stands in for a test to see whether Require skips or fails.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
}

// Without the documents a contract test skips with one line naming where to
// put them, unless VB365_OPENAPI_REQUIRED=1 makes it fail.
func TestRequireSkipsOrFails(t *testing.T) {
	t.Setenv(DirEnv, t.TempDir())
	_, err := Dir()
	if err == nil || !strings.Contains(err.Error(), "vb365_rest_v8.json") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Dir() on an empty folder: %v, want one line naming the documents", err)
	}

	t.Setenv(RequiredEnv, "")
	r := &recordingTB{TB: t}
	require(r, nil, err)
	if r.skipped == "" || r.failed != "" || !strings.Contains(r.skipped, DirEnv) {
		t.Errorf("without %s: skipped %q, failed %q", RequiredEnv, r.skipped, r.failed)
	}

	t.Setenv(RequiredEnv, "1")
	r = &recordingTB{TB: t}
	require(r, nil, errors.New("documents not found"))
	if r.failed == "" || r.skipped != "" {
		t.Errorf("with %s=1: skipped %q, failed %q", RequiredEnv, r.skipped, r.failed)
	}

	spec := &Spec{Version: "v8"}
	r = &recordingTB{TB: t}
	if got := require(r, spec, nil); got != spec || r.failed != "" || r.skipped != "" {
		t.Errorf("with the document loaded: got %v, skipped %q, failed %q", got, r.skipped, r.failed)
	}
}
