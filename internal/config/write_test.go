package config

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestWriteVariablesTable(t *testing.T) {
	var b strings.Builder
	WriteVariables(&b, []Variable{
		{Name: "A", Required: true, Default: "x", Description: "first"},
		{Name: "B", Description: "second"},
		{Name: "C", Default: "7", Description: "third"},
	})
	want := "VARIABLE  DEFAULT     MEANING\nA         (required)  first\nB         -           second\nC         7           third\n"
	if b.String() != want {
		t.Fatalf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestWriteErrorListsProblems(t *testing.T) {
	var b strings.Builder
	WriteError(&b, "cmd", &Error{Problems: []Problem{{Variable: "LOG_LEVEL", Message: "LOG_LEVEL \"x\": bad"}}})
	want := "cmd: bad configuration:\n  LOG_LEVEL \"x\": bad\nsee cmd -h for every variable\n"
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	WriteError(&b, "cmd", errors.New("boom"))
	if b.String() != "cmd: boom\n" {
		t.Fatalf("got %q", b.String())
	}
}

func TestCheckArgs(t *testing.T) {
	usage := func(w io.Writer) { _, _ = io.WriteString(w, "usage\n") }
	var out, errw strings.Builder
	if code, exit := CheckArgs("cmd", nil, &out, &errw, usage); exit || code != 0 {
		t.Fatalf("no arguments: code %d exit %v", code, exit)
	}
	if code, exit := CheckArgs("cmd", []string{"--help"}, &out, &errw, usage); !exit || code != 0 || out.String() != "usage\n" {
		t.Fatalf("--help: code %d exit %v stdout %q", code, exit, out.String())
	}
	code, exit := CheckArgs("cmd", []string{"--port=1"}, &out, &errw, usage)
	if !exit || code != ExitConfig || !strings.Contains(errw.String(), `cmd: unexpected argument "--port=1"`) {
		t.Fatalf("--port=1: code %d exit %v stderr %q", code, exit, errw.String())
	}
}
