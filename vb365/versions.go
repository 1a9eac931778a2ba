package vb365

import (
	"context"
	"errors"
	"net/http"

	"go.uber.org/zap"
)

// Version returns the API version in use, detecting it on first use when the
// configuration says auto.
//
// Detection asks GET /{v}/ServiceInstance, without a token, for v8, v7, v6
// and v5 in that order: VB365 has no endpoint that lists its versions, but it
// answers 404 for a version it does not serve and 200, 401 or 403 for one it
// does. The answer is kept for the life of the Client. A probe that gets no
// answer, or a 408, 429 or 5xx, is returned as a transient error and nothing
// is kept, so that a server that is briefly down is not pinned to an older
// version.
func (c *Client) Version(ctx context.Context) (Version, error) {
	if v := c.knownVersion(); v != "" {
		return v, nil
	}
	if err := acquire(ctx, c.versionSem); err != nil {
		return "", &Error{Op: "detect API version", Err: err}
	}
	defer release(c.versionSem)
	if v := c.knownVersion(); v != "" { // another caller detected it meanwhile
		return v, nil
	}
	v, err := c.detectVersion(ctx)
	if err != nil {
		return "", err
	}
	c.versionMu.Lock()
	c.version = v
	c.versionMu.Unlock()
	c.log.Info("detected VB365 REST API version", zap.String("version", string(v)))
	return v, nil
}

func (c *Client) knownVersion() Version {
	c.versionMu.Lock()
	defer c.versionMu.Unlock()
	return c.version
}

func (c *Client) detectVersion(ctx context.Context) (Version, error) {
	var last *response
	var lastReq *request
	for _, v := range SupportedVersions {
		r := &request{op: "detect API version", method: http.MethodGet, path: "/" + string(v) + "/ServiceInstance"}
		resp, err := c.send(ctx, r, "")
		if err != nil {
			return "", err
		}
		switch {
		case resp.status == http.StatusNotFound:
			last, lastReq = resp, r
			continue
		case resp.status == http.StatusRequestTimeout, resp.status == http.StatusTooManyRequests, resp.status >= 500:
			return "", c.statusError(r, resp)
		}
		return v, nil
	}
	e := c.statusError(lastReq, last)
	e.Path = "/{v8,v7,v6,v5}/ServiceInstance"
	e.Err = errors.New("the server serves none of the VB365 REST API versions v5 to v8; check the URL and port")
	return "", e
}

// versionOf is Version for the operations: its error already names the
// detection, and gets the operation prefixed.
func (c *Client) versionOf(ctx context.Context, op string) (Version, error) {
	v, err := c.Version(ctx)
	if err != nil {
		return "", within(op, err)
	}
	return v, nil
}
