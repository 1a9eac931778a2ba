package testenv

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// RestoreProfile is the credential profile RestoreCredentialsEnv writes:
// the Microsoft 365 account the simulator accepts for restores to the
// original location.
const RestoreProfile = "m365-admin"

// RestoreCredentialsEnv writes a credential profiles file under dir with
// RestoreProfile and returns the worker variable that names it.
func RestoreCredentialsEnv(dir string) (string, error) {
	file := filepath.Join(dir, "restore-credentials.json")
	body := fmt.Sprintf(`{"profiles": {%q: {"userName": %q, "password": %q}}}`,
		RestoreProfile, vb365sim.RestoreUserName, vb365sim.RestorePassword)
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		return "", err
	}
	return "VB365_RESTORE_CREDENTIALS_FILE=" + file, nil
}
