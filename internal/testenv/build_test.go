package testenv

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/internal/gomodule"
)

// A binary handed to one test stays when the folder of the test that built
// it first is removed: tests that run in parallel end in any order.
func TestBuildOutlivesTheFirstCallersFolder(t *testing.T) {
	root, err := gomodule.Root()
	require.NoError(t, err)
	first, second := t.TempDir(), t.TempDir()
	pkg := "./scripts/mutationreport" // small, and no other test of this package builds it
	a, err := Build(root, first, pkg)
	require.NoError(t, err)
	b, err := Build(root, second, pkg)
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(first))
	_, err = os.Stat(b)
	require.NoError(t, err, "the second caller's binary is gone with the first caller's folder (%s, %s)", a, b)
	c, err := Build(root, t.TempDir(), pkg)
	require.NoError(t, err, "a build after the first binary is gone builds again")
	_, err = os.Stat(c)
	require.NoError(t, err)
}
