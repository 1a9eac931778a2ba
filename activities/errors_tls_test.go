package activities

import (
	"crypto/tls"
	"crypto/x509"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// An untrusted VB365 certificate fails at once, named like a credentials
// failure (the worker's settings are wrong) and naming VB365_CA_FILE.
func TestUntrustedCertificateIsAnAuthenticationFailure(t *testing.T) {
	untrusted := &vb365.Error{Op: "detect API version", Method: "GET", Path: "/v8/ServiceInstance",
		Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}
	require.True(t, vb365.IsUntrustedCertificate(untrusted))
	env, a := newEnv(t, flaky{newFake(), untrusted})
	_, err := env.ExecuteActivity(a.GetOrganization, orgID)
	ae := appErr(t, err)
	require.Equal(t, ErrTypeVB365AuthenticationFailed, ae.Type())
	require.True(t, ae.NonRetryable())
	require.Contains(t, ae.Error(), "VB365_CA_FILE")
}
