package workflows

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// md escapes what would break a table row, and builds nothing per call: it
// runs for every row of every summary, again on each replay.
func TestMdEscapesWithOneReplacer(t *testing.T) {
	require.Equal(t, `a\|b c d`, md("a|b\nc\rd"))
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = md("a plain value") }), "no allocation for a value with nothing to escape")
}
