package config

import (
	"os"
	"strings"
	"testing"
)

// docs/encryption.md's table is the codec server's documentation: it lists
// every variable the codec server reads and no other.
func TestEncryptionDocDocumentsEveryCodecServerVariable(t *testing.T) {
	doc, err := os.ReadFile("../../docs/encryption.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		if name, ok := strings.CutPrefix(line, "| `"); ok {
			name, _, _ = strings.Cut(name, "`")
			documented[name] = true
		}
	}
	known := map[string]bool{}
	for _, v := range CodecServerVariables() {
		known[v.Name] = true
		if !documented[v.Name] {
			t.Errorf("docs/encryption.md lacks %s (%s)", v.Name, v.Description)
		}
	}
	for name := range documented {
		if !known[name] {
			t.Errorf("docs/encryption.md documents %s, which the codec server does not read", name)
		}
	}
}
