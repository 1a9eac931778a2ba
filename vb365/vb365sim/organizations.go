package vb365sim

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

type organization struct {
	id, name, officeName string
	points               []time.Time // restore points, ascending
	stopAfter            time.Duration
	script               []ScriptedEvent
	beh                  Behaviour // the organization's own switches
}

// restorePoint picks the point a session opens for t: the latest point at or
// before t (the last one if t is after it); ok is false before the first.
func (o *organization) restorePoint(t time.Time) (time.Time, bool) {
	i := sort.Search(len(o.points), func(i int) bool { return o.points[i].After(t) })
	if i == 0 {
		return time.Time{}, false
	}
	return o.points[i-1], true
}

// extendedView says whether the backup window is asked for: v5 always; v6
// unless extendedView=false (its document marks the parameter required
// with default true); v7/v8 only with extendedView=true (default false).
func extendedView(c *call) (show bool, resp response, ok bool) {
	q := c.r.URL.Query()
	raw, present := "", false
	for k, v := range q {
		if strings.EqualFold(k, "extendedView") && len(v) > 0 {
			raw, present = v[0], true
		}
	}
	if present {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return false, errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The value '"+raw+"' is not valid for extendedView."), false
		}
		return b || c.vn <= 5, response{}, true
	}
	switch {
	case c.vn <= 5:
		return true, response{}, true
	case c.vn == 6:
		return true, response{}, true
	default:
		return false, response{}, true
	}
}

func (s *Simulator) orgWire(c *call, o *organization, extended bool) wireOrganization {
	w := wireOrganization{
		ID: o.id, Name: o.name, OfficeName: o.officeName, Type: "Office365", Region: "Worldwide",
		IsExchangeOnline: true, IsSharePointOnline: true, IsTeamsOnline: true,
		Links: wireLinks{{"self", c.link("/Organizations/" + o.id)}},
	}
	// The backup window comes from the organization's backup proxy: v7 and v8
	// document that extendedView=true returns it only while the proxy is
	// online.
	if extended && !s.proxyOfflineFor(o) {
		backed := len(o.points) > 0
		w.IsBackedup = &backed
		if backed {
			w.FirstBackuptime = s.orgTime(o.points[0])
			w.LastBackuptime = s.orgTime(o.points[len(o.points)-1])
		} else {
			w.FirstBackuptime, w.LastBackuptime = jsonTime(nil), jsonTime(nil)
		}
	}
	return w
}

func (s *Simulator) handleOrganizationList(c *call) response {
	ext, resp, ok := extendedView(c)
	if !ok {
		return resp
	}
	all := make([]wireOrganization, 0, len(s.orgs))
	for _, o := range s.orgs {
		all = append(all, s.orgWire(c, o, ext))
	}
	if c.vn < 8 {
		return jsonResponse(http.StatusOK, all)
	}
	offset, limit, resp, ok := paging(c)
	if !ok {
		return resp
	}
	return jsonResponse(http.StatusOK, page(c, "/Organizations", all, offset, limit))
}

// pathUUID reads the path parameter param as a UUID, in its canonical form;
// anything else is VB365's 400 naming what the id is of.
func pathUUID(c *call, param, what string) (string, response, bool) {
	raw := c.params[param]
	id, err := uuid.Parse(raw)
	if err != nil {
		return "", errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The value '"+raw+"' is not a valid "+what+" ID."), false
	}
	return id.String(), response{}, true
}

// lookupByUUID resolves the path parameter param, a UUID, to the entry of
// byID it names: VB365's 400 for a malformed id, 404 for an unknown one,
// both naming what ("Organization", "Restore session").
func lookupByUUID[T any](c *call, param, what string, byID map[string]T) (T, response, bool) {
	var zero T
	id, resp, ok := pathUUID(c, param, strings.ToLower(what))
	if !ok {
		return zero, resp, false
	}
	x, ok := byID[id]
	if !ok {
		return zero, errorResponse(c.vn, http.StatusNotFound, "ResourceNotFound", what+" with ID "+id+" was not found."), false
	}
	return x, response{}, true
}

// lookupOrganization resolves the organizationId path parameter.
func (s *Simulator) lookupOrganization(c *call) (*organization, response, bool) {
	return lookupByUUID(c, "organizationId", "Organization", s.orgByID)
}

// lookupOrganizationWithBody reads an organization's POST: the organization
// of the path first, then the body decoded into v.
func (s *Simulator) lookupOrganizationWithBody(c *call, v any) (*organization, response, bool) {
	o, resp, ok := s.lookupOrganization(c)
	if !ok {
		return nil, resp, false
	}
	if resp, ok := c.decodeJSON(v); !ok {
		return nil, resp, false
	}
	return o, response{}, true
}

func (s *Simulator) handleOrganizationGet(c *call) response {
	o, resp, ok := s.lookupOrganization(c)
	if !ok {
		return resp
	}
	ext, resp, ok := extendedView(c)
	if !ok {
		return resp
	}
	return jsonResponse(http.StatusOK, s.orgWire(c, o, ext))
}

// handleOrganizationAction is v5's POST /Organizations/{id}/action with
// {"explore":{...}}.
func (s *Simulator) handleOrganizationAction(c *call) response {
	var body v5OrganizationAction
	o, resp, ok := s.lookupOrganizationWithBody(c, &body)
	if !ok {
		return resp
	}
	if body.Explore == nil {
		return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The action is not supported: the body must hold an \"explore\" action.")
	}
	return s.explore(c, o, body.Explore, http.StatusCreated)
}

// handleExplore is v6+'s POST /Organizations/{id}/explore.
func (s *Simulator) handleExplore(c *call) response {
	var body exploreOptions
	o, resp, ok := s.lookupOrganizationWithBody(c, &body)
	if !ok {
		return resp
	}
	status := http.StatusOK
	if c.vn >= 8 {
		status = http.StatusCreated
	}
	return s.explore(c, o, &body, status)
}

var sessionTypes = []string{"Vex", "Veod", "Vesp", "Vet"}

var typeWords = map[string]string{"Vex": "Exchange", "Veod": "OneDrive", "Vesp": "SharePoint", "Vet": "Teams"}

func (s *Simulator) explore(c *call, o *organization, opt *exploreOptions, status int) response {
	bad := func(msg string) response {
		return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", msg)
	}
	if opt.Type == nil || *opt.Type == "" {
		if c.vn <= 5 {
			return bad("The type of the restore session is required: one of Vex, Veod, Vesp, Vet.")
		}
		// v6 and later documents make type optional; a session of no type
		// is taken to be an Exchange one.
		opt.Type = new("Vex")
	}
	typ := canonical(sessionTypes, *opt.Type)
	if typ == "" {
		return bad(fmt.Sprintf("The type '%s' is not valid: use one of Vex, Veod, Vesp, Vet.", *opt.Type))
	}
	now := s.now()
	at := now
	if opt.DateTime != nil && strings.TrimSpace(*opt.DateTime) != "" {
		t, err := parseTime(*opt.DateTime)
		if err != nil {
			return bad("The datetime is not valid: " + err.Error())
		}
		at = t
	}
	if s.proxyOfflineFor(o) {
		return errorResponseTrace(c.vn, http.StatusInternalServerError, "ProxyOffline",
			"The backup proxy server of organization "+o.name+" is offline.", simulatedStackTrace)
	}
	// Field reports show this bare 500 for every reason a session cannot be
	// opened: no backups, missing Explorers, too many open sessions.
	if len(o.points) == 0 || s.openSessionLimitReached(o, now) {
		return errorResponseTrace(c.vn, http.StatusInternalServerError, "", "Restore session cannot be created.", simulatedStackTrace)
	}
	sess := s.newSession(c, o, typ, at, now)
	return jsonResponse(status, s.sessionWire(c, sess, now))
}

// simulatedStackTrace is the stackTrace of the simulator's own 500s on v8.
const simulatedStackTrace = "   at Veeam.Archiver.REST.Controllers.OrganizationController.Explore (vb365sim)"

// handleSessionOrganization is GET /RestoreSessions/{id}/organization: the
// organization whose backups the session explores.
func (s *Simulator) handleSessionOrganization(c *call) response {
	sess, resp, ok := s.lookupSession(c)
	if !ok {
		return resp
	}
	base := "/RestoreSessions/" + sess.id
	return jsonResponse(http.StatusOK, wireBackupOrganization{
		ID: sess.org.id, Name: sess.org.name, Type: "Office365",
		Links: wireLinks{{"self", c.link(base + "/organization")}, {"restoreSession", c.link(base)}},
	})
}
