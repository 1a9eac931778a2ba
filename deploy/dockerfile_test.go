package deploy

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// stage is one FROM section.
type stage struct {
	image, name string
	body        []instruction
}

func parseDockerfile(t *testing.T, path string) []stage {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var logical []string
	var cur strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		if s := strings.TrimSpace(cur.String()); s != "" {
			logical = append(logical, s)
		}
		cur.Reset()
	}
	var stages []stage
	for _, l := range logical {
		cmd, args, _ := strings.Cut(l, " ")
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			var st stage
			for _, x := range f {
				if !strings.HasPrefix(x, "--") {
					st.image = x
					break
				}
			}
			if len(f) >= 3 && strings.EqualFold(f[len(f)-2], "AS") {
				st.name = f[len(f)-1]
			}
			stages = append(stages, st)
			continue
		}
		require.NotEmpty(t, stages, "%s before the first FROM", in.cmd)
		stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
	}
	return stages
}

func (s stage) all(cmd string) []string {
	var out []string
	for _, in := range s.body {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, "../Dockerfile")
	require.GreaterOrEqual(t, len(stages), 2, "multi-stage")

	names := map[string]bool{}
	for _, s := range stages {
		if names[s.image] || s.image == "scratch" {
			continue // a previous stage or the empty image
		}
		require.Regexp(t, `^[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?(@sha256:[0-9a-f]{64})?$`, s.image)
		require.True(t, strings.Contains(s.image, ":") || strings.Contains(s.image, "@"), "base image %s is not pinned", s.image)
		require.NotContains(t, s.image, ":latest")
		require.Regexp(t, `:[a-z]*\d+(\.\d+)+`, s.image, "pin %s to a version", s.image)
		names[s.name] = true
	}

	build := stages[0]
	require.True(t, strings.HasPrefix(build.image, "golang:"), "build stage on the Go image")
	// The builder's Go is at least go.mod's go directive.
	gomod, err := os.ReadFile("../go.mod")
	require.NoError(t, err)
	goDirective := regexp.MustCompile(`(?m)^go (\d+\.\d+(\.\d+)?)$`).FindStringSubmatch(string(gomod))
	require.NotNil(t, goDirective)
	require.True(t, strings.HasPrefix(build.image, "golang:"+goDirective[1]), "builder %s older than go %s?", build.image, goDirective[1])

	env := strings.Join(build.all("ENV"), " ")
	require.Contains(t, env, "CGO_ENABLED=0")
	runs := strings.Join(build.all("RUN"), "\n")
	require.Contains(t, runs, "--mount=type=cache,target=/go/pkg/mod", "module cache")
	require.Regexp(t, `go build .*-o /out/ \./worker \./starter \./simulator \./codecserver`, runs)

	final := stages[len(stages)-1]
	require.NotEqual(t, build.image, final.image, "the Go toolchain stays out of the image")
	users := final.all("USER")
	require.NotEmpty(t, users, "the final stage sets USER")
	user := strings.Split(users[len(users)-1], ":")[0]
	require.NotContains(t, []string{"root", "0", ""}, user)
	require.Regexp(t, `^\d+$`, user, "a numeric uid lets Kubernetes verify runAsNonRoot")
	require.Contains(t, strings.Join(final.all("COPY"), " "), "--from="+build.name)
	ep := final.all("ENTRYPOINT")
	require.Len(t, ep, 1)
	require.Equal(t, `["/usr/local/bin/worker"]`, ep[0])
}

func TestDockerignore(t *testing.T) {
	b, err := os.ReadFile("../.dockerignore")
	require.NoError(t, err)
	var patterns []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	require.Contains(t, patterns, ".git")
	require.Contains(t, patterns, ".devstack", "the dev stack's database and binaries stay out of the context")
	for _, p := range patterns {
		for _, needed := range []string{"go.mod", "go.sum", "worker", "starter", "simulator", "codecserver", "vb365", "workflows", "activities", "internal"} {
			require.NotEqual(t, needed, strings.Trim(p, "/"), ".dockerignore drops %s, which the build needs", needed)
		}
		require.NotContains(t, []string{"*", "**", "*.go", "**/*.go"}, p)
	}
}
