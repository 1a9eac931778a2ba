// Package gomodule finds this module's source tree and builds its commands:
// the one way the dev stack, the benchmark and the tests find the module
// root and build ./worker (and the other main packages) from it.
package gomodule

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Path is the module path that go.mod declares.
const Path = "github.com/vb365-restore/vb365-restore"

// Root finds the folder whose go.mod declares Path, from the working
// directory upwards.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && declares(b) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("run it inside the vb365-restore repository (no go.mod of %s above %s)", Path, dir)
		}
	}
}

// declares reports whether gomod is the go.mod of Path.
func declares(gomod []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" && strings.Trim(f[1], `"`) == Path {
			return true
		}
	}
	return false
}

// Build compiles the main packages pkgs (such as "./worker") of the module at
// root into dir, each binary named after its package's folder, and returns
// their paths in the order of pkgs. Go's build cache makes a repeated build
// take a second or two.
func Build(ctx context.Context, root, dir string, pkgs ...string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	args := append([]string{"build", "-o", dir + string(os.PathSeparator)}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("go build %s: %w\n%s", strings.Join(pkgs, " "), err, out)
	}
	paths := make([]string, len(pkgs))
	for i, p := range pkgs {
		paths[i] = filepath.Join(dir, filepath.Base(p))
	}
	return paths, nil
}
