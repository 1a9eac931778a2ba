package gomodule

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRootFindsThisModule(t *testing.T) {
	root, err := Root()
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "go.mod"))
	require.DirExists(t, filepath.Join(root, "worker"))

	require.True(t, declares([]byte("// c\nmodule "+Path+"\n\ngo 1.26\n")))
	require.True(t, declares([]byte(`module "`+Path+`"`)))
	require.False(t, declares([]byte("module "+Path+"/other\n")), "another module below this path")
	require.False(t, declares([]byte("require "+Path+" v1.0.0\n")))
}

func TestRootOutsideTheModule(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := Root()
	require.ErrorContains(t, err, "no go.mod of "+Path)
}

func TestBuildNamesBinariesAfterTheirPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	root, err := Root()
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "bin")
	paths, err := Build(context.Background(), root, dir, "./starter")
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "starter")}, paths)
	out, err := exec.Command(paths[0], "--help").CombinedOutput()
	require.NoError(t, err, string(out))

	_, err = Build(context.Background(), root, dir, "./no-such-command")
	require.ErrorContains(t, err, "go build ./no-such-command")
}
