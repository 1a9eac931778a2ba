package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/internal/config"
	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// The file WriteRestoreCredentials writes is one the worker loads, with
// every profile it was given, of either kind.
func TestWriteRestoreCredentials(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "app.pfx")
	require.NoError(t, os.WriteFile(cert, []byte("certificate"), 0o600))
	env, err := WriteRestoreCredentials(dir, map[string]CredentialProfile{
		RestoreProfile: SimRestoreAccount(),
		"app": {ApplicationID: vb365sim.RestoreApplicationID, CertificateFile: cert,
			CertificatePassword: vb365sim.RestoreCertificatePassword, ImpersonationAccountName: vb365sim.RestoreUserName},
	})
	require.NoError(t, err)
	file, ok := strings.CutPrefix(env, "VB365_RESTORE_CREDENTIALS_FILE=")
	require.True(t, ok, env)
	p, err := config.LoadRestoreCredentialsFile(file)
	require.NoError(t, err)
	assert.Equal(t, []string{"app", RestoreProfile}, p.Names())
	rc, ok := p.Lookup(RestoreProfile)
	require.True(t, ok)
	assert.Equal(t, vb365sim.RestoreUserName, rc.UserName)
	rc, ok = p.Lookup("app")
	require.True(t, ok)
	assert.Equal(t, vb365sim.RestoreApplicationID, rc.ApplicationID)
}
