package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// RestoreCredentialProfiles are the Microsoft 365 credentials restore
// actions use, by profile name: an action names its profile, never a
// secret. Read from VB365_RESTORE_CREDENTIALS_FILE.
type RestoreCredentialProfiles struct {
	profiles map[string]vb365.RestoreCredentials
}

// Lookup returns the credentials of a profile.
func (p *RestoreCredentialProfiles) Lookup(name string) (vb365.RestoreCredentials, bool) {
	if p == nil {
		return vb365.RestoreCredentials{}, false
	}
	rc, ok := p.profiles[name]
	return rc, ok
}

// Names lists the profiles, sorted.
func (p *RestoreCredentialProfiles) Names() []string {
	if p == nil {
		return nil
	}
	out := make([]string, 0, len(p.profiles))
	for n := range p.profiles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// restoreCredentialsFile is the file's shape (JSON or YAML):
//
//	profiles:
//	  m365-admin:
//	    userName: restore-admin@contoso.onmicrosoft.com
//	    passwordFile: /run/secrets/m365-admin   # or password: ...
//	  m365-app:
//	    applicationId: 7a3f0c52-9d4e-4b1a-8c6f-2e5d1b0a9c83
//	    certificateFile: /run/secrets/app.pfx   # the PFX, sent base64-encoded
//	    certificatePasswordFile: /run/secrets/app-pfx-password
//	    impersonationAccountName: restore-admin@contoso.onmicrosoft.com
type restoreCredentialsFile struct {
	Profiles map[string]restoreCredentialProfile `json:"profiles"`
}

type restoreCredentialProfile struct {
	UserName                 string `json:"userName"`
	Password                 string `json:"password"`
	PasswordFile             string `json:"passwordFile"`
	ApplicationID            string `json:"applicationId"`
	CertificateFile          string `json:"certificateFile"`
	CertificatePassword      string `json:"certificatePassword"`
	CertificatePasswordFile  string `json:"certificatePasswordFile"`
	ImpersonationAccountName string `json:"impersonationAccountName"`
}

var profileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// LoadRestoreCredentialsFile reads a profiles file. Its errors name the
// file, the profile and the field, never a secret.
func LoadRestoreCredentialsFile(path string) (*RestoreCredentialProfiles, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, errors.Unwrap(err))
	}
	var f restoreCredentialsFile
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		// The parser's message may quote the document: say only where.
		return nil, fmt.Errorf("%s is not a credentials file (JSON or YAML with \"profiles\"): %s", path, firstLine(err.Error()))
	}
	if len(f.Profiles) == 0 {
		return nil, fmt.Errorf("%s has no profiles", path)
	}
	out := &RestoreCredentialProfiles{profiles: map[string]vb365.RestoreCredentials{}}
	for _, name := range sortedKeys(f.Profiles) {
		rc, err := f.Profiles[name].credentials()
		if err != nil {
			return nil, fmt.Errorf("%s: profile %q: %w", path, name, err)
		}
		if !profileName.MatchString(name) {
			return nil, fmt.Errorf("%s: profile name %q: use letters, digits, '.', '_' and '-' (at most 64)", path, name)
		}
		out.profiles[name] = rc
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

// secretValue is a value given inline or in a file (trimmed); not both.
func secretValue(field, inline, file string) (string, error) {
	switch {
	case inline != "" && file != "":
		return "", fmt.Errorf("%s and %sFile are both set: set only one", field, field)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%sFile: cannot read %s: %w", field, file, errors.Unwrap(err))
		}
		return strings.TrimSpace(string(b)), nil
	}
	return inline, nil
}

func (p restoreCredentialProfile) credentials() (vb365.RestoreCredentials, error) {
	pw, err := secretValue("password", p.Password, p.PasswordFile)
	if err != nil {
		return vb365.RestoreCredentials{}, err
	}
	certPw, err := secretValue("certificatePassword", p.CertificatePassword, p.CertificatePasswordFile)
	if err != nil {
		return vb365.RestoreCredentials{}, err
	}
	rc := vb365.RestoreCredentials{UserName: strings.TrimSpace(p.UserName), Password: vb365.NewSecret(pw),
		ApplicationID: strings.TrimSpace(p.ApplicationID), ApplicationCertificatePassword: vb365.NewSecret(certPw),
		ImpersonationAccountName: strings.TrimSpace(p.ImpersonationAccountName)}
	user := rc.UserName != "" || pw != ""
	app := rc.ApplicationID != "" || p.CertificateFile != "" || certPw != ""
	switch {
	case user && app:
		return rc, errors.New("give userName and password, or applicationId and certificateFile, not both")
	case user && (rc.UserName == "" || pw == ""):
		return rc, errors.New("userName needs password (or passwordFile), and password needs userName")
	case app && (rc.ApplicationID == "" || p.CertificateFile == ""):
		return rc, errors.New("applicationId needs certificateFile, and certificateFile needs applicationId")
	case !user && !app:
		return rc, errors.New("give userName and password, or applicationId and certificateFile")
	}
	if p.CertificateFile != "" {
		b, err := os.ReadFile(p.CertificateFile)
		if err != nil {
			return rc, fmt.Errorf("certificateFile: cannot read %s: %w", p.CertificateFile, errors.Unwrap(err))
		}
		rc.ApplicationCertificate = vb365.NewSecret(base64.StdEncoding.EncodeToString(b))
	}
	return rc, nil
}

// loadRestoreCredentials reads VB365_RESTORE_CREDENTIALS_FILE into
// w.RestoreCredentials.
func loadRestoreCredentials(w *Worker, p *problems) {
	if w.VB365RestoreCredentialsFile == "" {
		return
	}
	profiles, err := LoadRestoreCredentialsFile(w.VB365RestoreCredentialsFile)
	if err != nil {
		p.add("VB365_RESTORE_CREDENTIALS_FILE", "VB365_RESTORE_CREDENTIALS_FILE: %v", err)
		return
	}
	w.RestoreCredentials = profiles
}
