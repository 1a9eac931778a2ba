package vb365sim

import (
	"strings"

	"github.com/google/uuid"
)

// The built-in backup data of the built-in organization (abc.onmicrosoft.com)
// that restore sessions browse and restore: the same at every restore point.
// Other organizations' sessions hold no data.

// E-mail addresses, URLs and names of the built-in data.
const (
	MailboxAdele    = "adele.vance@abc.onmicrosoft.com"
	MailboxAlex     = "alex.wilber@abc.onmicrosoft.com"
	MailboxMegan    = "megan.bowen@abc.onmicrosoft.com"
	MailboxLynne    = "lynne.robbins@abc.onmicrosoft.com"
	MailboxRecovery = "recovery@abc.onmicrosoft.com"
	// MailboxFormer is backed up but no longer exists in Microsoft 365: a
	// restore to its original location fails (its OneDrive's too).
	MailboxFormer = "isaiah.langer@abc.onmicrosoft.com"

	SiteRoot      = "https://abc.sharepoint.com"
	SiteFinance   = "https://abc.sharepoint.com/sites/Finance"
	SitePayroll   = "https://abc.sharepoint.com/sites/Finance/Payroll" // a subsite of SiteFinance
	SiteMarketing = "https://abc.sharepoint.com/sites/Marketing"

	TeamFinance = "Finance"
	TeamMark8   = "Mark 8 Project Team"
	TeamSales   = "Sales and Marketing"
)

// Credentials the simulated Microsoft 365 organization accepts for restores
// (userName and userPassword, or applicationId with any certificate and
// RestoreCertificatePassword); any other value is refused as bad.
const (
	RestoreUserName            = "restore-admin@abc.onmicrosoft.com"
	RestorePassword            = "Restore-Pa55!"
	RestoreApplicationID       = "7a3f0c52-9d4e-4b1a-8c6f-2e5d1b0a9c83"
	RestoreCertificatePassword = "Cert-Pa55!"
)

type simMailbox struct {
	id, name, email string
	archive         bool
	items           int64
	gone            bool // deleted from Microsoft 365 since the backup
}

type simOneDrive struct {
	id, name, url string
	owner         string // the owner's e-mail
	items         int64
	gone          bool
}

type simSite struct {
	id, name, url string
	parent        string // parent site id; empty for top-level sites
	lists, webs   int64
}

type simTeam struct {
	id, name, description, email, alias, privacy string
	items                                        int64 // team-level items (members, settings, apps)
	channels                                     []*simChannel
}

type simChannel struct {
	id, name, typ string
	items         int64
}

// orgData is what one organization's backups hold.
type orgData struct {
	mailboxes []*simMailbox
	oneDrives []*simOneDrive
	sites     []*simSite
	teams     []*simTeam
}

// builtinData returns the data of an organization: the built-in set for the
// example organization (SeedOrganizationID), none for the others. IDs derive from the
// organization's id and the item's name, so they are the same in every run.
func builtinData(orgID string) *orgData {
	if orgID != SeedOrganizationID {
		return &orgData{}
	}
	ns := uuid.MustParse(orgID)
	id := func(kind, name string) string {
		return uuid.NewSHA1(ns, []byte(kind+":"+strings.ToLower(name))).String()
	}
	// Teams channel ids look like 19:{32 hex digits}@thread.tacv2.
	channelID := func(team, name string) string {
		return "19:" + strings.ReplaceAll(id("channel", team+"/"+name), "-", "") + "@thread.tacv2"
	}
	d := &orgData{}
	for _, m := range []struct {
		name, email string
		items       int64
		gone        bool
	}{
		{"Adele Vance", MailboxAdele, 120, false},
		{"Alex Wilber", MailboxAlex, 85, false},
		{"Megan Bowen", MailboxMegan, 64, false},
		{"Lynne Robbins", MailboxLynne, 140, false},
		{"Recovery", MailboxRecovery, 5, false},
		{"Isaiah Langer", MailboxFormer, 45, true},
	} {
		d.mailboxes = append(d.mailboxes, &simMailbox{id: id("mailbox", m.email), name: m.name, email: m.email, items: m.items, gone: m.gone})
		if m.email == MailboxAdele {
			d.mailboxes = append(d.mailboxes, &simMailbox{id: id("archive", m.email), name: "In-Place Archive - " + m.name,
				email: m.email, archive: true, items: 30})
		}
		if m.email != MailboxRecovery {
			d.oneDrives = append(d.oneDrives, &simOneDrive{id: id("onedrive", m.email), name: m.name, owner: m.email,
				url:   "https://abc-my.sharepoint.com/personal/" + strings.NewReplacer("@", "_", ".", "_").Replace(m.email),
				items: m.items / 2, gone: m.gone})
		}
	}
	finance := &simSite{id: id("site", SiteFinance), name: "Finance", url: SiteFinance, lists: 12, webs: 1}
	d.sites = []*simSite{
		{id: id("site", SiteRoot), name: "Communication site", url: SiteRoot, lists: 6, webs: 1},
		finance,
		{id: id("site", SitePayroll), name: "Payroll", url: SitePayroll, parent: finance.id, lists: 4, webs: 1},
		{id: id("site", SiteMarketing), name: "Marketing", url: SiteMarketing, lists: 8, webs: 1},
	}
	for _, t := range []struct {
		name, desc, alias, privacy string
		channels                   []string
	}{
		{TeamFinance, "Finance department", "Finance", "Private", []string{"General", "Quarterly Close", "Audit 2020"}},
		{TeamMark8, "Welcome to the team that's assembled to launch our product.", "Mark8ProjectTeam", "Public", []string{"General", "Research and Development", "Design"}},
		{TeamSales, "Sales and marketing", "SalesAndMarketing", "Public", []string{"General", "Monthly Reports"}},
	} {
		team := &simTeam{id: id("team", t.name), name: t.name, description: t.desc, alias: t.alias, privacy: t.privacy,
			email: t.alias + "@abc.onmicrosoft.com", items: 3}
		for i, ch := range t.channels {
			typ := "Standard"
			if ch == "Audit 2020" {
				typ = "Private"
			}
			team.channels = append(team.channels, &simChannel{id: channelID(t.name, ch), name: ch, typ: typ, items: int64(10 + 7*i)})
		}
		d.teams = append(d.teams, team)
	}
	return d
}

func (d *orgData) mailboxByEmail(email string) *simMailbox {
	for _, m := range d.mailboxes {
		if strings.EqualFold(m.email, strings.TrimSpace(email)) && !m.archive {
			return m
		}
	}
	return nil
}

func (d *orgData) siteByURL(u string) *simSite {
	for _, s := range d.sites {
		if strings.EqualFold(strings.TrimRight(s.url, "/"), strings.TrimRight(strings.TrimSpace(u), "/")) {
			return s
		}
	}
	return nil
}

// subsites returns the sites under s, at any depth.
func (d *orgData) subsites(s *simSite) []*simSite {
	var out []*simSite
	for _, c := range d.sites {
		if c.parent == s.id {
			out = append(out, c)
			out = append(out, d.subsites(c)...)
		}
	}
	return out
}
