package vb365

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/uuid"
)

// Restore calls inside a restore session. VB365 v8 answers them at once
// (RESTAsyncRestoreResponse) and goes on restoring: follow the restore with
// ListRestoreSessionEvents and GetRestoreStatistics. v6 and v7 answer only
// when the restore has ended, with its statistics in the body: these calls
// are then bounded by the caller's context alone, not by Config.Timeout.
//
// A restore is not idempotent and VB365 has no idempotency key. When a
// restore request may have reached VB365 but no answer came, the error
// wraps ErrRestoreOutcomeUnknown (IsRestoreOutcomeUnknown): the caller must
// find out whether it started before sending it again.

// ErrRestoreOutcomeUnknown is wrapped by the error of a restore request
// that may have reached VB365 without an answer coming back (the connection
// dropped or timed out after sending, or a gateway answered 502 or 504).
// The restore may be running: look for it (session events, statistics)
// before restoring again.
var ErrRestoreOutcomeUnknown = errors.New("the restore request may have reached VB365 but no answer came")

// IsRestoreOutcomeUnknown reports whether a restore call may have started a
// restore that its caller does not know of (ErrRestoreOutcomeUnknown).
func IsRestoreOutcomeUnknown(err error) bool { return errors.Is(err, ErrRestoreOutcomeUnknown) }

// Secret is a credential value. Its printed, logged and JSON forms are
// "[REDACTED]", so a Secret that ends up in a log line, an error or a
// payload by mistake shows nothing; Reveal gives the value to the one place
// that sends it.
type Secret struct{ value string }

// NewSecret wraps a credential value.
func NewSecret(s string) Secret { return Secret{value: s} }

// Reveal returns the value.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

const redacted = "[REDACTED]"

func (s Secret) String() string   { return redacted }
func (s Secret) GoString() string { return redacted }

// MarshalJSON writes "[REDACTED]": a Secret never leaves in JSON.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// RestoreCredentials are the Microsoft 365 credentials VB365 needs to write
// to the original location: a user name and password, or an Azure
// application id with its certificate (base64 of the PFX) and the
// certificate's password. ImpersonationAccountName is the account an
// application restores as, where VB365 documents one (mailboxes, sites,
// teams).
type RestoreCredentials struct {
	UserName                       string
	Password                       Secret
	ApplicationID                  string
	ApplicationCertificate         Secret
	ApplicationCertificatePassword Secret
	ImpersonationAccountName       string
}

// validate checks that the credentials are one complete kind.
func (rc *RestoreCredentials) validate() error {
	if rc == nil {
		return nil
	}
	user := rc.UserName != "" || !rc.Password.IsZero()
	app := rc.ApplicationID != "" || !rc.ApplicationCertificate.IsZero() || !rc.ApplicationCertificatePassword.IsZero()
	switch {
	case user && app:
		return errors.New("credentials: give a user name and password, or an application id and certificate, not both")
	case user && (rc.UserName == "" || rc.Password.IsZero()):
		return errors.New("credentials: a user name needs its password and a password its user name")
	case app && (rc.ApplicationID == "" || rc.ApplicationCertificate.IsZero()):
		return errors.New("credentials: an application needs its id and its certificate")
	case app:
		if _, err := uuid.Parse(rc.ApplicationID); err != nil {
			return fmt.Errorf("credentials: applicationId %q is not a UUID", rc.ApplicationID)
		}
	case !user && rc.ImpersonationAccountName != "":
		return errors.New("credentials: an impersonation account needs an application id and certificate")
	}
	return nil
}

func (rc *RestoreCredentials) secrets() []string {
	if rc == nil {
		return nil
	}
	return []string{rc.Password.Reveal(), rc.ApplicationCertificate.Reveal(), rc.ApplicationCertificatePassword.Reveal()}
}

// wireCredentials are the credential members most restore bodies share.
type wireCredentials struct {
	UserName                       string `json:"userName,omitempty"`
	UserPassword                   string `json:"userPassword,omitempty"`
	ApplicationID                  string `json:"applicationId,omitempty"`
	ApplicationCertificatePassword string `json:"applicationCertificatePassword,omitempty"`
	ApplicationCertificate         string `json:"applicationCertificate,omitempty"`
}

func (rc *RestoreCredentials) wire() wireCredentials {
	if rc == nil {
		return wireCredentials{}
	}
	return wireCredentials{
		UserName: rc.UserName, UserPassword: rc.Password.Reveal(), ApplicationID: rc.ApplicationID,
		ApplicationCertificatePassword: rc.ApplicationCertificatePassword.Reveal(), ApplicationCertificate: rc.ApplicationCertificate.Reveal(),
	}
}

func (rc *RestoreCredentials) impersonation() string {
	if rc == nil {
		return ""
	}
	return rc.ImpersonationAccountName
}

// DocumentAction is what a OneDrive restore to the original location does
// with a document that exists there (documentAction).
type DocumentAction string

// The document actions VB365 documents.
const (
	DocumentActionOverwrite DocumentAction = "Overwrite"
	DocumentActionKeep      DocumentAction = "Keep"
)

// DocumentVersion is which versions of documents a restore writes.
type DocumentVersion string

// The document versions VB365 documents.
const (
	DocumentVersionAll  DocumentVersion = "All"
	DocumentVersionLast DocumentVersion = "Last"
)

// DocumentLastVersionAction is what a restore of the last version does with
// a document that exists at the target.
type DocumentLastVersionAction string

// The last-version actions VB365 documents.
const (
	DocumentLastVersionOverwrite DocumentLastVersionAction = "Overwrite"
	DocumentLastVersionMerge     DocumentLastVersionAction = "Merge"
)

// OfficeRegion is the Microsoft 365 region of a target organization.
type OfficeRegion string

// The regions VB365 documents.
const (
	OfficeRegionWorldwide    OfficeRegion = "Worldwide"
	OfficeRegionGermany      OfficeRegion = "Germany"
	OfficeRegionChina        OfficeRegion = "China"
	OfficeRegionUSDefence    OfficeRegion = "USDefence"
	OfficeRegionUSGovernment OfficeRegion = "USGovernment"
)

// enumValue canonicalizes v to one of allowed (ignoring case); empty stays
// empty. field names the option in the error.
func enumValue[T ~string](field string, v T, allowed ...T) (T, error) {
	if v == "" {
		return v, nil
	}
	for _, a := range allowed {
		if strings.EqualFold(string(v), string(a)) {
			return a, nil
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return "", fmt.Errorf("%s %q is not one of %s", field, v, strings.Join(names, ", "))
}

func checkRegion(r OfficeRegion) (OfficeRegion, error) {
	return enumValue("officeRegion", r, OfficeRegionWorldwide, OfficeRegionGermany, OfficeRegionChina, OfficeRegionUSDefence, OfficeRegionUSGovernment)
}

func checkDocumentVersions(v DocumentVersion, a DocumentLastVersionAction) (DocumentVersion, DocumentLastVersionAction, error) {
	v, err := enumValue("documentVersion", v, DocumentVersionAll, DocumentVersionLast)
	if err != nil {
		return "", "", err
	}
	a, err = enumValue("documentLastVersionAction", a, DocumentLastVersionOverwrite, DocumentLastVersionMerge)
	return v, a, err
}

// checkDocumentsTo checks the document versions and the Office region of
// a restore of documents to another place; the first bad value is the error.
func checkDocumentsTo(v DocumentVersion, a DocumentLastVersionAction, r OfficeRegion) (DocumentVersion, DocumentLastVersionAction, OfficeRegion, error) {
	v, a, bad := checkDocumentVersions(v, a)
	r, err := checkRegion(r)
	if bad == nil {
		bad = err
	}
	return v, a, r, bad
}

// MailboxRestoreOptions restores a mailbox to its original location
// (RESTRestoreToOriginalLocation).
type MailboxRestoreOptions struct {
	Credentials *RestoreCredentials
}

// MailboxRestoreToOptions restores a mailbox to another mailbox or folder
// (RESTRestoreToDifferentLocation). Mailbox is the target's address.
type MailboxRestoreToOptions struct {
	Mailbox                    string
	Folder                     string
	CasServer                  string
	OfficeRegion               OfficeRegion
	OfficeOrganizationName     string
	ChangedItems               *bool
	DeletedItems               *bool
	MarkRestoredAsUnread       *bool
	ExcludeDrafts              *bool
	ExcludeDeletedItems        *bool
	ExcludeInPlaceHoldItems    *bool
	ExcludeLitigationHoldItems *bool
	Credentials                *RestoreCredentials
}

// BulkMailboxRestoreOptions restores several mailboxes to their original
// location at once (RestBulkRestoreOptions). The credentials' user name
// and password go as office365UserName and office365UserPassword.
type BulkMailboxRestoreOptions struct {
	Mailboxes                  []Mailbox
	CasServer                  string
	ChangedItems               *bool
	DeletedItems               *bool
	MarkRestoredAsUnread       *bool
	SkipUnresolved             *bool
	ExcludeDrafts              *bool
	ExcludeDeletedItems        *bool
	ExcludeInPlaceHoldItems    *bool
	ExcludeLitigationHoldItems *bool
	RecentItemRestorePeriod    *int32
	Credentials                *RestoreCredentials
}

// OneDriveRestoreOptions restores a OneDrive to its original location
// (RESTRestoreToOriginal).
type OneDriveRestoreOptions struct {
	DocumentAction   DocumentAction
	OfficeRegion     OfficeRegion
	OrganizationName string
	Credentials      *RestoreCredentials
}

// OneDriveCopyToOptions copies a OneDrive to another OneDrive or folder
// (RESTCopyToFolder). Target nil copies into the same OneDrive.
type OneDriveCopyToOptions struct {
	Target                      *OneDrive
	Folder                      string
	ChangedItems                *bool
	DeletedItems                *bool
	RestorePermissions          *bool
	SendSharedLinksNotification *bool
	DocumentVersion             DocumentVersion
	DocumentLastVersionAction   DocumentLastVersionAction
	OfficeRegion                OfficeRegion
	OrganizationName            string
	Credentials                 *RestoreCredentials
}

// SiteRestoreOptions restores a site to its original location
// (RESTRestoreSiteConfig).
type SiteRestoreOptions struct {
	Alias                       string
	RestoreListViews            *bool
	ChangedItems                *bool
	DeletedItems                *bool
	RestoreSubsites             *bool
	RestoreMasterPages          *bool
	RestorePermissions          *bool
	SendSharedLinksNotification *bool
	DocumentVersion             DocumentVersion
	DocumentLastVersionAction   DocumentLastVersionAction
	Credentials                 *RestoreCredentials
}

// SiteRestoreToOptions restores a site to another site (RESTRestoreToSiteConfig).
type SiteRestoreToOptions struct {
	SiteURL                     string
	Alias                       string
	RestoreListViews            *bool
	ChangedItems                *bool
	DeletedItems                *bool
	RestoreSubsites             *bool
	RestoreMasterPages          *bool
	SendSharedLinksNotification *bool
	DocumentVersion             DocumentVersion
	DocumentLastVersionAction   DocumentLastVersionAction
	OfficeRegion                OfficeRegion
	OrganizationName            string
	Credentials                 *RestoreCredentials
}

// TeamRestoreOptions restores a team (RESTRestoreTeamOptions; VB365
// requires all four choices).
type TeamRestoreOptions struct {
	RestoreChangedItems bool
	RestoreMissingItems bool
	RestoreMembers      bool
	RestoreSettings     bool
	Credentials         *RestoreCredentials
}

// ChannelRestoreOptions restores one channel of a team
// (RESTRestoreChannelOptions). RestoreMembers exists from v8 on.
type ChannelRestoreOptions struct {
	RestoreChangedItems bool
	RestoreMissingItems bool
	RestoreMembers      *bool
	Credentials         *RestoreCredentials
}

// RestoreResult is VB365's answer to a restore request.
type RestoreResult struct {
	// RestoreSessionID is v8's RESTAsyncRestoreResponse.sessionId, "the
	// restore session ID": the restore goes on in VB365. Empty on v6 and v7.
	RestoreSessionID string `json:"restoreSessionId,omitempty"`
	// Statistics is what v6 and v7 answer once the restore has ended; nil
	// on v8.
	Statistics *RestoreStatistics `json:"statistics,omitempty"`
}

// Done reports whether the answer came after the restore ended (v6, v7).
func (r *RestoreResult) Done() bool { return r != nil && r.Statistics != nil }

// RestoreStatistics are a restore's counts in one shape for every version:
// v8's RESTRestoreSessionStatistics, and v6/v7's per-workload bodies
// (mailbox items created or merged count as restored; OneDrive items
// skipped for an error or for no changes as skipped; site lists and webs as
// items).
type RestoreStatistics struct {
	Total    int64          `json:"total"`
	Restored int64          `json:"restored"`
	Failed   int64          `json:"failed"`
	Skipped  int64          `json:"skipped"`
	Warnings []string       `json:"warnings,omitempty"`
	Errors   []string       `json:"errors,omitempty"`
	Items    []RestoredItem `json:"items,omitempty"`
}

// RestoredItem is one object of a restore as VB365 reports it: a mailbox of
// a bulk restore, an item with an issue, or v8's per-item details.
type RestoredItem struct {
	Name     string   `json:"name,omitempty"`
	Type     string   `json:"type,omitempty"`
	Status   string   `json:"status,omitempty"`
	Path     string   `json:"path,omitempty"`
	Error    string   `json:"error,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// MailboxEmail and OneDriveURL name the mailbox or OneDrive v8's
	// details are about, beside Name.
	MailboxEmail string `json:"mailboxEmail,omitempty"`
	OneDriveURL  string `json:"oneDriveUrl,omitempty"`
	// Counts are the object's own item counts where VB365 gives them (v8's
	// details of a mailbox); nil where it does not.
	Counts *ItemCounts `json:"counts,omitempty"`
}

// ItemCounts are the item counts of one restored object.
type ItemCounts struct {
	Total    int64 `json:"total"`
	Restored int64 `json:"restored"`
	Failed   int64 `json:"failed"`
	Skipped  int64 `json:"skipped"`
}

// restoreCall is one restore request: where it goes, its body, the secrets
// in it, and how v6/v7 answers read.
type restoreCall struct {
	op      string
	sub     string // under /RestoreSessions/{id}/, as the documents spell it
	body    any
	creds   *RestoreCredentials
	decode  func([]byte) (*RestoreStatistics, error)
	minV8   []string // option names only v8 documents, when set
	invalid error    // a bad option found while building the body
}

func (c *Client) restore(ctx context.Context, sessionID string, rc restoreCall) (*RestoreResult, error) {
	op := rc.op
	seg, err := pathSegment(op, "restore session id", sessionID)
	if err != nil {
		return nil, err
	}
	if rc.invalid == nil {
		rc.invalid = rc.creds.validate()
	}
	if rc.invalid != nil {
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: %v", ErrInvalidArgument, rc.invalid)}
	}
	v, err := c.restoreVersion(ctx, op)
	if err != nil {
		return nil, err
	}
	if v != V8 && len(rc.minV8) > 0 {
		return nil, refused(op, ErrUnsupportedVersion, fmt.Sprintf("%s needs v8, the server speaks %s", strings.Join(rc.minV8, ", "), v))
	}
	data, err := json.Marshal(rc.body)
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	r := &request{op: op, method: http.MethodPost, path: "/" + string(v) + "/RestoreSessions/" + seg + "/" + rc.sub, body: data, contentType: "application/json"}
	if v != V8 {
		r.timeout = -1
	}
	resp, err := c.call(ctx, r)
	if err != nil {
		return nil, restoreError(r, redactSecrets(err, rc.creds.secrets()))
	}
	if v == V8 {
		var w struct {
			SessionID string `json:"sessionId"`
		}
		if err := json.Unmarshal(resp.body, &w); err != nil {
			return nil, decodeError(r, resp, err)
		}
		if w.SessionID == "" {
			return nil, decodeError(r, resp, errors.New("restore answer without sessionId"))
		}
		return &RestoreResult{RestoreSessionID: w.SessionID}, nil
	}
	st, err := rc.decode(resp.body)
	if err != nil {
		return nil, decodeError(r, resp, err)
	}
	return &RestoreResult{Statistics: st}, nil
}

// restoreError marks the error of a restore request whose fate is unknown:
// the request itself went out (the error names its path, not a login's) and
// no answer came, or a gateway answered 502 or 504 in VB365's place. A
// connection that was never made did not send anything.
func restoreError(r *request, err error) error {
	var e *Error
	if !errors.As(err, &e) || e.Path != r.path {
		return err
	}
	unknown := false
	switch e.StatusCode {
	case 0:
		var op *net.OpError
		unknown = !(errors.As(e.Err, &op) && op.Op == "dial") && !errors.Is(e.Err, ErrInvalidArgument)
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		unknown = true
	}
	if !unknown {
		return err
	}
	cp := *e
	if cp.Err != nil {
		cp.Err = fmt.Errorf("%w: %w", ErrRestoreOutcomeUnknown, cp.Err)
	} else {
		cp.Err = ErrRestoreOutcomeUnknown
	}
	return &cp
}

// redactSecrets removes the request's credential values from what VB365
// said, in case it echoes them.
func redactSecrets(err error, secrets []string) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	cp := *e
	for _, s := range secrets {
		if len(s) < 3 {
			continue
		}
		cp.Message = strings.ReplaceAll(cp.Message, s, redacted)
		cp.ErrorCode = strings.ReplaceAll(cp.ErrorCode, s, redacted)
	}
	return &cp
}

// RestoreMailbox restores a mailbox to its original location
// (organization/mailboxes/{mailboxId}/restore).
func (c *Client) RestoreMailbox(ctx context.Context, sessionID, mailboxID string, opts MailboxRestoreOptions) (*RestoreResult, error) {
	const op = "restore mailbox"
	seg, err := pathSegment(op, "mailbox id", mailboxID)
	if err != nil {
		return nil, err
	}
	body := struct {
		wireCredentials
		ImpersonationAccountName string `json:"impersonationAccountName,omitempty"`
	}{opts.Credentials.wire(), opts.Credentials.impersonation()}
	return c.restore(ctx, sessionID, restoreCall{op: op, sub: "organization/mailboxes/" + seg + "/restore", body: body,
		creds: opts.Credentials, decode: decodeFoldersStatistics})
}

// RestoreMailboxTo restores a mailbox to another mailbox or folder
// (organization/mailboxes/{mailboxId}/restoreTo).
func (c *Client) RestoreMailboxTo(ctx context.Context, sessionID, mailboxID string, opts MailboxRestoreToOptions) (*RestoreResult, error) {
	const op = "restore mailbox to another location"
	seg, err := pathSegment(op, "mailbox id", mailboxID)
	if err != nil {
		return nil, err
	}
	region, bad := checkRegion(opts.OfficeRegion)
	if bad == nil && strings.TrimSpace(opts.Mailbox) == "" {
		bad = errors.New("mailbox: the target mailbox is required")
	}
	body := struct {
		ChangedItems               *bool  `json:"changedItems,omitempty"`
		DeletedItems               *bool  `json:"deletedItems,omitempty"`
		MarkRestoredAsUnread       *bool  `json:"markRestoredAsUnread,omitempty"`
		ExcludeDrafts              *bool  `json:"excludeDrafts,omitempty"`
		ExcludeDeletedItems        *bool  `json:"excludeDeletedItems,omitempty"`
		ExcludeInPlaceHoldItems    *bool  `json:"excludeInPlaceHoldItems,omitempty"`
		ExcludeLitigationHoldItems *bool  `json:"excludeLitigationHoldItems,omitempty"`
		Mailbox                    string `json:"mailbox,omitempty"`
		CasServer                  string `json:"casServer,omitempty"`
		Folder                     string `json:"folder,omitempty"`
		OfficeRegion               string `json:"officeRegion,omitempty"`
		OfficeOrganizationName     string `json:"officeOrganizationName,omitempty"`
		wireCredentials
		ImpersonationAccountName string `json:"impersonationAccountName,omitempty"`
	}{opts.ChangedItems, opts.DeletedItems, opts.MarkRestoredAsUnread, opts.ExcludeDrafts, opts.ExcludeDeletedItems,
		opts.ExcludeInPlaceHoldItems, opts.ExcludeLitigationHoldItems, strings.TrimSpace(opts.Mailbox), opts.CasServer, opts.Folder,
		string(region), opts.OfficeOrganizationName, opts.Credentials.wire(), opts.Credentials.impersonation()}
	return c.restore(ctx, sessionID, restoreCall{op: op, sub: "organization/mailboxes/" + seg + "/restoreTo", body: body,
		creds: opts.Credentials, decode: decodeFoldersStatistics, invalid: bad})
}

// RestoreMailboxes restores several mailboxes to their original location
// in one request (organization/mailboxes/restore).
func (c *Client) RestoreMailboxes(ctx context.Context, sessionID string, opts BulkMailboxRestoreOptions) (*RestoreResult, error) {
	const op = "restore mailboxes"
	var bad error
	type wireBulkMailbox struct {
		ID        string `json:"id"`
		Name      string `json:"name,omitempty"`
		Email     string `json:"email,omitempty"`
		IsArchive bool   `json:"isArchive"`
		IsPublic  bool   `json:"isPublic"`
	}
	mbs := make([]wireBulkMailbox, 0, len(opts.Mailboxes))
	for i, m := range opts.Mailboxes {
		if _, err := uuid.Parse(m.ID); err != nil {
			bad = fmt.Errorf("mailboxes[%d].id %q is not a UUID", i, m.ID)
		}
		mbs = append(mbs, wireBulkMailbox(m)) // the same members; the wire's tags apply
	}
	if len(mbs) == 0 {
		bad = errors.New("mailboxes: at least one mailbox is required")
	}
	cr := opts.Credentials
	w := cr.wire()
	body := struct {
		CasServer                      string            `json:"casServer,omitempty"`
		Mailboxes                      []wireBulkMailbox `json:"mailboxes"`
		ChangedItems                   *bool             `json:"changedItems,omitempty"`
		DeletedItems                   *bool             `json:"deletedItems,omitempty"`
		MarkRestoredAsUnread           *bool             `json:"markRestoredAsUnread,omitempty"`
		SkipUnresolved                 *bool             `json:"skipUnresolved,omitempty"`
		ExcludeDrafts                  *bool             `json:"excludeDrafts,omitempty"`
		ExcludeDeletedItems            *bool             `json:"excludeDeletedItems,omitempty"`
		ExcludeInPlaceHoldItems        *bool             `json:"excludeInPlaceHoldItems,omitempty"`
		ExcludeLitigationHoldItems     *bool             `json:"excludeLitigationHoldItems,omitempty"`
		Office365UserName              string            `json:"office365UserName,omitempty"`
		ApplicationID                  string            `json:"applicationId,omitempty"`
		ApplicationCertificatePassword string            `json:"applicationCertificatePassword,omitempty"`
		ApplicationCertificate         string            `json:"applicationCertificate,omitempty"`
		ImpersonationAccountName       string            `json:"impersonationAccountName,omitempty"`
		Office365UserPassword          string            `json:"office365UserPassword,omitempty"`
		RecentItemRestorePeriod        *int32            `json:"recentItemRestorePeriod,omitempty"`
	}{opts.CasServer, mbs, opts.ChangedItems, opts.DeletedItems, opts.MarkRestoredAsUnread, opts.SkipUnresolved,
		opts.ExcludeDrafts, opts.ExcludeDeletedItems, opts.ExcludeInPlaceHoldItems, opts.ExcludeLitigationHoldItems,
		w.UserName, w.ApplicationID, w.ApplicationCertificatePassword, w.ApplicationCertificate, cr.impersonation(),
		w.UserPassword, opts.RecentItemRestorePeriod}
	return c.restore(ctx, sessionID, restoreCall{op: op, sub: "organization/mailboxes/restore", body: body,
		creds: cr, decode: decodeBulkStatistics, invalid: bad})
}

// RestoreOneDrive restores a OneDrive to its original location
// (Organization/OneDrives/{oneDriveId}/restore).
func (c *Client) RestoreOneDrive(ctx context.Context, sessionID, oneDriveID string, opts OneDriveRestoreOptions) (*RestoreResult, error) {
	const op = "restore OneDrive"
	seg, err := pathSegment(op, "OneDrive id", oneDriveID)
	if err != nil {
		return nil, err
	}
	action, bad := enumValue("documentAction", opts.DocumentAction, DocumentActionOverwrite, DocumentActionKeep)
	region, err := checkRegion(opts.OfficeRegion)
	if bad == nil {
		bad = err
	}
	body := struct {
		DocumentAction string `json:"documentAction,omitempty"`
		wireCredentials
		OfficeRegion     string `json:"officeRegion,omitempty"`
		OrganizationName string `json:"organizationName,omitempty"`
	}{string(action), opts.Credentials.wire(), string(region), opts.OrganizationName}
	if opts.Credentials.impersonation() != "" && bad == nil {
		bad = errors.New("credentials: VB365 takes no impersonation account for a OneDrive restore")
	}
	return c.restore(ctx, sessionID, restoreCall{op: op, sub: "Organization/OneDrives/" + seg + "/restore", body: body,
		creds: opts.Credentials, decode: decodeItemStatistics, invalid: bad})
}

// CopyOneDriveTo copies a OneDrive's data to another OneDrive or a folder
// (Organization/OneDrives/{oneDriveId}/copyTo).
func (c *Client) CopyOneDriveTo(ctx context.Context, sessionID, oneDriveID string, opts OneDriveCopyToOptions) (*RestoreResult, error) {
	const op = "copy OneDrive"
	seg, err := pathSegment(op, "OneDrive id", oneDriveID)
	if err != nil {
		return nil, err
	}
	ver, last, region, bad := checkDocumentsTo(opts.DocumentVersion, opts.DocumentLastVersionAction, opts.OfficeRegion)
	if opts.Credentials.impersonation() != "" && bad == nil {
		bad = errors.New("credentials: VB365 takes no impersonation account for a OneDrive copy")
	}
	var target *wireOneDrive
	if opts.Target != nil {
		target = &wireOneDrive{ID: opts.Target.ID, Name: opts.Target.Name, URL: opts.Target.URL}
	}
	body := struct {
		ChangedItems                *bool         `json:"changedItems,omitempty"`
		DeletedItems                *bool         `json:"deletedItems,omitempty"`
		RestorePermissions          *bool         `json:"restorePermissions,omitempty"`
		SendSharedLinksNotification *bool         `json:"sendSharedLinksNotification,omitempty"`
		OneDrive                    *wireOneDrive `json:"onedrive,omitempty"`
		Folder                      string        `json:"folder,omitempty"`
		DocumentVersion             string        `json:"documentVersion,omitempty"`
		DocumentLastVersionAction   string        `json:"documentLastVersionAction,omitempty"`
		wireCredentials
		OfficeRegion     string `json:"officeRegion,omitempty"`
		OrganizationName string `json:"organizationName,omitempty"`
	}{opts.ChangedItems, opts.DeletedItems, opts.RestorePermissions, opts.SendSharedLinksNotification, target, opts.Folder,
		string(ver), string(last), opts.Credentials.wire(), string(region), opts.OrganizationName}
	return c.restore(ctx, sessionID, restoreCall{op: op, sub: "Organization/OneDrives/" + seg + "/copyTo", body: body,
		creds: opts.Credentials, decode: decodeItemStatistics, invalid: bad})
}

// RestoreSite restores a SharePoint site to its original location
// (Organization/Sites/{siteId}/restore).
func (c *Client) RestoreSite(ctx context.Context, sessionID, siteID string, opts SiteRestoreOptions) (*RestoreResult, error) {
	const op = "restore site"
	seg, err := pathSegment(op, "site id", siteID)
	if err != nil {
		return nil, err
	}
	ver, last, bad := checkDocumentVersions(opts.DocumentVersion, opts.DocumentLastVersionAction)
	body := struct {
		ImpersonationAccountName    string `json:"impersonationAccountName,omitempty"`
		Alias                       string `json:"alias,omitempty"`
		RestoreListViews            *bool  `json:"restoreListViews,omitempty"`
		ChangedItems                *bool  `json:"changedItems,omitempty"`
		DeletedItems                *bool  `json:"deletedItems,omitempty"`
		RestoreSubsites             *bool  `json:"restoreSubsites,omitempty"`
		RestoreMasterPages          *bool  `json:"restoreMasterPages,omitempty"`
		RestorePermissions          *bool  `json:"restorePermissions,omitempty"`
		SendSharedLinksNotification *bool  `json:"sendSharedLinksNotification,omitempty"`
		DocumentVersion             string `json:"documentVersion,omitempty"`
		DocumentLastVersionAction   string `json:"documentLastVersionAction,omitempty"`
		wireCredentials
	}{opts.Credentials.impersonation(), opts.Alias, opts.RestoreListViews, opts.ChangedItems, opts.DeletedItems, opts.RestoreSubsites,
		opts.RestoreMasterPages, opts.RestorePermissions, opts.SendSharedLinksNotification, string(ver), string(last), opts.Credentials.wire()}
	return c.restore(ctx, sessionID, restoreCall{op: op, sub: "Organization/Sites/" + seg + "/restore", body: body,
		creds: opts.Credentials, decode: decodeWebStatistics, invalid: bad})
}

// RestoreSiteTo restores a SharePoint site to another site
// (Organization/Sites/{siteId}/restoreTo).
func (c *Client) RestoreSiteTo(ctx context.Context, sessionID, siteID string, opts SiteRestoreToOptions) (*RestoreResult, error) {
	const op = "restore site to another location"
	seg, err := pathSegment(op, "site id", siteID)
	if err != nil {
		return nil, err
	}
	ver, last, region, bad := checkDocumentsTo(opts.DocumentVersion, opts.DocumentLastVersionAction, opts.OfficeRegion)
	if bad == nil && strings.TrimSpace(opts.SiteURL) == "" {
		bad = errors.New("siteURL: the target site is required")
	}
	body := struct {
		ImpersonationAccountName    string `json:"impersonationAccountName,omitempty"`
		Alias                       string `json:"alias,omitempty"`
		RestoreListViews            *bool  `json:"restoreListViews,omitempty"`
		ChangedItems                *bool  `json:"changedItems,omitempty"`
		DeletedItems                *bool  `json:"deletedItems,omitempty"`
		RestoreSubsites             *bool  `json:"restoreSubsites,omitempty"`
		RestoreMasterPages          *bool  `json:"restoreMasterPages,omitempty"`
		SendSharedLinksNotification *bool  `json:"sendSharedLinksNotification,omitempty"`
		DocumentVersion             string `json:"documentVersion,omitempty"`
		DocumentLastVersionAction   string `json:"documentLastVersionAction,omitempty"`
		SiteURL                     string `json:"siteURL,omitempty"`
		wireCredentials
		OfficeRegion     string `json:"officeRegion,omitempty"`
		OrganizationName string `json:"organizationName,omitempty"`
	}{opts.Credentials.impersonation(), opts.Alias, opts.RestoreListViews, opts.ChangedItems, opts.DeletedItems, opts.RestoreSubsites,
		opts.RestoreMasterPages, opts.SendSharedLinksNotification, string(ver), string(last), strings.TrimSpace(opts.SiteURL),
		opts.Credentials.wire(), string(region), opts.OrganizationName}
	return c.restore(ctx, sessionID, restoreCall{op: op, sub: "Organization/Sites/" + seg + "/restoreTo", body: body,
		creds: opts.Credentials, decode: decodeWebStatistics, invalid: bad})
}

// RestoreTeam restores a team to its original location
// (organization/teams/{teamId}/restore).
func (c *Client) RestoreTeam(ctx context.Context, sessionID, teamID string, opts TeamRestoreOptions) (*RestoreResult, error) {
	const op = "restore team"
	seg, err := pathSegment(op, "team id", teamID)
	if err != nil {
		return nil, err
	}
	body := struct {
		RestoreChangedItems      bool   `json:"restoreChangedItems"`
		RestoreMissingItems      bool   `json:"restoreMissingItems"`
		RestoreMembers           bool   `json:"restoreMembers"`
		RestoreSettings          bool   `json:"restoreSettings"`
		ImpersonationAccountName string `json:"impersonationAccountName,omitempty"`
		wireCredentials
	}{opts.RestoreChangedItems, opts.RestoreMissingItems, opts.RestoreMembers, opts.RestoreSettings,
		opts.Credentials.impersonation(), opts.Credentials.wire()}
	var bad error
	if !opts.RestoreChangedItems && !opts.RestoreMissingItems && !opts.RestoreMembers && !opts.RestoreSettings {
		bad = errors.New("restoreChangedItems, restoreMissingItems, restoreMembers, restoreSettings: at least one must be true")
	}
	return c.restore(ctx, sessionID, restoreCall{op: op, sub: "organization/teams/" + seg + "/restore", body: body,
		creds: opts.Credentials, decode: decodeTeamsStatistics, invalid: bad})
}

// RestoreChannel restores one channel of a team to its original location
// (organization/teams/{teamId}/channels/{channelId}/restore).
func (c *Client) RestoreChannel(ctx context.Context, sessionID, teamID, channelID string, opts ChannelRestoreOptions) (*RestoreResult, error) {
	const op = "restore channel"
	tseg, err := pathSegment(op, "team id", teamID)
	if err != nil {
		return nil, err
	}
	cseg, err := pathSegment(op, "channel id", channelID)
	if err != nil {
		return nil, err
	}
	body := struct {
		RestoreChangedItems bool  `json:"restoreChangedItems"`
		RestoreMissingItems bool  `json:"restoreMissingItems"`
		RestoreMembers      *bool `json:"restoreMembers,omitempty"`
		wireCredentials
	}{opts.RestoreChangedItems, opts.RestoreMissingItems, opts.RestoreMembers, opts.Credentials.wire()}
	rc := restoreCall{op: op, sub: "organization/teams/" + tseg + "/channels/" + cseg + "/restore", body: body,
		creds: opts.Credentials, decode: decodeTeamsStatistics}
	if opts.RestoreMembers != nil {
		rc.minV8 = []string{"restoreMembers"}
	}
	if !opts.RestoreChangedItems && !opts.RestoreMissingItems && (opts.RestoreMembers == nil || !*opts.RestoreMembers) {
		rc.invalid = errors.New("restoreChangedItems, restoreMissingItems: at least one must be true")
	}
	if opts.Credentials.impersonation() != "" && rc.invalid == nil {
		rc.invalid = errors.New("credentials: VB365 takes no impersonation account for a channel restore")
	}
	return c.restore(ctx, sessionID, rc)
}

// GetRestoreStatistics reads a restore session's statistics
// (/RestoreSessions/{id}/Statistics, v8 only).
func (c *Client) GetRestoreStatistics(ctx context.Context, sessionID string) (*RestoreStatistics, error) {
	const op = "get restore statistics"
	seg, err := pathSegment(op, "restore session id", sessionID)
	if err != nil {
		return nil, err
	}
	v, err := c.versionOf(ctx, op)
	if err != nil {
		return nil, err
	}
	if v != V8 {
		return nil, refused(op, ErrUnsupportedVersion, "restore statistics need v8, the server speaks "+string(v))
	}
	r := &request{op: op, method: http.MethodGet, path: "/v8/RestoreSessions/" + seg + "/Statistics"}
	resp, err := c.call(ctx, r)
	if err != nil {
		return nil, err
	}
	st, err := decodeSessionStatistics(resp.body)
	if err != nil {
		return nil, decodeError(r, resp, err)
	}
	return st, nil
}
