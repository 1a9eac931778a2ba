package vb365

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Browsing a restore session: the mailboxes, OneDrives, sites, teams and
// channels its restore point holds, one page at a time (List...) or found by
// what an operator knows (Find...). VB365 serves them from v6 on; v5 calls
// fail with ErrUnsupportedVersion before anything is sent.

// ErrUnsupportedVersion is wrapped by errors of calls the server's API
// version does not have (restore actions before v6, restore statistics
// before v8). Nothing was sent; retrying cannot help.
var ErrUnsupportedVersion = errors.New("not supported by this VB365 API version")

// ErrItemNotFound is wrapped by the errors of the Find calls when the
// restore session holds no item of that name: permanent for this session.
var ErrItemNotFound = errors.New("not found in the restore session")

// ErrItemAmbiguous is wrapped by the errors of the Find calls when several
// items answer to the name: the caller must say which one.
var ErrItemAmbiguous = errors.New("more than one item in the restore session answers to this name")

// refused is the error of a call that cannot succeed with this input on
// this server (a version without the call, a name the session does not
// hold): it wraps kind and ErrInvalidArgument, so it is never transient.
func refused(op string, kind error, detail string) *Error {
	return &Error{Op: op, Err: fmt.Errorf("%w: %w: %s", ErrInvalidArgument, kind, detail)}
}

// IsItemNotFound reports whether a Find call found nothing (ErrItemNotFound).
func IsItemNotFound(err error) bool { return errors.Is(err, ErrItemNotFound) }

// Mailbox is an Exchange mailbox in a restore session (RESTExchangeMailbox).
type Mailbox struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	IsArchive bool   `json:"isArchive,omitempty"`
	IsPublic  bool   `json:"isPublic,omitempty"`
}

// OneDrive is a user's OneDrive in a restore session (RESTOneDrive).
type OneDrive struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Site is a SharePoint site in a restore session (RESTSharePointSite).
type Site struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Team is a Microsoft Teams team in a restore session (RESTTeamsTeam).
type Team struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Description string `json:"description,omitempty"`
	GroupEmail  string `json:"groupEmail,omitempty"`
	Alias       string `json:"alias,omitempty"`
	Privacy     string `json:"privacy,omitempty"`
	IsArchived  bool   `json:"isArchived,omitempty"`
}

// Channel is a channel of a team in a restore session (RESTTeamsChannel,
// v7 on RESTTeamsChannelPreview). TeamID and Type come from v8 only.
type Channel struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	TeamID      string `json:"teamId,omitempty"`
	Type        string `json:"type,omitempty"`
}

// ListSitesOptions pages through a session's sites; ParentID lists the
// subsites of that site instead of the top-level ones.
type ListSitesOptions struct {
	ListOptions
	ParentID string
}

// ListTeamsOptions pages through a session's teams; DisplayName asks VB365
// to filter by name (its displayName parameter).
type ListTeamsOptions struct {
	ListOptions
	DisplayName string
}

// ListChannelsOptions pages through a team's channels; DisplayName asks
// VB365 to filter by name.
type ListChannelsOptions struct {
	ListOptions
	DisplayName string
}

// Wire shapes of the browse responses.
type (
	wireMailbox struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		Email     string `json:"email"`
		IsArchive bool   `json:"isArchive"`
		IsPublic  bool   `json:"isPublic"`
	}
	wireOneDrive struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		URL  string `json:"url"`
	}
	wireSite struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		URL  string `json:"url"`
	}
	wireTeam struct {
		ID          string `json:"id"`
		DisplayName string `json:"displayName"`
		Description string `json:"description"`
		GroupEmail  string `json:"groupEmail"`
		Alias       string `json:"alias"`
		Privacy     string `json:"privacy"`
		IsArchived  bool   `json:"isArchived"`
	}
	wireChannel struct {
		ID          string `json:"id"`
		DisplayName string `json:"displayName"`
		TeamID      string `json:"teamId"`
		Type        string `json:"type"`
	}
)

// restoreVersion is the API version for a restore-session browse or restore
// call: v6 or later, else an ErrUnsupportedVersion error.
func (c *Client) restoreVersion(ctx context.Context, op string) (Version, error) {
	v, err := c.versionOf(ctx, op)
	if err != nil {
		return "", err
	}
	if v == V5 {
		return "", refused(op, ErrUnsupportedVersion, "restore actions need v6 or later, the server speaks v5")
	}
	return v, nil
}

// listIn reads one page of a collection under a restore session. sub is the
// path under /RestoreSessions/{id}/ as the documents spell it.
func listIn[W, T any](ctx context.Context, c *Client, op, sessionID, sub string, opts ListOptions, q url.Values, conv func(*W) T) (*Page[T], error) {
	seg, err := pathSegment(op, "restore session id", sessionID)
	if err != nil {
		return nil, err
	}
	if err := checkListOptions(op, opts); err != nil {
		return nil, err
	}
	v, err := c.restoreVersion(ctx, op)
	if err != nil {
		return nil, err
	}
	r := &request{op: op, method: http.MethodGet, path: "/" + string(v) + "/RestoreSessions/" + seg + "/" + sub, query: pagingQuery(q, opts)}
	return getPage(ctx, c, r, opts, conv)
}

// ListMailboxes reads one page of the session's mailboxes.
func (c *Client) ListMailboxes(ctx context.Context, sessionID string, opts ListOptions) (*Page[Mailbox], error) {
	return listIn(ctx, c, "list mailboxes", sessionID, "organization/mailboxes", opts, nil, func(w *wireMailbox) Mailbox {
		return Mailbox{ID: w.ID, Name: w.Name, Email: w.Email, IsArchive: w.IsArchive, IsPublic: w.IsPublic}
	})
}

// ListOneDrives reads one page of the session's OneDrives.
func (c *Client) ListOneDrives(ctx context.Context, sessionID string, opts ListOptions) (*Page[OneDrive], error) {
	return listIn(ctx, c, "list OneDrives", sessionID, "Organization/OneDrives", opts, nil, func(w *wireOneDrive) OneDrive {
		return OneDrive{ID: w.ID, Name: w.Name, URL: w.URL}
	})
}

// ListSites reads one page of the session's sites (or of a site's subsites).
func (c *Client) ListSites(ctx context.Context, sessionID string, opts ListSitesOptions) (*Page[Site], error) {
	q := filterQuery("parentId", opts.ParentID)
	return listIn(ctx, c, "list sites", sessionID, "Organization/Sites", opts.ListOptions, q, func(w *wireSite) Site {
		return Site{ID: w.ID, Name: w.Name, URL: w.URL}
	})
}

// ListTeams reads one page of the session's teams.
func (c *Client) ListTeams(ctx context.Context, sessionID string, opts ListTeamsOptions) (*Page[Team], error) {
	q := filterQuery("displayName", opts.DisplayName)
	return listIn(ctx, c, "list teams", sessionID, "organization/teams", opts.ListOptions, q, func(w *wireTeam) Team {
		return Team{ID: w.ID, DisplayName: w.DisplayName, Description: w.Description, GroupEmail: w.GroupEmail,
			Alias: w.Alias, Privacy: w.Privacy, IsArchived: w.IsArchived}
	})
}

// ListChannels reads one page of a team's channels.
func (c *Client) ListChannels(ctx context.Context, sessionID, teamID string, opts ListChannelsOptions) (*Page[Channel], error) {
	const op = "list channels"
	tseg, err := pathSegment(op, "team id", teamID)
	if err != nil {
		return nil, err
	}
	q := filterQuery("displayName", opts.DisplayName)
	return listIn(ctx, c, op, sessionID, "organization/teams/"+tseg+"/channels", opts.ListOptions, q, func(w *wireChannel) Channel {
		return Channel{ID: w.ID, DisplayName: w.DisplayName, TeamID: w.TeamID, Type: w.Type}
	})
}

// findPageLimit is the page size of the Find calls: large pages, few requests.
const findPageLimit = 500

// findAll pages through a collection with list and returns the items match
// accepts. It stops at maxPages pages or when a page is empty.
func findAll[T any](ctx context.Context, op string, list func(ListOptions) (*Page[T], error), match func(*T) bool) ([]T, error) {
	var found []T
	offset := 0
	for range maxPages {
		p, err := list(ListOptions{Offset: offset, Limit: findPageLimit})
		if err != nil {
			return nil, err
		}
		for i := range p.Results {
			if match(&p.Results[i]) {
				found = append(found, p.Results[i])
			}
		}
		if !p.HasNext || len(p.Results) == 0 {
			return found, nil
		}
		offset = p.Offset + len(p.Results)
	}
	return nil, &Error{Op: op, Err: fmt.Errorf("more than %d pages", maxPages)}
}

// one picks the single item of found, or says why there is none.
func one[T any](op, what, name string, found []T) (*T, error) {
	switch len(found) {
	case 0:
		return nil, refused(op, ErrItemNotFound, fmt.Sprintf("%s %q", what, name))
	case 1:
		return &found[0], nil
	}
	return nil, refused(op, ErrItemAmbiguous, fmt.Sprintf("%s %q (%d of them)", what, name, len(found)))
}

// FindMailbox finds the mailbox with this e-mail address (ignoring case).
// A user's archive mailbox has the same address: the primary mailbox is
// chosen unless archive is true.
func (c *Client) FindMailbox(ctx context.Context, sessionID, email string, archive bool) (*Mailbox, error) {
	const op = "find mailbox"
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: empty e-mail address", ErrInvalidArgument)}
	}
	found, err := findAll(ctx, op, func(o ListOptions) (*Page[Mailbox], error) { return c.ListMailboxes(ctx, sessionID, o) },
		func(m *Mailbox) bool { return strings.EqualFold(m.Email, email) && m.IsArchive == archive })
	if err != nil {
		return nil, err
	}
	return one(op, "mailbox", email, found)
}

// OneDriveURLSegment is the last path segment Microsoft 365 gives a user's
// OneDrive: the user principal name, lower case, with '@' and '.' replaced
// by '_' (adele.vance@abc.onmicrosoft.com: adele_vance_abc_onmicrosoft_com).
func OneDriveURLSegment(email string) string {
	return strings.NewReplacer("@", "_", ".", "_").Replace(strings.ToLower(strings.TrimSpace(email)))
}

// FindOneDrive finds the OneDrive of the user with this e-mail address: the
// one whose URL ends in /personal/{OneDriveURLSegment(email)}.
func (c *Client) FindOneDrive(ctx context.Context, sessionID, email string) (*OneDrive, error) {
	const op = "find OneDrive"
	if strings.TrimSpace(email) == "" {
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: empty e-mail address", ErrInvalidArgument)}
	}
	want := "/personal/" + OneDriveURLSegment(email)
	found, err := findAll(ctx, op, func(o ListOptions) (*Page[OneDrive], error) { return c.ListOneDrives(ctx, sessionID, o) },
		func(d *OneDrive) bool { return strings.HasSuffix(strings.ToLower(strings.TrimRight(d.URL, "/")), want) })
	if err != nil {
		return nil, err
	}
	return one(op, "OneDrive of", email, found)
}

// normalSiteURL compares site URLs: case and a trailing slash do not matter.
func normalSiteURL(u string) string {
	return strings.ToLower(strings.TrimRight(strings.TrimSpace(u), "/"))
}

// FindSite finds the site with this URL. Subsites are looked for under the
// sites whose URL is a prefix of it, so only the branch that can hold it is
// browsed.
func (c *Client) FindSite(ctx context.Context, sessionID, siteURL string) (*Site, error) {
	const op = "find site"
	want := normalSiteURL(siteURL)
	if want == "" {
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: empty site URL", ErrInvalidArgument)}
	}
	parent := ""
	for range maxPages {
		var exact, branch []Site
		found, err := findAll(ctx, op, func(o ListOptions) (*Page[Site], error) {
			return c.ListSites(ctx, sessionID, ListSitesOptions{ListOptions: o, ParentID: parent})
		}, func(s *Site) bool {
			u := normalSiteURL(s.URL)
			return u == want || strings.HasPrefix(want, u+"/")
		})
		if err != nil {
			return nil, err
		}
		for _, s := range found {
			if normalSiteURL(s.URL) == want {
				exact = append(exact, s)
			} else {
				branch = append(branch, s)
			}
		}
		if len(exact) > 0 || len(branch) == 0 {
			return one(op, "site", siteURL, exact)
		}
		// The longest prefix is the closest parent.
		best := branch[0]
		for _, s := range branch[1:] {
			if len(s.URL) > len(best.URL) {
				best = s
			}
		}
		if best.ID == parent {
			break
		}
		parent = best.ID
	}
	return nil, refused(op, ErrItemNotFound, fmt.Sprintf("site %q", siteURL))
}

// FindTeam finds the team with this display name (ignoring case). VB365's
// displayName filter narrows the list; the name must then match exactly.
func (c *Client) FindTeam(ctx context.Context, sessionID, displayName string) (*Team, error) {
	const op = "find team"
	name := strings.TrimSpace(displayName)
	if name == "" {
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: empty team name", ErrInvalidArgument)}
	}
	found, err := findAll(ctx, op, func(o ListOptions) (*Page[Team], error) {
		return c.ListTeams(ctx, sessionID, ListTeamsOptions{ListOptions: o, DisplayName: name})
	}, func(t *Team) bool { return strings.EqualFold(strings.TrimSpace(t.DisplayName), name) })
	if err != nil {
		return nil, err
	}
	return one(op, "team", name, found)
}

// FindChannel finds the channel of a team with this display name (ignoring case).
func (c *Client) FindChannel(ctx context.Context, sessionID, teamID, displayName string) (*Channel, error) {
	const op = "find channel"
	name := strings.TrimSpace(displayName)
	if name == "" {
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: empty channel name", ErrInvalidArgument)}
	}
	found, err := findAll(ctx, op, func(o ListOptions) (*Page[Channel], error) {
		return c.ListChannels(ctx, sessionID, teamID, ListChannelsOptions{ListOptions: o, DisplayName: name})
	}, func(ch *Channel) bool { return strings.EqualFold(strings.TrimSpace(ch.DisplayName), name) })
	if err != nil {
		return nil, err
	}
	return one(op, "channel", name, found)
}
