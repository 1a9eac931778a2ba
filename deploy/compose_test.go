package deploy

import (
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/workflows"
)

const composeFile = "../docker-compose.yml"

// loadCompose loads docker-compose.yml as `docker compose` would, with every
// profile enabled, without reading the developer's environment.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	b, err := os.ReadFile(composeFile)
	require.NoError(t, err)
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml"), Content: b}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) {
		o.SetProjectName("vb365-restore", true)
		o.Profiles = []string{"*"}
		o.ResolvePaths = true
	})
	require.NoError(t, err)
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	require.True(t, ok, "docker-compose.yml has no service %q", name)
	return s
}

func environment(s types.ServiceConfig) map[string]string {
	env := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			env[k] = *v
		} else {
			env[k] = ""
		}
	}
	return env
}

func TestComposeServices(t *testing.T) {
	p := loadCompose(t)
	for _, name := range []string{"postgresql", "temporal-schema", "temporal", "temporal-search-attributes",
		"temporal-ui", "simulator", "worker", "starter"} {
		service(t, p, name)
	}
	require.Equal(t, []string{"tools"}, service(t, p, "starter").Profiles, "the starter runs on demand only")
}

func TestComposeImagesArePinned(t *testing.T) {
	p := loadCompose(t)
	for name, s := range p.Services {
		require.NotEmpty(t, s.Image, "%s: no image", name)
		ref := s.Image
		if at := strings.Index(ref, "@"); at >= 0 {
			require.True(t, strings.HasPrefix(ref[at+1:], "sha256:"), "%s: bad digest %s", name, ref)
			continue
		}
		slash := strings.LastIndex(ref, "/")
		colon := strings.LastIndex(ref, ":")
		require.Greater(t, colon, slash, "%s: image %s has no tag", name, ref)
		tag := ref[colon+1:]
		require.NotEqual(t, "latest", tag, "%s: image %s uses latest", name, ref)
		if s.Build == nil {
			require.Regexp(t, `^v?\d+(\.\d+)+`, tag, "%s: pin %s to a version", name, ref)
		}
	}
}

func TestComposeHealthChecksAndOrder(t *testing.T) {
	p := loadCompose(t)
	for _, name := range []string{"postgresql", "temporal", "simulator", "worker"} {
		h := service(t, p, name).HealthCheck
		require.NotNil(t, h, "%s has no health check", name)
		require.False(t, h.Disable, name)
		require.NotEmpty(t, h.Test, name)
	}
	require.Contains(t, strings.Join(service(t, p, "worker").HealthCheck.Test, " "), "/readyz")

	want := map[string]map[string]string{
		"temporal-schema":            {"postgresql": types.ServiceConditionHealthy},
		"temporal":                   {"temporal-schema": types.ServiceConditionCompletedSuccessfully},
		"temporal-search-attributes": {"temporal": types.ServiceConditionHealthy},
		"temporal-ui":                {"temporal": types.ServiceConditionHealthy},
		"worker": {
			"temporal":                   types.ServiceConditionHealthy,
			"temporal-search-attributes": types.ServiceConditionCompletedSuccessfully,
			"simulator":                  types.ServiceConditionHealthy,
		},
	}
	for name, deps := range want {
		got := service(t, p, name).DependsOn
		for dep, cond := range deps {
			d, ok := got[dep]
			require.True(t, ok, "%s must depend on %s", name, dep)
			require.Equal(t, cond, d.Condition, "%s -> %s", name, dep)
		}
	}
}

func TestComposeTemporalSetup(t *testing.T) {
	p := loadCompose(t)
	// The jobs' scripts and the dynamic config are mounted from deploy/compose.
	for _, name := range []string{"temporal-schema", "temporal", "temporal-search-attributes"} {
		s := service(t, p, name)
		require.NotEmpty(t, s.Volumes, name)
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				_, err := os.Stat(v.Source)
				require.NoError(t, err, "%s mounts %s", name, v.Source)
			}
		}
	}
	schema := service(t, p, "temporal-schema")
	require.Equal(t, "postgres12", environment(schema)["DB"])
	script, err := os.ReadFile("compose/setup-postgres.sh")
	require.NoError(t, err)
	for _, want := range []string{"temporal_visibility", "postgres12", "update-schema"} {
		require.Contains(t, string(script), want)
	}
	require.Equal(t, "postgres12", environment(service(t, p, "temporal"))["DB"])
	require.Equal(t, "true", environment(service(t, p, "temporal"))["TEMPORAL_ALLOW_NO_AUTH"],
		"no authorizer, said explicitly (the server's --allow-no-auth)")

	// The search-attribute job registers exactly the workflow's attributes.
	got := strings.Fields(environment(service(t, p, "temporal-search-attributes"))["SEARCH_ATTRIBUTES"])
	require.ElementsMatch(t, workflows.SearchAttributes(), got)
	require.Equal(t, "temporal:7233", environment(service(t, p, "temporal-search-attributes"))["TEMPORAL_ADDRESS"])
}

func TestComposeSimulatorAndWorker(t *testing.T) {
	p := loadCompose(t)
	sim := service(t, p, "simulator")
	worker := service(t, p, "worker")
	require.NotNil(t, sim.Build, "the simulator is built from the Dockerfile")
	require.NotNil(t, worker.Build, "the worker is built from the Dockerfile")
	require.Equal(t, sim.Image, worker.Image, "one image")

	args := strings.Join(sim.Command, " ")
	require.Contains(t, args, "--addr 0.0.0.0:4443")
	require.Contains(t, args, "--ca-out /shared/sim-ca.pem")
	require.Equal(t, types.ShellCommand{"/usr/local/bin/simulator"}, sim.Entrypoint)

	env := environment(worker)
	require.Equal(t, "/shared/sim-ca.pem", env["VB365_CA_FILE"], "the worker trusts the simulator's CA")
	require.Equal(t, volumeAt(t, sim, "/shared"), volumeAt(t, worker, "/shared"), "the CA travels on a shared volume")

	// The simulator's certificate names its host name, which must be the
	// host the worker connects to.
	u, err := url.Parse(env["VB365_URL"])
	require.NoError(t, err)
	require.Equal(t, "https", u.Scheme)
	require.Equal(t, sim.Hostname, u.Hostname())
	require.Equal(t, "4443", u.Port())
	require.Equal(t, "temporal:7233", env["TEMPORAL_ADDRESS"])

	// docker stop waits longer than the worker drains.
	require.NotNil(t, worker.StopGracePeriod, "docker's default 10s is shorter than WORKER_STOP_TIMEOUT")
	stop, err := time.ParseDuration(env["WORKER_STOP_TIMEOUT"])
	require.NoError(t, err)
	require.Greater(t, time.Duration(*worker.StopGracePeriod), stop)
}

func volumeAt(t *testing.T, s types.ServiceConfig, target string) string {
	t.Helper()
	for _, v := range s.Volumes {
		if v.Target == target {
			require.Equal(t, types.VolumeTypeVolume, v.Type)
			return v.Source
		}
	}
	t.Fatalf("%s mounts nothing at %s", s.Name, target)
	return ""
}

// TestComposeWorkerEnvironment checks the worker's environment in compose
// against the worker's own list of variables, and runs its checks.
func TestComposeWorkerEnvironment(t *testing.T) {
	p := loadCompose(t)
	env := environment(service(t, p, "worker"))
	checkAgainstWorker(t, "docker-compose.yml worker", env)

	// The CA and key files only exist inside the containers: every other check passes.
	_, err := config.Load(toEnviron(env))
	if err != nil {
		var cerr *config.Error
		require.True(t, errors.As(err, &cerr), "%v", err)
		for _, pr := range cerr.Problems {
			require.Contains(t, []string{"VB365_CA_FILE", "PAYLOAD_KEYS_FILE"}, pr.Variable, "docker-compose.yml worker: %s", pr.Message)
		}
	}

	// The starter reads the Temporal variables only.
	known := map[string]bool{}
	for _, v := range config.TemporalVariables() {
		known[v.Name] = true
	}
	for name := range environment(service(t, p, "starter")) {
		require.True(t, known[name], "docker-compose.yml starter sets %s, which it does not read", name)
	}
}

// The search-attribute job runs right after the namespace is created, when
// the frontend may not see it yet ("Namespace default is not found" for a
// few seconds): it waits instead of failing. A stand-in temporal command
// refuses the first listings.
func TestRegisterSearchAttributesWaitsForTheNamespace(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	stub := `#!/bin/sh
echo "$*" >> "` + calls + `"
case "$*" in
  "operator namespace describe"*) exit 1 ;;
  "operator search-attribute list"*)
    n=$(grep -c "search-attribute list" "` + calls + `")
    [ "$n" -gt 2 ] || { echo "Namespace default is not found" >&2; exit 1; }
    echo "VB365OrganizationId Keyword" ;;
esac
exit 0
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "temporal"), []byte(stub), 0o755))
	cmd := exec.Command("sh", "compose/register-search-attributes.sh")
	cmd.Env = []string{"PATH=" + dir + ":" + os.Getenv("PATH"), "TEMPORAL_ADDRESS=temporal:7233", "NAMESPACE=default",
		"SEARCH_ATTRIBUTES=" + strings.Join(workflows.SearchAttributes(), " ")}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "search attribute VB365OrganizationId already registered")
	b, err := os.ReadFile(calls)
	require.NoError(t, err)
	log := string(b)
	require.Contains(t, log, "operator namespace create --namespace default")
	require.Equal(t, 3, strings.Count(log, "search-attribute list"), "listed until the namespace is visible")
	require.Equal(t, len(workflows.SearchAttributes())-1, strings.Count(log, "search-attribute create"))
}

func TestComposeWorkerMemoryLimit(t *testing.T) {
	w := service(t, loadCompose(t), "worker")
	checkMemoryLimit(t, "docker-compose.yml worker", environment(w)["MEMORY_LIMIT"], int64(w.MemLimit))
}
