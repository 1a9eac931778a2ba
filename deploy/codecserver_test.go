package deploy

import (
	"bytes"
	"encoding/base64"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/internal/payloadcrypt"
)

const (
	codecName       = "vb365-restore-codec"
	payloadKeysName = "vb365-restore-payload-keys"
	codecTokensName = "vb365-restore-codec-tokens"
)

// codecObject reports whether doc is one of the codec server's objects or a
// payload key Secret, and its name; loadManifests keeps those apart from
// the worker's.
func codecObject(t *testing.T, file, doc string) (string, bool) {
	t.Helper()
	var om struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	require.NoError(t, yaml.Unmarshal([]byte(doc), &om), file)
	switch n := om.Metadata.Name; n {
	case codecName, payloadKeysName, codecTokensName:
		return n, true
	}
	return "", false
}

// withLocalKeyFile replaces PAYLOAD_KEYS_FILE, a path inside the pod, with a
// key file of this test, so that the rest of the configuration can be checked.
func withLocalKeyFile(t *testing.T, env map[string]string) map[string]string {
	t.Helper()
	if env["PAYLOAD_KEYS_FILE"] == "" {
		return env
	}
	f := filepath.Join(t.TempDir(), "keys.yaml")
	require.NoError(t, os.WriteFile(f, []byte("current: k\nkeys:\n  k: "+
		base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))+"\n"), 0o600))
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	out["PAYLOAD_KEYS_FILE"] = f
	return out
}

func codecDoc[T any](t *testing.T, m manifests, kind, name string) *T {
	t.Helper()
	doc, ok := m.codec[kind+"/"+name]
	require.True(t, ok, "no %s %s in deploy/", kind, name)
	var out T
	decodeStrict(t, kind+" "+name, []byte(doc), &out)
	return &out
}

// mountedFrom returns the Secret mounted at the directory of file in c.
func mountedFrom(t *testing.T, pod corev1.PodSpec, c corev1.Container, file string) string {
	t.Helper()
	for _, vm := range c.VolumeMounts {
		if vm.MountPath == path.Dir(file) {
			require.True(t, vm.ReadOnly, "%s is mounted read-only", vm.MountPath)
			for _, v := range pod.Volumes {
				if v.Name == vm.Name && v.Secret != nil {
					return v.Secret.SecretName
				}
			}
		}
	}
	t.Fatalf("%s: nothing mounts a Secret at %s", c.Name, path.Dir(file))
	return ""
}

func TestWorkerReadsThePayloadKeySecret(t *testing.T) {
	m := loadManifests(t)
	file := m.configMap.Data["PAYLOAD_KEYS_FILE"]
	require.NotEmpty(t, file, "the worker encrypts payloads")
	require.Equal(t, payloadKeysName, mountedFrom(t, m.deployment.Spec.Template.Spec, workerContainer(t, m), file))
	require.Equal(t, "keys.yaml", path.Base(file))
}

func TestPayloadKeysExample(t *testing.T) {
	m := loadManifests(t)
	b, err := os.ReadFile("payload-keys.example.yaml")
	require.NoError(t, err)
	require.Contains(t, string(b), "EXAMPLE ONLY")
	require.NotContains(t, m.kust.Resources, "payload-keys.example.yaml", "the example Secret must never be applied")
	keys := codecDoc[corev1.Secret](t, m, "Secret", payloadKeysName)
	content := keys.StringData["keys.yaml"]
	require.Contains(t, content, "current:")
	// Placeholders, which the worker refuses with a clear error, never a key.
	_, err = payloadcrypt.ParseKeys([]byte(content), "keys.yaml")
	require.ErrorContains(t, err, "is not base64")
	tokens := codecDoc[corev1.Secret](t, m, "Secret", codecTokensName)
	require.Contains(t, tokens.StringData, "tokens")
}

func TestCodecServerManifests(t *testing.T) {
	m := loadManifests(t)
	cm := codecDoc[corev1.ConfigMap](t, m, "ConfigMap", codecName)
	d := codecDoc[appsv1.Deployment](t, m, "Deployment", codecName)
	svc := codecDoc[corev1.Service](t, m, "Service", codecName)
	pod := d.Spec.Template.Spec
	require.Len(t, pod.Containers, 1)
	c := pod.Containers[0]
	require.Equal(t, []string{"/usr/local/bin/codecserver"}, c.Command)
	require.Equal(t, workerContainer(t, m).Image, c.Image, "one image")
	require.Len(t, c.EnvFrom, 1)
	require.Equal(t, cm.Name, c.EnvFrom[0].ConfigMapRef.Name)

	// Its configuration passes the codec server's own checks, with the
	// files as they are mounted.
	env := cm.Data
	for _, v := range config.CodecServerVariables() {
		if v.Required {
			require.NotEmpty(t, env[v.Name], v.Name)
		}
	}
	known := map[string]bool{}
	for _, v := range config.CodecServerVariables() {
		known[v.Name] = true
	}
	for k := range env {
		require.True(t, known[k], "%s is not a codec server variable", k)
	}
	require.NotEqual(t, config.CodecAuthNone, env["CODEC_AUTH"], "never anonymous in a cluster")
	require.Equal(t, payloadKeysName, mountedFrom(t, pod, c, env["PAYLOAD_KEYS_FILE"]))
	require.Equal(t, m.configMap.Data["PAYLOAD_KEYS_FILE"], env["PAYLOAD_KEYS_FILE"], "the worker's key file")
	require.Equal(t, codecTokensName, mountedFrom(t, pod, c, env["CODEC_TOKENS_FILE"]))
	require.Equal(t, m.configMap.Data["TEMPORAL_NAMESPACE"], env["CODEC_NAMESPACES"], "the worker's namespace")
	require.Equal(t, m.configMap.Data["TEMPORAL_UI_URL"], env["CODEC_CORS_ORIGINS"], "the Web UI's origin")

	// Probes and Service hit the port it listens on.
	_, port, err := net.SplitHostPort(env["CODEC_LISTEN_ADDR"])
	require.NoError(t, err)
	require.Len(t, c.Ports, 1)
	require.Equal(t, port, strconv.Itoa(int(c.Ports[0].ContainerPort)))
	for _, p := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
		require.NotNil(t, p)
		require.Equal(t, "/healthz", p.HTTPGet.Path)
		require.Equal(t, c.Ports[0].Name, p.HTTPGet.Port.String())
	}
	require.Len(t, svc.Spec.Ports, 1)
	require.Equal(t, c.Ports[0].Name, svc.Spec.Ports[0].TargetPort.String())
	require.True(t, labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)))
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	require.NoError(t, err)
	require.True(t, sel.Matches(labels.Set(d.Spec.Template.Labels)))
	require.False(t, labels.SelectorFromSet(m.service.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)),
		"the worker's metrics Service must not select the codec server")

	// Locked down as the worker is.
	require.False(t, ptrTrue(pod.AutomountServiceAccountToken))
	require.True(t, ptrTrue(pod.SecurityContext.RunAsNonRoot))
	sc := c.SecurityContext
	require.NotNil(t, sc)
	require.True(t, ptrTrue(sc.ReadOnlyRootFilesystem))
	require.NotNil(t, sc.AllowPrivilegeEscalation)
	require.False(t, *sc.AllowPrivilegeEscalation)
	require.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop)
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		_, ok := c.Resources.Limits[r]
		require.True(t, ok, "limit %s", r)
	}
}

func TestComposeCodecServer(t *testing.T) {
	p := loadCompose(t)
	cs := service(t, p, "codecserver")
	require.Equal(t, types.ShellCommand{"/usr/local/bin/codecserver"}, cs.Entrypoint)
	require.Equal(t, service(t, p, "worker").Image, cs.Image, "one image")
	env := environment(cs)
	require.NotEqual(t, config.CodecAuthNone, env["CODEC_AUTH"], "published on a port: never anonymous")

	// The worker, the starter and the codec server share the key file.
	for _, name := range []string{"worker", "starter", "codecserver"} {
		s := service(t, p, name)
		require.Equal(t, "/run/secrets/payload-keys", environment(s)["PAYLOAD_KEYS_FILE"], name)
		var secrets []string
		for _, sec := range s.Secrets {
			secrets = append(secrets, sec.Source)
		}
		require.Contains(t, secrets, "payload-keys", name)
	}
	// The development keys and tokens load, as the containers will read them.
	keysFile := p.Secrets["payload-keys"].File
	tokensFile := p.Secrets["codec-tokens"].File
	_, err := payloadcrypt.LoadKeysFile(keysFile)
	require.NoError(t, err)
	env["PAYLOAD_KEYS_FILE"] = keysFile
	env["CODEC_TOKENS_FILE"] = tokensFile
	cfg, err := config.LoadCodecServer(toEnviron(env))
	require.NoError(t, err)

	// The Web UI calls it from the browser, at its published address.
	ui := environment(service(t, p, "temporal-ui"))
	u, err := url.Parse(ui["TEMPORAL_CODEC_ENDPOINT"])
	require.NoError(t, err)
	require.Len(t, cs.Ports, 1)
	require.Equal(t, cs.Ports[0].Published, u.Port())
	require.Equal(t, "127.0.0.1", cs.Ports[0].HostIP)
	require.Equal(t, []string{"http://localhost:" + service(t, p, "temporal-ui").Ports[0].Published}, cfg.CORSOrigins)
}
