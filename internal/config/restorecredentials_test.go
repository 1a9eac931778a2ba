package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// Profiles load from YAML or JSON, secrets inline or from files, the
// certificate base64-encoded; Load puts them in the worker's configuration.
func TestRestoreCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	pwFile := writeFile(t, dir, "pw", "  Admin-Pa55!\n")
	pfx := writeFile(t, dir, "app.pfx", "\x30\x82binary")
	file := writeFile(t, dir, "creds.yaml", fmt.Sprintf(`profiles:
  m365-admin:
    userName: restore-admin@abc.onmicrosoft.com
    passwordFile: %s
  m365-app:
    applicationId: 7a3f0c52-9d4e-4b1a-8c6f-2e5d1b0a9c83
    certificateFile: %s
    certificatePassword: Cert-Pa55!
    impersonationAccountName: restore-admin@abc.onmicrosoft.com
`, pwFile, pfx))
	env := minimal()
	env["VB365_RESTORE_CREDENTIALS_FILE"] = file
	cfg, err := Load(environ(env))
	require.NoError(t, err)
	assert.Equal(t, []string{"m365-admin", "m365-app"}, cfg.RestoreCredentials.Names())
	admin, ok := cfg.RestoreCredentials.Lookup("m365-admin")
	require.True(t, ok)
	assert.Equal(t, "Admin-Pa55!", admin.Password.Reveal())
	app, ok := cfg.RestoreCredentials.Lookup("m365-app")
	require.True(t, ok)
	assert.Equal(t, base64.StdEncoding.EncodeToString([]byte("\x30\x82binary")), app.ApplicationCertificate.Reveal())
	assert.Equal(t, "Cert-Pa55!", app.ApplicationCertificatePassword.Reveal())
	assert.NotContains(t, fmt.Sprintf("%+v", cfg), "Cert-Pa55!")
	_, ok = cfg.RestoreCredentials.Lookup("nobody")
	assert.False(t, ok)

	js := writeFile(t, dir, "creds.json", `{"profiles":{"a":{"userName":"u@x","password":"p"}}}`)
	p, err := LoadRestoreCredentialsFile(js)
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, p.Names())
}

// A bad file stops the worker: the problem names the variable, the file
// and the profile, never a secret.
func TestRestoreCredentialsFileRefused(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct{ content, want string }{
		"both kinds":      {`{"profiles":{"p1":{"userName":"u","password":"Secret-1","applicationId":"a","certificateFile":"x"}}}`, `profile "p1": give userName and password, or applicationId`},
		"no password":     {`{"profiles":{"p1":{"userName":"u"}}}`, `profile "p1": userName needs password`},
		"empty profile":   {`{"profiles":{"p1":{}}}`, `profile "p1": give userName and password`},
		"no profiles":     {`{"profiles":{}}`, "has no profiles"},
		"unknown field":   {`{"profiles":{"p1":{"user":"u","password":"Secret-1"}}}`, "is not a credentials file"},
		"bad name":        {`{"profiles":{"a b":{"userName":"u","password":"Secret-1"}}}`, `profile name "a b"`},
		"missing pfx":     {`{"profiles":{"p1":{"applicationId":"a","certificateFile":"/nonexistent/app.pfx"}}}`, "certificateFile: cannot read /nonexistent/app.pfx"},
		"inline and file": {`{"profiles":{"p1":{"userName":"u","password":"Secret-1","passwordFile":"/x"}}}`, "password and passwordFile are both set"},
	} {
		t.Run(name, func(t *testing.T) {
			env := minimal()
			env["VB365_RESTORE_CREDENTIALS_FILE"] = writeFile(t, dir, "c.json", c.content)
			_, err := Load(environ(env))
			require.Error(t, err)
			var ce *Error
			require.True(t, errors.As(err, &ce))
			assert.Equal(t, []string{"VB365_RESTORE_CREDENTIALS_FILE"}, ce.Variables())
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), "Secret-1")
		})
	}
}
