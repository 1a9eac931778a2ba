package vb365sim_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vb365-restore/vb365-restore/vb365/vb365sim"
)

// OnToken sees every access and refresh token issued, by login and by refresh.
func TestOnTokenSeesEveryIssuedToken(t *testing.T) {
	var access, refresh []string
	sim := newSim(t, vb365sim.Options{OnToken: func(a, r string) {
		access, refresh = append(access, a), append(refresh, r)
	}})
	h := sim.Handler()
	tok := login(t, h, "v8")
	require.Equal(t, []string{tok}, access)
	require.Len(t, refresh, 1)

	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh[0]}}.Encode()
	r := serve(h, newRequest("POST", "/v8/token", "", "application/x-www-form-urlencoded", form))
	require.Equal(t, 200, r.status, "%s", r.body)
	require.Len(t, access, 2)
	require.Equal(t, r.json(t)["access_token"], access[1])
	require.Equal(t, r.json(t)["refresh_token"], refresh[1])
}
