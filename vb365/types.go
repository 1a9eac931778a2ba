package vb365

import (
	"fmt"
	"strings"
	"time"
)

// Version is a VB365 REST API version, the first segment of every path.
type Version string

// The API versions this client speaks. VersionAuto asks the client to find the
// highest version the server serves.
const (
	VersionAuto Version = "auto"
	V5          Version = "v5"
	V6          Version = "v6"
	V7          Version = "v7"
	V8          Version = "v8"
)

// SupportedVersions lists the concrete versions, newest first: the order in
// which auto-detection probes them.
var SupportedVersions = []Version{V8, V7, V6, V5}

// ParseVersion reads a version setting ("auto", "v5".."v8", any case).
func ParseVersion(s string) (Version, error) {
	v := Version(strings.ToLower(strings.TrimSpace(s)))
	if v == "" || v == VersionAuto {
		return VersionAuto, nil
	}
	for _, known := range SupportedVersions {
		if v == known {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown VB365 API version %q: want auto, v5, v6, v7 or v8", s)
}

// SessionType is the kind of restore session (which Veeam Explorer it serves).
// Values are the response spelling; requests are lower-cased for v5.
type SessionType string

// Restore session types.
const (
	SessionTypeExchange   SessionType = "Vex"
	SessionTypeSharePoint SessionType = "Vesp"
	SessionTypeOneDrive   SessionType = "Veod"
	SessionTypeTeams      SessionType = "Vet"
)

// ParseSessionType accepts vex|vesp|veod|vet in any case, or the workload
// names exchange|sharepoint|onedrive|teams.
func ParseSessionType(s string) (SessionType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "vex", "exchange":
		return SessionTypeExchange, nil
	case "vesp", "sharepoint":
		return SessionTypeSharePoint, nil
	case "veod", "onedrive":
		return SessionTypeOneDrive, nil
	case "vet", "teams":
		return SessionTypeTeams, nil
	}
	return "", fmt.Errorf("unknown restore session type %q: want vex, vesp, veod, vet (or exchange, sharepoint, onedrive, teams)", s)
}

// Workload is the type as operators say it: Exchange, SharePoint, OneDrive
// or Teams (the word VB365 puts in session names).
func (t SessionType) Workload() string {
	switch t {
	case SessionTypeExchange:
		return "Exchange"
	case SessionTypeSharePoint:
		return "SharePoint"
	case SessionTypeOneDrive:
		return "OneDrive"
	case SessionTypeTeams:
		return "Teams"
	}
	return string(t)
}

// Session states and results as VB365 reports them. Unknown values are kept
// as they come: judge completion by State == SessionStateStopped only.
const (
	SessionStateWorking = "Working"
	SessionStateStopped = "Stopped"
)

// Organization is a backed-up Microsoft 365 organization with its backup window.
type Organization struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	OfficeName string `json:"officeName,omitempty"`
	Type       string `json:"type,omitempty"`
	IsBackedUp bool   `json:"isBackedup"`
	// FirstBackupTime and LastBackupTime bound the points in time a restore
	// session can open; nil when the organization was never backed up.
	FirstBackupTime *time.Time `json:"firstBackuptime,omitempty"`
	LastBackupTime  *time.Time `json:"lastBackuptime,omitempty"`
}

// ExploreRequest starts a restore session for an organization.
type ExploreRequest struct {
	// DateTime is the point in time to open; it is sent in UTC.
	DateTime        time.Time
	Type            SessionType
	ShowDeleted     bool
	ShowAllVersions bool
}

// RestoreSession is a VB365 restore session.
type RestoreSession struct {
	ID string `json:"id"`
	// Name carries the restore point VB365 opened, for example
	// "Teams restore (Entire organization - 10/30/2020 10:29:05 AM)".
	Name         string     `json:"name,omitempty"`
	Organization string     `json:"organization,omitempty"` // the organization's name, not its id
	Type         string     `json:"type"`
	CreationTime time.Time  `json:"creationTime"`
	EndTime      *time.Time `json:"endTime,omitempty"`
	State        string     `json:"state"`
	Result       string     `json:"result"`
	InitiatedBy  string     `json:"initiatedBy,omitempty"`
	Details      string     `json:"details,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	ClientHost   string     `json:"clientHost,omitempty"`
}

// Stopped reports whether the session has ended.
func (s *RestoreSession) Stopped() bool { return s != nil && s.State == SessionStateStopped }

// RestoreSessionEvent is one action inside a restore session (a view, a
// restore, a save...). Order is its place in the session as VB365 numbers
// it: VB365 opens a session with order 0 ("Restore session started"), older
// examples start at 1, and nothing promises the numbering has no gaps or
// that a list comes in that order; read events by Order, not by position.
type RestoreSessionEvent struct {
	ID            string     `json:"id"`
	Order         int32      `json:"order"`
	Type          string     `json:"type,omitempty"`
	Status        string     `json:"status"`
	Title         string     `json:"title,omitempty"`
	Message       string     `json:"message"`
	StartTime     time.Time  `json:"startTime"`
	EndTime       *time.Time `json:"endTime,omitempty"`
	Duration      string     `json:"duration,omitempty"` // a .NET TimeSpan string, kept as sent
	ItemName      string     `json:"itemName,omitempty"`
	ItemType      string     `json:"itemType,omitempty"`
	ItemSizeBytes int64      `json:"itemSizeBytes,omitempty"`
	Source        string     `json:"source,omitempty"`
	Target        string     `json:"target,omitempty"`
}

// Page is one page of a paged collection.
type Page[T any] struct {
	Offset  int
	Limit   int
	SetID   string
	Results []T
	// HasNext is true when the server announced a next page.
	HasNext bool
}

// ListOptions pages through a collection. Zero values use the server's defaults.
type ListOptions struct {
	Offset int
	Limit  int
}

// ListRestoreSessionsOptions filters the restore sessions collection.
type ListRestoreSessionsOptions struct {
	ListOptions
	StartTimeFrom *time.Time
	StartTimeTo   *time.Time
	// OrderBy and OrderAsc ask for an order: v8's orderBy and orderAsc,
	// sent only when OrderBy is set and only to v8 (v8 lists newest first
	// by default). v5 to v7 have no order parameters; their order is the
	// server's own, and not promised to hold from one page to the next.
	OrderBy  SessionOrder
	OrderAsc bool
}

// SessionOrder is what v8 can sort restore sessions by.
type SessionOrder string

// The orders v8 documents.
const (
	OrderByCreationTime SessionOrder = "CreationTime"
	OrderByEndTime      SessionOrder = "EndTime"
)
