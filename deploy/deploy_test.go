// Package deploy holds the Kubernetes manifests of the worker; its tests also
// check docker-compose.yml and the Dockerfile at the repository root.
package deploy

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/vb365-restore/vb365-restore/internal/config"
)

// manifests are the decoded Kubernetes objects of deploy/.
type manifests struct {
	files      []string // every manifest file (not kustomization.yaml)
	kust       kustomization
	namespace  *corev1.Namespace
	configMap  *corev1.ConfigMap
	secret     *corev1.Secret // from secret.example.yaml
	deployment *appsv1.Deployment
	pdb        *policyv1.PodDisruptionBudget
	service    *corev1.Service
	// codec holds the codec server's objects and the payload key Secret,
	// by kind and name (codecserver_test.go decodes them).
	codec map[string]string
}

// kustomization is the part of kustomize's Kustomization this base uses;
// decoding it strictly fails on anything else.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors"`
		IncludeTemplates bool              `json:"includeTemplates"`
	} `json:"labels"`
	Resources []string `json:"resources"`
	Images    []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
		Digest  string `json:"digest"`
	} `json:"images"`
}

// decodeStrict decodes one YAML document into out, failing on unknown or
// duplicate fields.
func decodeStrict(t *testing.T, file string, doc []byte, out any) {
	t.Helper()
	require.NoError(t, yaml.UnmarshalStrict(doc, out), "%s: strict decoding into %T", file, out)
}

func loadManifests(t *testing.T) manifests {
	t.Helper()
	var m manifests
	b, err := os.ReadFile("kustomization.yaml")
	require.NoError(t, err)
	decodeStrict(t, "kustomization.yaml", b, &m.kust)

	files, err := filepath.Glob("*.yaml")
	require.NoError(t, err)
	for _, f := range files {
		if f == "kustomization.yaml" {
			continue
		}
		m.files = append(m.files, f)
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, doc := range strings.Split(string(b), "\n---") {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			var tm metav1.TypeMeta
			require.NoError(t, yaml.Unmarshal([]byte(doc), &tm), f)
			if name, ok := codecObject(t, f, doc); ok {
				if m.codec == nil {
					m.codec = map[string]string{}
				}
				m.codec[tm.Kind+"/"+name] = doc
				continue
			}
			switch tm.APIVersion + "/" + tm.Kind {
			case "v1/Namespace":
				m.namespace = &corev1.Namespace{}
				decodeStrict(t, f, []byte(doc), m.namespace)
			case "v1/ConfigMap":
				m.configMap = &corev1.ConfigMap{}
				decodeStrict(t, f, []byte(doc), m.configMap)
			case "v1/Secret":
				m.secret = &corev1.Secret{}
				decodeStrict(t, f, []byte(doc), m.secret)
			case "apps/v1/Deployment":
				m.deployment = &appsv1.Deployment{}
				decodeStrict(t, f, []byte(doc), m.deployment)
			case "policy/v1/PodDisruptionBudget":
				m.pdb = &policyv1.PodDisruptionBudget{}
				decodeStrict(t, f, []byte(doc), m.pdb)
			case "v1/Service":
				m.service = &corev1.Service{}
				decodeStrict(t, f, []byte(doc), m.service)
			default:
				t.Fatalf("%s: unexpected kind %s %s", f, tm.APIVersion, tm.Kind)
			}
		}
	}
	for name, o := range map[string]any{"Namespace": m.namespace, "ConfigMap": m.configMap, "Secret (example)": m.secret,
		"Deployment": m.deployment, "PodDisruptionBudget": m.pdb, "Service": m.service} {
		require.NotNil(t, o, "no %s in deploy/", name)
	}
	return m
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func TestStrictDecodingRejectsUnknownFields(t *testing.T) {
	var d appsv1.Deployment
	err := yaml.UnmarshalStrict([]byte("apiVersion: apps/v1\nkind: Deployment\nspec:\n  replica: 2\n"), &d)
	require.Error(t, err, "the strict decoder must catch a misspelt field")
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	m := loadManifests(t)
	require.Equal(t, "kustomize.config.k8s.io/v1beta1", m.kust.APIVersion)
	require.Equal(t, "Kustomization", m.kust.Kind)

	var want []string
	for _, f := range m.files {
		if !strings.HasSuffix(f, ".example.yaml") {
			want = append(want, f)
		}
	}
	got := slices.Clone(m.kust.Resources)
	sort.Strings(got)
	require.Equal(t, want, got, "kustomization.yaml resources must list every manifest (examples excluded)")
	require.NotContains(t, m.kust.Resources, "secret.example.yaml", "the example Secret must never be applied")

	require.Equal(t, m.namespace.Name, m.kust.Namespace)
	require.Len(t, m.kust.Images, 1)
	img := m.kust.Images[0]
	require.Equal(t, m.deployment.Spec.Template.Spec.Containers[0].Image, img.Name, "images: entry must name the container image")
	require.True(t, img.NewTag != "" || img.Digest != "", "the image must be pinned by tag or digest")
	require.NotEqual(t, "latest", img.NewTag)
}

func TestSecretExampleIsMarkedAndMatchesDeployment(t *testing.T) {
	m := loadManifests(t)
	b, err := os.ReadFile("secret.example.yaml")
	require.NoError(t, err)
	require.Contains(t, string(b), "EXAMPLE ONLY")

	c := workerContainer(t, m)
	refs := map[string]*corev1.SecretKeySelector{}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			refs[e.Name] = e.ValueFrom.SecretKeyRef
		}
	}
	require.Contains(t, refs, "VB365_PASSWORD")
	require.Contains(t, refs, "TEMPORAL_API_KEY")
	require.False(t, ptrTrue(refs["VB365_PASSWORD"].Optional), "the VB365 password is required")
	require.True(t, ptrTrue(refs["TEMPORAL_API_KEY"].Optional), "the API key is for Temporal Cloud only")
	for name, ref := range refs {
		require.Equal(t, m.secret.Name, ref.Name, name)
		require.Contains(t, m.secret.StringData, ref.Key, "secret.example.yaml lacks %s", ref.Key)
	}
}

func workerContainer(t *testing.T, m manifests) corev1.Container {
	t.Helper()
	cs := m.deployment.Spec.Template.Spec.Containers
	require.Len(t, cs, 1)
	return cs[0]
}

func ptrTrue(b *bool) bool { return b != nil && *b }

func TestDeploymentProbesPortsAndResources(t *testing.T) {
	m := loadManifests(t)
	d := m.deployment
	require.NotNil(t, d.Spec.Replicas)
	require.EqualValues(t, 2, *d.Spec.Replicas)
	c := workerContainer(t, m)

	// The probes hit the metrics port, which is where METRICS_ADDR listens.
	require.Len(t, c.Ports, 1)
	require.Equal(t, "metrics", c.Ports[0].Name)
	require.EqualValues(t, 9090, c.Ports[0].ContainerPort)
	_, metricsPort, err := net.SplitHostPort(m.configMap.Data["METRICS_ADDR"])
	require.NoError(t, err)
	require.Equal(t, "9090", metricsPort)

	for name, tc := range map[string]struct {
		probe *corev1.Probe
		path  string
	}{
		"readiness": {c.ReadinessProbe, "/readyz"},
		"liveness":  {c.LivenessProbe, "/healthz"},
		"startup":   {c.StartupProbe, "/healthz"},
	} {
		require.NotNil(t, tc.probe, name)
		require.NotNil(t, tc.probe.HTTPGet, name)
		require.Equal(t, tc.path, tc.probe.HTTPGet.Path, name)
		require.Equal(t, "metrics", tc.probe.HTTPGet.Port.String(), name)
	}

	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, ok := c.Resources.Requests[r]
		require.True(t, ok, "request %s", r)
		lim, ok := c.Resources.Limits[r]
		require.True(t, ok, "limit %s", r)
		require.LessOrEqual(t, req.Cmp(lim), 0, "%s request above its limit", r)
	}

	// Configuration: everything from the ConfigMap, secrets from the Secret.
	require.Len(t, c.EnvFrom, 1)
	require.NotNil(t, c.EnvFrom[0].ConfigMapRef)
	require.Equal(t, m.configMap.Name, c.EnvFrom[0].ConfigMapRef.Name)
}

func TestDeploymentIsLockedDown(t *testing.T) {
	m := loadManifests(t)
	pod := m.deployment.Spec.Template.Spec
	c := workerContainer(t, m)

	psc := pod.SecurityContext
	require.NotNil(t, psc)
	require.True(t, ptrTrue(psc.RunAsNonRoot))
	require.NotNil(t, psc.RunAsUser)
	require.NotZero(t, *psc.RunAsUser, "a numeric non-root uid")
	require.NotNil(t, psc.SeccompProfile)
	require.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, psc.SeccompProfile.Type)
	require.False(t, ptrTrue(pod.AutomountServiceAccountToken), "the worker needs no Kubernetes API access")

	sc := c.SecurityContext
	require.NotNil(t, sc)
	require.True(t, ptrTrue(sc.RunAsNonRoot))
	require.True(t, ptrTrue(sc.ReadOnlyRootFilesystem))
	require.NotNil(t, sc.AllowPrivilegeEscalation)
	require.False(t, *sc.AllowPrivilegeEscalation)
	require.False(t, ptrTrue(sc.Privileged))
	require.NotNil(t, sc.Capabilities)
	require.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop)
	require.Empty(t, sc.Capabilities.Add)
}

func TestGracePeriodOutlastsWorkerStopTimeout(t *testing.T) {
	m := loadManifests(t)
	grace := m.deployment.Spec.Template.Spec.TerminationGracePeriodSeconds
	require.NotNil(t, grace)
	stop := m.configMap.Data["WORKER_STOP_TIMEOUT"]
	if stop == "" {
		stop = variable(t, "WORKER_STOP_TIMEOUT").Default
	}
	d, err := time.ParseDuration(stop)
	require.NoError(t, err)
	// A few seconds of margin for the worker to close its connections after draining.
	require.Greater(t, time.Duration(*grace)*time.Second, d+5*time.Second,
		"terminationGracePeriodSeconds %d must exceed WORKER_STOP_TIMEOUT %s", *grace, stop)
	require.Empty(t, m.deployment.Spec.Template.Spec.Containers[0].Lifecycle, "SIGTERM drains; no preStop hook")
}

func TestSelectorsMatchThePods(t *testing.T) {
	m := loadManifests(t)
	podLabels := labels.Set(m.deployment.Spec.Template.Labels)

	sel, err := metav1.LabelSelectorAsSelector(m.deployment.Spec.Selector)
	require.NoError(t, err)
	require.True(t, sel.Matches(podLabels), "Deployment selector")

	require.NotNil(t, m.pdb.Spec.MinAvailable)
	require.Equal(t, 1, m.pdb.Spec.MinAvailable.IntValue())
	require.Nil(t, m.pdb.Spec.MaxUnavailable)
	sel, err = metav1.LabelSelectorAsSelector(m.pdb.Spec.Selector)
	require.NoError(t, err)
	require.False(t, sel.Empty(), "an empty PDB selector would match every pod in the namespace")
	require.True(t, sel.Matches(podLabels), "PodDisruptionBudget selector")

	require.NotEmpty(t, m.service.Spec.Selector)
	require.True(t, labels.SelectorFromSet(m.service.Spec.Selector).Matches(podLabels), "Service selector")
}

func TestMetricsService(t *testing.T) {
	m := loadManifests(t)
	s := m.service
	require.Len(t, s.Spec.Ports, 1)
	p := s.Spec.Ports[0]
	require.EqualValues(t, 9090, p.Port)
	require.Equal(t, "metrics", p.Name)
	require.Equal(t, "metrics", p.TargetPort.String())
	require.Equal(t, "true", s.Annotations["prometheus.io/scrape"])
	require.Equal(t, "9090", s.Annotations["prometheus.io/port"])
	require.Equal(t, "/metrics", s.Annotations["prometheus.io/path"])
}

// TestConfigurationMatchesTheWorker checks the ConfigMap and the Secret
// against the worker's own list of variables.
func TestConfigurationMatchesTheWorker(t *testing.T) {
	m := loadManifests(t)
	c := workerContainer(t, m)
	env := map[string]string{}
	for k, v := range m.configMap.Data {
		env[k] = v
	}
	fromSecret := map[string]bool{}
	for _, e := range c.Env {
		require.NotContains(t, env, e.Name, "%s is both in the ConfigMap and the container env", e.Name)
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			fromSecret[e.Name] = true
			env[e.Name] = "from-secret"
		} else {
			env[e.Name] = e.Value
		}
	}

	checkAgainstWorker(t, "deploy/configmap.yaml + Secret", env)
	for _, v := range config.WorkerVariables() {
		if v.Secret {
			require.NotContains(t, m.configMap.Data, v.Name, "secret %s belongs in the Secret, not the ConfigMap", v.Name)
		}
	}
	require.True(t, fromSecret["VB365_PASSWORD"])

	// The whole configuration passes the worker's own checks.
	_, err := config.Load(toEnviron(withLocalKeyFile(t, env)))
	require.NoError(t, err)
}

// checkAgainstWorker fails on a variable the worker does not know, a
// required one that is missing, or a one-of group with none set.
func checkAgainstWorker(t *testing.T, where string, env map[string]string) {
	t.Helper()
	known := map[string]config.Variable{}
	groups := map[string][]string{}
	for _, v := range config.WorkerVariables() {
		known[v.Name] = v
		if v.OneOf != "" {
			groups[v.OneOf] = append(groups[v.OneOf], v.Name)
		}
	}
	for name := range env {
		_, ok := known[name]
		require.True(t, ok, "%s sets %s, which the worker does not read", where, name)
	}
	for _, v := range known {
		if v.Required {
			alt := strings.TrimSpace(env[v.Name+"_FILE"])
			require.True(t, strings.TrimSpace(env[v.Name]) != "" || alt != "", "%s lacks the required %s", where, v.Name)
		}
	}
	for g, names := range groups {
		set := 0
		for _, n := range names {
			if env[n] != "" {
				set++
			}
		}
		require.Equal(t, 1, set, "%s must set exactly one of %v (group %s)", where, names, g)
	}
}

func variable(t *testing.T, name string) config.Variable {
	t.Helper()
	for _, v := range config.WorkerVariables() {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("the worker has no variable %s", name)
	return config.Variable{}
}

func toEnviron(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// TestMemoryLimitFitsTheContainer: the worker's soft memory limit is
// either auto (a fraction of the container's limit, which must then be
// set) or a size below the container's limit.
func TestMemoryLimitFitsTheContainer(t *testing.T) {
	m := loadManifests(t)
	lim, ok := workerContainer(t, m).Resources.Limits[corev1.ResourceMemory]
	require.True(t, ok, "the worker container has a memory limit")
	checkMemoryLimit(t, "deploy/configmap.yaml", m.configMap.Data["MEMORY_LIMIT"], lim.Value())
}

// checkMemoryLimit checks MEMORY_LIMIT setting against a container limit of
// container bytes.
func checkMemoryLimit(t *testing.T, where, setting string, container int64) {
	t.Helper()
	require.NotEmpty(t, setting, "%s sets MEMORY_LIMIT", where)
	cfg, err := config.Load([]string{"VB365_URL=https://vb365.example.com", "VB365_USERNAME=u", "VB365_PASSWORD=p", "MEMORY_LIMIT=" + setting})
	require.NoError(t, err, where)
	mode, n := cfg.MemoryLimitSetting()
	switch mode {
	case config.MemoryLimitAuto:
		require.Positive(t, container, "%s: MEMORY_LIMIT=auto needs a container memory limit", where)
	case config.MemoryLimitBytes:
		require.Less(t, n, container, "%s: MEMORY_LIMIT %s must be below the container's limit", where, setting)
	default:
		t.Fatalf("%s: MEMORY_LIMIT %s: want auto or a size below the container's limit", where, setting)
	}
}
