package testenv

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// RestoreProfile is the credential profile RestoreCredentialsEnv writes:
// the Microsoft 365 account the simulator accepts for restores to the
// original location.
const RestoreProfile = "m365-admin"

// CredentialProfile is one profile of a worker's credential profiles file
// (VB365_RESTORE_CREDENTIALS_FILE), its fields named as the file names
// them: a user and password, or an application with its certificate file.
type CredentialProfile struct {
	UserName                 string `json:"userName,omitempty"`
	Password                 string `json:"password,omitempty"`
	ApplicationID            string `json:"applicationId,omitempty"`
	CertificateFile          string `json:"certificateFile,omitempty"`
	CertificatePassword      string `json:"certificatePassword,omitempty"`
	ImpersonationAccountName string `json:"impersonationAccountName,omitempty"`
}

// SimRestoreAccount is the Microsoft 365 account the simulator accepts for
// restores to the original location.
func SimRestoreAccount() CredentialProfile {
	return CredentialProfile{UserName: vb365sim.RestoreUserName, Password: vb365sim.RestorePassword}
}

// WriteRestoreCredentials writes profiles, by name, as a credential
// profiles file under dir (readable by its owner only) and returns the
// worker variable that names it. It is the one writer of such files in
// the tests.
func WriteRestoreCredentials(dir string, profiles map[string]CredentialProfile) (string, error) {
	body, err := json.Marshal(map[string]any{"profiles": profiles})
	if err != nil {
		return "", err
	}
	file := filepath.Join(dir, "restore-credentials.json")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		return "", err
	}
	return "VB365_RESTORE_CREDENTIALS_FILE=" + file, nil
}

// RestoreCredentialsEnv writes a credential profiles file under dir with
// RestoreProfile alone (SimRestoreAccount) and returns the worker variable
// that names it.
func RestoreCredentialsEnv(dir string) (string, error) {
	return WriteRestoreCredentials(dir, map[string]CredentialProfile{RestoreProfile: SimRestoreAccount()})
}
