package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/vb365-restore/vb365-restore/internal/testenv"
)

func TestCodecServerEnvironment(t *testing.T) {
	t.Setenv("CODEC_AUTH", "token")
	s := &stack{opts: options{uiPort: 8233, codecPort: 8089, stateDir: "/state"}}
	env := map[string][]string{}
	for _, kv := range s.codecEnv() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = append(env[k], v)
	}
	for k, v := range map[string]string{
		"PAYLOAD_KEYS_FILE":  "/state/payload-keys.json",
		"CODEC_LISTEN_ADDR":  "127.0.0.1:8089",
		"CODEC_NAMESPACES":   "default",
		"CODEC_AUTH":         "none",
		"CODEC_CORS_ORIGINS": "http://localhost:8233,http://127.0.0.1:8233",
	} {
		require.Equal(t, []string{v}, env[k], k)
	}
}

// checkDemoEncrypted: the demo's history as stored names no organization,
// while the codec server the Web UI is pointed at decodes it.
func checkDemoEncrypted(t *testing.T, o options, printed string) {
	t.Helper()
	i := strings.Index(printed, "devstack-demo-")
	require.GreaterOrEqual(t, i, 0)
	id := strings.Fields(printed[i:])[0]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: o.temporalAddr(), Namespace: namespace})
	require.NoError(t, err)
	defer c.Close()

	raw, encrypted, err := testenv.HistoryText(ctx, c, id, nil)
	require.NoError(t, err)
	require.Positive(t, encrypted)
	require.NotContains(t, raw, "abc.onmicrosoft.com")
	require.NotContains(t, raw, "Teams restore")

	codec := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint: o.codecURL(),
		ModifyRequest: func(r *http.Request) error {
			r.Header.Set("X-Namespace", namespace)
			r.Header.Set("Origin", "http://localhost:"+strconv.Itoa(o.uiPort))
			return nil
		},
	})
	decoded, _, err := testenv.HistoryText(ctx, c, id, codec)
	require.NoError(t, err)
	require.Contains(t, decoded, "abc.onmicrosoft.com")
}
