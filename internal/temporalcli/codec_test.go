package temporalcli

import (
	"slices"
	"testing"
)

func TestUICodecEndpointFlag(t *testing.T) {
	a := args(Options{IP: "127.0.0.1", UIPort: 8233, UICodecEndpoint: "http://127.0.0.1:8089"})
	i := slices.Index(a, "--ui-codec-endpoint")
	if i < 0 || i+1 >= len(a) || a[i+1] != "http://127.0.0.1:8089" {
		t.Fatalf("args %q lack --ui-codec-endpoint http://127.0.0.1:8089", a)
	}
	if slices.Contains(args(Options{IP: "127.0.0.1", UIPort: 8233}), "--ui-codec-endpoint") {
		t.Fatal("--ui-codec-endpoint without an endpoint")
	}
	if slices.Contains(args(Options{IP: "127.0.0.1", UICodecEndpoint: "http://x"}), "--ui-codec-endpoint") {
		t.Fatal("--ui-codec-endpoint on a headless server")
	}
}
