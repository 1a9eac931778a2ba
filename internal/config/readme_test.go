package config

import (
	"os"
	"strings"
	"testing"
)

// The README's configuration table is what operators read: every variable
// the worker takes must be in it, and it must name none the worker ignores.
func TestREADMEDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(string(readme), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(line, "| `"), "`")
		if name == strings.ToUpper(name) && strings.Contains(name, "_") {
			documented[name] = true
		}
	}
	known := map[string]bool{}
	for _, v := range WorkerVariables() {
		known[v.Name] = true
		if !documented[v.Name] {
			t.Errorf("README.md's configuration table lacks %s (%s)", v.Name, v.Description)
		}
	}
	for name := range documented {
		if !known[name] {
			t.Errorf("README.md documents %s, which the worker does not read", name)
		}
	}
}
