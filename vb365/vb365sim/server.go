package vb365sim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// route is one API operation. tmpl is written as in Veeam's documents;
// matching ignores case.
type route struct {
	method     string
	tmpl       string
	minV, maxV int
	auth       bool
	handle     func(s *Simulator, c *call) response
	segs       []string
}

var routes = func() []*route {
	rs := []*route{
		{method: "POST", tmpl: "/token", minV: 5, maxV: 8, handle: (*Simulator).handleToken},
		{method: "POST", tmpl: "/token/logout", minV: 7, maxV: 8, auth: true, handle: (*Simulator).handleLogout},
		{method: "GET", tmpl: "/ServiceInstance", minV: 5, maxV: 8, auth: true, handle: (*Simulator).handleServiceInstance},
		{method: "GET", tmpl: "/Organizations", minV: 5, maxV: 8, auth: true, handle: (*Simulator).handleOrganizationList},
		{method: "GET", tmpl: "/Organizations/{organizationId}", minV: 5, maxV: 8, auth: true, handle: (*Simulator).handleOrganizationGet},
		{method: "POST", tmpl: "/Organizations/{organizationId}/action", minV: 5, maxV: 5, auth: true, handle: (*Simulator).handleOrganizationAction},
		{method: "POST", tmpl: "/Organizations/{organizationId}/explore", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleExplore},
		{method: "GET", tmpl: "/RestoreSessions", minV: 5, maxV: 8, auth: true, handle: (*Simulator).handleSessionList},
		{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}", minV: 5, maxV: 8, auth: true, handle: (*Simulator).handleSessionGet},
		{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/action", minV: 5, maxV: 5, auth: true, handle: (*Simulator).handleSessionAction},
		{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/Stop", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleSessionStop},
		{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/organization", minV: 5, maxV: 8, auth: true, handle: (*Simulator).handleSessionOrganization},
		{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/Statistics", minV: 8, maxV: 8, auth: true, handle: (*Simulator).handleStatistics},
		{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/Events", minV: 5, maxV: 8, auth: true, handle: (*Simulator).handleEventList},
		{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/Events/{eventId}", minV: 5, maxV: 8, auth: true, handle: (*Simulator).handleEventGet},
		{method: "GET", tmpl: "/Events", minV: 8, maxV: 8, auth: true, handle: (*Simulator).handleChanges},
	}
	rs = append(rs, restoreRoutes...)
	for _, r := range rs {
		r.segs = splitPath(r.tmpl)
	}
	return rs
}()

// call is one API request being handled.
type call struct {
	r      *http.Request
	ver    string // "v8"
	vn     int    // 8
	params map[string]string
	body   []byte
	user   string
	scheme string
}

// response is what a handler answers; serveHTTP writes it after the lock is
// released.
type response struct {
	status int
	body   any // nil: no body
	header http.Header
	// then, when set, is a response that is not ready yet (a v6/v7 restore
	// answers when it is done): serveHTTP waits `wait` without the lock,
	// then answers what then returns.
	wait time.Duration
	then func() response
	// block, when set, is a response that waits for something (a long
	// poll of the change feed): serveHTTP calls it without the lock, with
	// the request's context, and answers what it returns.
	block func(ctx context.Context) response
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func (r *route) match(segs []string) (map[string]string, bool) {
	if len(segs) != len(r.segs) {
		return nil, false
	}
	var params map[string]string
	for i, t := range r.segs {
		if strings.HasPrefix(t, "{") {
			if params == nil {
				params = map[string]string{}
			}
			params[strings.Trim(t, "{}")] = segs[i]
			continue
		}
		if !strings.EqualFold(t, segs[i]) {
			return nil, false
		}
	}
	return params, true
}

// resolve finds the operation of a request: the route (nil if none), its
// version and params, and the error status (404, 405) when there is none.
func (s *Simulator) resolve(method, path string) (*route, string, int, map[string]string, int) {
	segs := splitPath(path)
	if len(segs) == 0 {
		return nil, "", 0, nil, http.StatusNotFound
	}
	ver := strings.ToLower(segs[0])
	vn := 0
	if len(ver) == 2 && ver[0] == 'v' {
		vn, _ = strconv.Atoi(ver[1:])
	}
	if vn < 5 || vn > 8 || !s.versions[ver] {
		return nil, ver, 0, nil, http.StatusNotFound
	}
	pathMatched := false
	for _, rt := range routes {
		if vn < rt.minV || vn > rt.maxV {
			continue
		}
		params, ok := rt.match(segs[1:])
		if !ok {
			continue
		}
		pathMatched = true
		if strings.EqualFold(rt.method, method) {
			return rt, ver, vn, params, 0
		}
	}
	if pathMatched {
		return nil, ver, vn, nil, http.StatusMethodNotAllowed
	}
	return nil, ver, vn, nil, http.StatusNotFound
}

func (s *Simulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if p := strings.ToLower(r.URL.Path); p == "/_sim" || strings.HasPrefix(p, "/_sim/") {
		s.serveControl(w, r)
		return
	}
	// Every answer carries Date on the server's clock (skew included), as
	// an HTTP origin server with a clock must (RFC 9110, section 6.6.1):
	// the client reads VB365's clock from it. It is taken as the request
	// arrives, before any latency or fault delay: a little early, never late.
	w.Header().Set("Date", s.now().Format(http.TimeFormat))
	rt, ver, vn, params, errStatus := s.resolve(r.Method, r.URL.Path)
	key := r.Method + " (unmatched)"
	if rt != nil {
		key = rt.method + " /" + ver + rt.tmpl
	}
	s.mu.Lock()
	s.stats.count(key)
	s.mu.Unlock()
	s.log.Debug("request", zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.String("route", key))

	if d := s.latencyFor(r.Method, r.URL.Path); d > 0 && !s.sleep(r, d) {
		return
	}
	f := s.takeFault(r.Method, r.URL.Path)
	if f != nil {
		s.log.Info("fault injected", zap.String("method", r.Method), zap.String("path", r.URL.Path),
			zap.Int("status", f.Status), zap.Bool("dropAfterCommit", f.DropAfterCommit), zap.Int("delayMs", f.DelayMs))
		if f.DelayMs > 0 && !s.sleep(r, durationMs(f.DelayMs)) {
			return
		}
		if f.Status > 0 {
			resp := errorResponseTrace(vn, f.Status, f.ErrorCode, faultMessage(f), f.StackTrace)
			if f.RetryAfterSeconds > 0 {
				resp.header = http.Header{"Retry-After": {strconv.Itoa(f.RetryAfterSeconds)}}
			}
			writeResponse(w, resp)
			return
		}
	}

	var resp response
	if rt == nil {
		msg := "No HTTP resource was found that matches the request URI '" + r.URL.Path + "'."
		if errStatus == http.StatusMethodNotAllowed {
			msg = "The requested resource does not support http method '" + r.Method + "'."
		}
		resp = errorResponse(vn, errStatus, "ResourceNotFound", msg)
	} else {
		resp = s.dispatch(rt, r, ver, vn, params)
	}
	if resp.block != nil {
		resp = resp.block(r.Context())
	}
	if resp.then != nil {
		if !s.sleep(r, resp.wait) {
			return
		}
		resp = resp.then()
	}
	if f != nil && f.DropAfterCommit {
		dropConnection(w)
		return
	}
	writeResponse(w, resp)
}

func (s *Simulator) dispatch(rt *route, r *http.Request, ver string, vn int, params map[string]string) response {
	c := &call{r: r, ver: ver, vn: vn, params: params, scheme: s.opts.LinkScheme}
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return errorResponse(vn, http.StatusBadRequest, "ParameterValidationFailure", "Cannot read the request body.")
		}
		c.body = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt.auth {
		user, resp, ok := s.authenticate(c)
		if !ok {
			return resp
		}
		c.user = user
	}
	return rt.handle(s, c)
}

// errorCodes are the values of v8's RESTExceptionInfo.errorCode; v7's enum
// holds only ProxyOffline, v6 has no errorCode.
var errorCodes = []string{"ProxyOffline", "OutdatedChangeToken", "ResourceAccessDenied", "ResourceNotFound",
	"ParameterValidationFailure", "OrganizationTransfer", "RepositoryOwnerChangeTooManyLinks", "Timeout",
	"OperationConflict", "HttpError"}

// errorResponse is VB365's error body (RESTExceptionInfo) without a stack trace.
func errorResponse(vn, status int, code, msg string) response {
	return errorResponseTrace(vn, status, code, msg, "")
}

// errorResponseTrace is VB365's error body: message on every version;
// errorCode on v8 (null when there is none) and on v7 when it is the one
// code v7 knows, ProxyOffline; stackTrace on v8 (null when empty).
func errorResponseTrace(vn, status int, code, msg, trace string) response {
	e := wireError{Message: msg}
	switch {
	case vn >= 8:
		e.ErrorCode, e.StackTrace = jsonStringOrNull(code), jsonStringOrNull(trace)
	case vn == 7 && code == "ProxyOffline":
		e.ErrorCode = jsonStringOrNull(code)
	}
	return response{status: status, body: e}
}

func jsonResponse(status int, body any) response { return response{status: status, body: body} }

func writeResponse(w http.ResponseWriter, resp response) {
	for k, vs := range resp.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	b := marshalNoEscape(resp.body)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(b)
}

// link builds a link to an API path of the call's version: absolute on v5
// (as in Veeam's v5 example), relative from v6 on.
func (c *call) link(path string) string {
	p := "/" + c.ver + path
	if c.vn <= 5 {
		return c.scheme + "://" + c.r.Host + p
	}
	return p
}

// decodeJSON decodes the call's body into v; false with a 400 response if it
// is not JSON of that shape.
func (c *call) decodeJSON(v any) (response, bool) {
	if len(strings.TrimSpace(string(c.body))) == 0 {
		return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The request body is required."), false
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The request body is not valid: "+err.Error()), false
	}
	return response{}, true
}
