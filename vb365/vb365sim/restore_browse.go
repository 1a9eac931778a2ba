package vb365sim

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Browsing a restore session: its organization's mailboxes, OneDrives,
// sites, teams and channels (v6 to v8). Each collection belongs to one
// session type (mailboxes to Vex, OneDrives to Veod, sites to Vesp, teams
// to Vet); a session opened without backup data holds none.

// restoreRoutes are the browse and restore operations, registered beside
// the core routes.
var restoreRoutes = []*route{
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/organization/mailboxes", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleMailboxList},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/organization/mailboxes/{mailboxId}", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleMailboxGet},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/organization/mailboxes/restore", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleMailboxesRestore},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/organization/mailboxes/{mailboxId}/restore", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleMailboxRestore},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/organization/mailboxes/{mailboxId}/restoreTo", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleMailboxRestoreTo},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/OneDrives", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleOneDriveList},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/OneDrives/{oneDriveId}", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleOneDriveGet},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/OneDrives/{oneDriveId}/restore", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleOneDriveRestore},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/OneDrives/{oneDriveId}/copyTo", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleOneDriveCopyTo},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/Sites", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleSiteList},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/Sites/{siteId}", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleSiteGet},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/Sites/{siteId}/restore", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleSiteRestore},
	{method: "POST", tmpl: "/RestoreSessions/{restoreSessionId}/Organization/Sites/{siteId}/restoreTo", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleSiteRestoreTo},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/organization/teams", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleTeamList},
	{method: "GET", tmpl: "/RestoreSessions/{restoreSessionId}/organization/teams/{teamId}", minV: 6, maxV: 8, auth: true, handle: (*Simulator).handleTeamGet},
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

func (s *Simulator) handleMailboxList(c *call) response {
	sess, d, resp, ok := s.browseSession(c, "Vex")
	if !ok {
		return resp
	}
	offset, limit, resp, ok := paging(c)
	if !ok {
		return resp
	}
	all := make([]wireMailboxItem, 0, len(d.mailboxes))
	for _, m := range d.mailboxes {
		all = append(all, s.mailboxWire(c, sess, m))
	}
	return jsonResponse(http.StatusOK, page(c, "/RestoreSessions/"+sess.id+"/organization/mailboxes", all, offset, limit))
}

func (s *Simulator) findMailbox(c *call, d *orgData) (*simMailbox, response, bool) {
	raw := c.params["mailboxId"]
	id, err := uuid.Parse(raw)
	if err != nil {
		return nil, errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The value '"+raw+"' is not a valid mailbox ID."), false
	}
	for _, m := range d.mailboxes {
		if m.id == id.String() {
			return m, response{}, true
		}
	}
	return nil, notFound(c, "Mailbox", id.String()), false
}

func (s *Simulator) handleMailboxGet(c *call) response {
	sess, d, resp, ok := s.browseSession(c, "Vex")
	if !ok {
		return resp
	}
	m, resp, ok := s.findMailbox(c, d)
	if !ok {
		return resp
	}
	return jsonResponse(http.StatusOK, s.mailboxWire(c, sess, m))
}

func (s *Simulator) oneDriveWire(c *call, sess *session, o *simOneDrive) wireURLItem {
	return wireURLItem{ID: o.id, Name: o.name, URL: o.url,
		Links: wireLinks{{"self", c.link("/RestoreSessions/" + sess.id + "/Organization/OneDrives/" + o.id)}}}
}

func (s *Simulator) handleOneDriveList(c *call) response {
	sess, d, resp, ok := s.browseSession(c, "Veod")
	if !ok {
		return resp
	}
	offset, limit, resp, ok := paging(c)
	if !ok {
		return resp
	}
	all := make([]wireURLItem, 0, len(d.oneDrives))
	for _, o := range d.oneDrives {
		all = append(all, s.oneDriveWire(c, sess, o))
	}
	return jsonResponse(http.StatusOK, page(c, "/RestoreSessions/"+sess.id+"/Organization/OneDrives", all, offset, limit))
}

func (s *Simulator) findOneDrive(c *call, d *orgData) (*simOneDrive, response, bool) {
	id := c.params["oneDriveId"]
	for _, o := range d.oneDrives {
		if strings.EqualFold(o.id, id) {
			return o, response{}, true
		}
	}
	return nil, notFound(c, "OneDrive", id), false
}

func (s *Simulator) handleOneDriveGet(c *call) response {
	sess, d, resp, ok := s.browseSession(c, "Veod")
	if !ok {
		return resp
	}
	o, resp, ok := s.findOneDrive(c, d)
	if !ok {
		return resp
	}
	return jsonResponse(http.StatusOK, s.oneDriveWire(c, sess, o))
}

func (s *Simulator) siteWire(c *call, sess *session, st *simSite) wireURLItem {
	return wireURLItem{ID: st.id, Name: st.name, URL: st.url,
		Links: wireLinks{{"self", c.link("/RestoreSessions/" + sess.id + "/Organization/Sites/" + st.id)}}}
}

// handleSiteList lists the top-level sites, or with parentId the direct
// subsites of that site.
func (s *Simulator) handleSiteList(c *call) response {
	sess, d, resp, ok := s.browseSession(c, "Vesp")
	if !ok {
		return resp
	}
	offset, limit, resp, ok := paging(c)
	if !ok {
		return resp
	}
	parent := lowerQuery(c.r)["parentid"]
	all := []wireURLItem{}
	for _, st := range d.sites {
		if strings.EqualFold(st.parent, parent) {
			all = append(all, s.siteWire(c, sess, st))
		}
	}
	p := page(c, "/RestoreSessions/"+sess.id+"/Organization/Sites", all, offset, limit)
	return jsonResponse(http.StatusOK, p)
}

func (s *Simulator) findSite(c *call, d *orgData) (*simSite, response, bool) {
	id := c.params["siteId"]
	for _, st := range d.sites {
		if strings.EqualFold(st.id, id) {
			return st, response{}, true
		}
	}
	return nil, notFound(c, "Site", id), false
}

func (s *Simulator) handleSiteGet(c *call) response {
	sess, d, resp, ok := s.browseSession(c, "Vesp")
	if !ok {
		return resp
	}
	st, resp, ok := s.findSite(c, d)
	if !ok {
		return resp
	}
	return jsonResponse(http.StatusOK, s.siteWire(c, sess, st))
}

func (s *Simulator) teamWire(c *call, sess *session, t *simTeam) wireTeamItem {
	return wireTeamItem{ID: t.id, DisplayName: t.name, Description: t.description, GroupEmail: t.email, Alias: t.alias, Privacy: t.privacy,
		Links: wireLinks{{"self", c.link("/RestoreSessions/" + sess.id + "/organization/teams/" + t.id)}}}
}

func (s *Simulator) handleTeamList(c *call) response {
	sess, d, resp, ok := s.browseSession(c, "Vet")
	if !ok {
		return resp
	}
	offset, limit, resp, ok := paging(c)
	if !ok {
		return resp
	}
	match := nameFilter(c)
	all := []wireTeamItem{}
	for _, t := range d.teams {
		if match(t.name) {
			all = append(all, s.teamWire(c, sess, t))
		}
	}
	return jsonResponse(http.StatusOK, page(c, "/RestoreSessions/"+sess.id+"/organization/teams", all, offset, limit))
}

func (s *Simulator) findTeam(c *call, d *orgData) (*simTeam, response, bool) {
	raw := c.params["teamId"]
	id, err := uuid.Parse(raw)
	if err != nil {
		return nil, errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The value '"+raw+"' is not a valid team ID."), false
	}
	for _, t := range d.teams {
		if t.id == id.String() {
			return t, response{}, true
		}
	}
	return nil, notFound(c, "Team", id.String()), false
}

func (s *Simulator) handleTeamGet(c *call) response {
	sess, d, resp, ok := s.browseSession(c, "Vet")
	if !ok {
		return resp
	}
	t, resp, ok := s.findTeam(c, d)
	if !ok {
		return resp
	}
	return jsonResponse(http.StatusOK, s.teamWire(c, sess, t))
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
	sess, d, resp, ok := s.browseSession(c, "Vet")
	if !ok {
		return resp
	}
	t, resp, ok := s.findTeam(c, d)
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
	sess, d, resp, ok := s.browseSession(c, "Vet")
	if !ok {
		return resp
	}
	t, resp, ok := s.findTeam(c, d)
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
