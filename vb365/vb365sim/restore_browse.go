package vb365sim

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Browsing a restore session: its organization's mailboxes, OneDrives,
// sites, teams and channels (v6 to v8). Each collection belongs to one
// session type (mailboxes to Vex, OneDrives to Veod, sites to Vesp, teams
// to Vet); a session opened without backup data holds none.

// restoreRoutes are the browse and restore operations, registered beside
// the core routes.
var restoreRoutes = []*route{
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/organization/mailboxes", minV: 6, maxV: 8, auth: true, handle: browseList("Vex", "/organization/mailboxes", func(d *orgData) []*simMailbox { return d.mailboxes }, nil, (*Simulator).mailboxWire)},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/organization/mailboxes/{mailboxId}", minV: 6, maxV: 8, auth: true, handle: browseGet("Vex", (*Simulator).findMailbox, (*Simulator).mailboxWire)},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/organization/mailboxes/restore", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleMailboxesRestore},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/organization/mailboxes/{mailboxId}/restore", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleMailboxRestore},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/organization/mailboxes/{mailboxId}/restoreTo", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleMailboxRestoreTo},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/OneDrives", minV: 6, maxV: 8, auth: true, handle: browseList("Veod", "/Organization/OneDrives", func(d *orgData) []*simOneDrive { return d.oneDrives }, nil, (*Simulator).oneDriveWire)},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/OneDrives/{oneDriveId}", minV: 6, maxV: 8, auth: true, handle: browseGet("Veod", (*Simulator).findOneDrive, (*Simulator).oneDriveWire)},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/OneDrives/{oneDriveId}/restore", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleOneDriveRestore},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/OneDrives/{oneDriveId}/copyTo", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleOneDriveCopyTo},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/Sites", minV: 6, maxV: 8, auth: true, handle: browseList("Vesp", "/Organization/Sites", func(d *orgData) []*simSite { return d.sites }, sitesUnder, (*Simulator).siteWire)},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/Sites/{siteId}", minV: 6, maxV: 8, auth: true, handle: browseGet("Vesp", (*Simulator).findSite, (*Simulator).siteWire)},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/Sites/{siteId}/restore", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleSiteRestore},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/Sites/{siteId}/restoreTo", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleSiteRestoreTo},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/organization/teams", minV: 6, maxV: 8, auth: true, handle: browseList("Vet", "/organization/teams", func(d *orgData) []*simTeam { return d.teams }, teamsNamed, (*Simulator).teamWire)},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/organization/teams/{teamId}", minV: 6, maxV: 8, auth: true, handle: browseGet("Vet", (*Simulator).findTeam, (*Simulator).teamWire)},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/organization/teams/{teamId}/restore", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleTeamRestore},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/organization/teams/{teamId}/channels", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleChannelList},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/organization/teams/{teamId}/channels/{channelId}", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleChannelGet},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/organization/teams/{teamId}/channels/{channelId}/restore", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleChannelRestore},
}

// Wire shapes of the browsed items.
type (
	wireMailboxItem struct {
		ID        string    `json:"id"`
		Name      string    `json:"name"`
		Email     string    `json:"email"`
		IsArchive bool      `json:"isArchive"`
		IsPublic  bool      `json:"isPublic"`
		Links     wireLinks `json:"_links,omitempty"`
	}
	wireURLItem struct { // RESTOneDrive, RESTSharePointSite
		ID    string    `json:"id"`
		Name  string    `json:"name"`
		URL   string    `json:"url"`
		Links wireLinks `json:"_links,omitempty"`
	}
	wireTeamItem struct {
		ID          string    `json:"id"`
		DisplayName string    `json:"displayName"`
		Description string    `json:"description"`
		GroupEmail  string    `json:"groupEmail"`
		Alias       string    `json:"alias"`
		Privacy     string    `json:"privacy"`
		IsArchived  bool      `json:"isArchived"`
		Links       wireLinks `json:"_links,omitempty"`
	}
	wireChannelItem struct {
		ID          string    `json:"id"`
		DisplayName string    `json:"displayName"`
		TeamID      string    `json:"teamId,omitempty"` // v8
		Type        string    `json:"type,omitempty"`   // v8
		Links       wireLinks `json:"_links,omitempty"`
	}
)

// dataOf returns the organization data a session can browse: none without
// backup data. Called with s.mu held.
func (s *Simulator) dataOf(sess *session) *orgData {
	if sess.point == nil {
		return &orgData{}
	}
	if s.restores.data == nil {
		s.restores.data = map[string]*orgData{}
	}
	d, ok := s.restores.data[sess.org.id]
	if !ok {
		d = builtinData(sess.org.id)
		s.restores.data[sess.org.id] = d
	}
	return d
}

// browseSession resolves the session of a browse or restore call and checks
// that its type holds the workload (typ).
func (s *Simulator) browseSession(c *call, typ string) (*session, *orgData, response, bool) {
	sess, resp, ok := s.lookupSession(c)
	if !ok {
		return nil, nil, resp, false
	}
	if sess.typ != typ {
		return nil, nil, errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure",
			"Restore session "+sess.id+" is a "+typeWords[sess.typ]+" restore session: it holds no "+typeWords[typ]+" data."), false
	}
	return sess, s.dataOf(sess), response{}, true
}

// nameFilter is VB365's displayName filter: names that contain the value,
// where * and ? are wildcards; case is ignored.
func nameFilter(c *call) func(string) bool {
	v := lowerQuery(c.r)["displayname"]
	if v == "" {
		return func(string) bool { return true }
	}
	var b strings.Builder
	b.WriteString("(?i)")
	for _, r := range v {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re := regexp.MustCompile(b.String())
	return re.MatchString
}

func notFound(c *call, what, id string) response {
	return errorResponse(c.vn, http.StatusNotFound, "ResourceNotFound", what+" with ID "+id+" was not found in the restore session.")
}

func (s *Simulator) mailboxWire(c *call, sess *session, m *simMailbox) wireMailboxItem {
	return wireMailboxItem{ID: m.id, Name: m.name, Email: m.email, IsArchive: m.archive,
		Links: wireLinks{{"self", c.link("/RestoreSessions/" + sess.id + "/organization/mailboxes/" + m.id)}}}
}

// browsePage opens the browse session of the component typ and reads the
// paging parameters: the start of every list handler of a session.
func (s *Simulator) browsePage(c *call, typ string) (*session, *orgData, int, int, response, bool) {
	sess, d, resp, ok := s.browseSession(c, typ)
	if !ok {
		return nil, nil, 0, 0, resp, false
	}
	offset, limit, resp, ok := paging(c)
	if !ok {
		return nil, nil, 0, 0, resp, false
	}
	return sess, d, offset, limit, response{}, true
}

// browseFind opens the browse session of the component typ and finds the
// object the path names: the start of every handler of one object.
func browseFind[T any](s *Simulator, c *call, typ string, find func(*Simulator, *call, *orgData) (T, response, bool)) (*session, T, response, bool) {
	var zero T
	sess, d, resp, ok := s.browseSession(c, typ)
	if !ok {
		return nil, zero, resp, false
	}
	x, resp, ok := find(s, c, d)
	if !ok {
		return nil, zero, resp, false
	}
	return sess, x, response{}, true
}

// findByID finds the object of a kind (Mailbox, Team, ...) that the path
// parameter param names among all: with uuidID the parameter must be a UUID
// (400 ParameterValidationFailure otherwise); none is a 404.
func findByID[T any](c *call, param, kind string, uuidID bool, all []T, idOf func(T) string) (T, response, bool) {
	var zero T
	id := c.params[param]
	if uuidID {
		u, resp, ok := pathUUID(c, param, strings.ToLower(kind))
		if !ok {
			return zero, resp, false
		}
		id = u
	}
	if x, ok := byID(all, id, idOf); ok {
		return x, response{}, true
	}
	return zero, notFound(c, kind, id), false
}

// byID is the object of all whose id is id, ignoring case.
func byID[T any](all []T, id string, idOf func(T) string) (T, bool) {
	for _, x := range all {
		if strings.EqualFold(idOf(x), id) {
			return x, true
		}
	}
	var zero T
	return zero, false
}

// browseList answers the GET of a collection of a session of type typ
// (path, under the session): the objects of its organization (all) that
// keep (nil: every one) lets through, as wire writes them, one page.
func browseList[T, W any](typ, path string, all func(*orgData) []T, keep func(*call) func(T) bool,
	wire func(*Simulator, *call, *session, T) W) func(*Simulator, *call) response {
	return func(s *Simulator, c *call) response {
		sess, d, offset, limit, resp, ok := s.browsePage(c, typ)
		if !ok {
			return resp
		}
		var kept func(T) bool
		if keep != nil {
			kept = keep(c)
		}
		items := []W{}
		for _, x := range all(d) {
			if kept == nil || kept(x) {
				items = append(items, wire(s, c, sess, x))
			}
		}
		return jsonResponse(http.StatusOK, page(c, "/RestoreSessions/"+sess.id+path, items, offset, limit))
	}
}

// sitesUnder keeps the top-level sites, or with parentId the direct
// subsites of that site.
func sitesUnder(c *call) func(*simSite) bool {
	parent := lowerQuery(c.r)["parentid"]
	return func(st *simSite) bool { return strings.EqualFold(st.parent, parent) }
}

// teamsNamed keeps the teams whose name the request's name filter matches.
func teamsNamed(c *call) func(*simTeam) bool {
	match := nameFilter(c)
	return func(t *simTeam) bool { return match(t.name) }
}

// browseGet answers the GET of one object of a session of type typ: the
// object find names, as wire writes it.
func browseGet[T, W any](typ string, find func(*Simulator, *call, *orgData) (T, response, bool),
	wire func(*Simulator, *call, *session, T) W) func(*Simulator, *call) response {
	return func(s *Simulator, c *call) response {
		sess, x, resp, ok := browseFind(s, c, typ, find)
		if !ok {
			return resp
		}
		return jsonResponse(http.StatusOK, wire(s, c, sess, x))
	}
}

func (s *Simulator) findMailbox(c *call, d *orgData) (*simMailbox, response, bool) {
	return findByID(c, "mailboxId", "Mailbox", true, d.mailboxes, func(m *simMailbox) string { return m.id })
}

func (s *Simulator) oneDriveWire(c *call, sess *session, o *simOneDrive) wireURLItem {
	return wireURLItem{ID: o.id, Name: o.name, URL: o.url,
		Links: wireLinks{{"self", c.link("/RestoreSessions/" + sess.id + "/Organization/OneDrives/" + o.id)}}}
}

func (s *Simulator) findOneDrive(c *call, d *orgData) (*simOneDrive, response, bool) {
	return findByID(c, "oneDriveId", "OneDrive", false, d.oneDrives, func(o *simOneDrive) string { return o.id })
}

func (s *Simulator) siteWire(c *call, sess *session, st *simSite) wireURLItem {
	return wireURLItem{ID: st.id, Name: st.name, URL: st.url,
		Links: wireLinks{{"self", c.link("/RestoreSessions/" + sess.id + "/Organization/Sites/" + st.id)}}}
}

func (s *Simulator) findSite(c *call, d *orgData) (*simSite, response, bool) {
	return findByID(c, "siteId", "Site", false, d.sites, func(st *simSite) string { return st.id })
}

func (s *Simulator) teamWire(c *call, sess *session, t *simTeam) wireTeamItem {
	return wireTeamItem{ID: t.id, DisplayName: t.name, Description: t.description, GroupEmail: t.email, Alias: t.alias, Privacy: t.privacy,
		Links: wireLinks{{"self", c.link("/RestoreSessions/" + sess.id + "/organization/teams/" + t.id)}}}
}

func (s *Simulator) findTeam(c *call, d *orgData) (*simTeam, response, bool) {
	return findByID(c, "teamId", "Team", true, d.teams, func(t *simTeam) string { return t.id })
}

func (s *Simulator) channelWire(c *call, sess *session, t *simTeam, ch *simChannel) wireChannelItem {
	w := wireChannelItem{ID: ch.id, DisplayName: ch.name,
		Links: wireLinks{{"self", c.link("/RestoreSessions/" + sess.id + "/organization/teams/" + t.id + "/channels/" + url.PathEscape(ch.id))}}}
	if c.vn >= 8 {
		w.TeamID, w.Type = t.id, ch.typ
	}
	return w
}

func (s *Simulator) handleChannelList(c *call) response {
	sess, t, resp, ok := browseFind(s, c, "Vet", (*Simulator).findTeam)
	if !ok {
		return resp
	}
	offset, limit, resp, ok := paging(c)
	if !ok {
		return resp
	}
	match := nameFilter(c)
	all := []wireChannelItem{}
	for _, ch := range t.channels {
		if match(ch.name) {
			all = append(all, s.channelWire(c, sess, t, ch))
		}
	}
	return jsonResponse(http.StatusOK, page(c, "/RestoreSessions/"+sess.id+"/organization/teams/"+t.id+"/channels", all, offset, limit))
}

func (s *Simulator) findChannel(c *call, t *simTeam) (*simChannel, response, bool) {
	raw := c.params["channelId"]
	id, err := url.PathUnescape(raw)
	if err != nil {
		id = raw
	}
	for _, ch := range t.channels {
		if strings.EqualFold(ch.id, id) {
			return ch, response{}, true
		}
	}
	return nil, notFound(c, "Channel", id), false
}

func (s *Simulator) handleChannelGet(c *call) response {
	sess, t, resp, ok := browseFind(s, c, "Vet", (*Simulator).findTeam)
	if !ok {
		return resp
	}
	ch, resp, ok := s.findChannel(c, t)
	if !ok {
		return resp
	}
	return jsonResponse(http.StatusOK, s.channelWire(c, sess, t, ch))
}

// durationOf is how long restoring n items takes.
func (s *Simulator) durationOf(n int64) time.Duration {
	d := s.restores.itemDuration
	if d == 0 {
		d = DefaultRestoreItemDuration
	}
	return time.Duration(n) * d
}
