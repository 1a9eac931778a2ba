package vb365sim

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
)

// Restores inside a restore session. A restore is decided when it is asked
// for (what will be restored, what fails) and then takes time: each object
// (a mailbox, a OneDrive, a site, a team, a channel) gets one Restore event
// that is Running for DefaultRestoreItemDuration (or
// RestoreBehaviour.ItemDuration) per item, then ends Success, Warning or
// Failed. v8 answers at once with the session's id (RESTAsyncRestoreResponse);
// v6 and v7 answer when every object has ended, with the statistics their
// documents give. Statistics (v8) counts the restores' items.

// DefaultRestoreItemDuration is how long restoring one item takes.
const DefaultRestoreItemDuration = 20 * time.Millisecond

// RestoreBehaviour holds the switches of restores. Fields are optional:
// SetRestoreBehaviour changes only those it sets.
type RestoreBehaviour struct {
	// ItemDuration is how long restoring one item takes (default
	// DefaultRestoreItemDuration).
	ItemDuration *Duration `json:"itemDuration,omitempty"`
	// Throttled makes Microsoft 365 throttle the restores: about a tenth
	// of each object's items are restored after retries (a warning), a
	// fiftieth (at least one from 20 items on) fail.
	Throttled *bool `json:"throttled,omitempty"`
}

// restoreState is the simulator's restore data and history, under s.mu.
type restoreState struct {
	data         map[string]*orgData // by organization id, built on first use
	ops          []*restoreOp
	itemDuration time.Duration
	throttled    bool
}

// SetRestoreBehaviour changes the restore switches b sets.
func (s *Simulator) SetRestoreBehaviour(b RestoreBehaviour) error {
	if b.ItemDuration != nil && *b.ItemDuration < 0 {
		return fmt.Errorf("restore behaviour: itemDuration %s is negative", b.ItemDuration.D())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.ItemDuration != nil {
		s.restores.itemDuration = b.ItemDuration.D()
	}
	if b.Throttled != nil {
		s.restores.throttled = *b.Throttled
	}
	return nil
}

// restoreOp is one restore request that VB365 accepted.
type restoreOp struct {
	sessionID string
	kind      string
	version   string
	started   time.Time
	items     []*restoreItem
}

// restoreItem is one object of a restore and its decided outcome.
type restoreItem struct {
	ev                               *event
	name, target                     string
	itemType                         string // RESTRestoreItemType
	detailsType                      string // RESTItemRestoreDetailsType
	mailbox                          *simMailbox
	oneDrive                         *simOneDrive
	total, restored, failed, skipped int64
	lists, webs                      int64 // sites: the items are lists and webs
	warnings                         []string
	err                              string
	status                           string // Success, Warning or Failed
}

// RestoreView is a restore as the simulator saw it (Restores).
type RestoreView struct {
	SessionID  string            `json:"sessionId"`
	Kind       string            `json:"kind"` // mailbox, mailboxTo, mailboxes, oneDrive, oneDriveCopyTo, site, siteTo, team, channel
	APIVersion string            `json:"apiVersion"`
	Started    time.Time         `json:"started"`
	Items      []RestoreItemView `json:"items"`
}

// RestoreItemView is one object of a restore: the status of its event now
// (Running, then Success, Warning or Failed; Cancelled if the session
// stopped first) and the counts decided when the restore was asked for.
type RestoreItemView struct {
	Name     string `json:"name"`
	Target   string `json:"target"`
	Status   string `json:"status"`
	Total    int64  `json:"total"`
	Restored int64  `json:"restored"`
	Failed   int64  `json:"failed"`
	Skipped  int64  `json:"skipped"`
	Error    string `json:"error,omitempty"`
}

// Restores returns every restore ever accepted, oldest first.
func (s *Simulator) Restores() []RestoreView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RestoreView, 0, len(s.restores.ops))
	now := s.now()
	for _, op := range s.restores.ops {
		v := RestoreView{SessionID: op.sessionID, Kind: op.kind, APIVersion: op.version, Started: op.started}
		sess := s.sessions[op.sessionID]
		s.advance(sess, now)
		for _, it := range op.items {
			status, _, _ := it.ev.view(sess, now)
			v.Items = append(v.Items, RestoreItemView{Name: it.name, Target: it.target, Status: status, Total: it.total,
				Restored: it.restored, Failed: it.failed, Skipped: it.skipped, Error: it.err})
		}
		out = append(out, v)
	}
	return out
}

// restoreBody holds every member of the restore bodies; encoding/json
// matches names ignoring case.
type restoreBody struct {
	UserName                       *string `json:"userName"`
	UserPassword                   *string `json:"userPassword"`
	ApplicationID                  *string `json:"applicationId"`
	ApplicationCertificate         *string `json:"applicationCertificate"`
	ApplicationCertificatePassword *string `json:"applicationCertificatePassword"`
	Office365UserName              *string `json:"office365UserName"`
	Office365UserPassword          *string `json:"office365UserPassword"`
	UserCode                       *string `json:"userCode"`
	Mailbox                        *string `json:"mailbox"`
	Folder                         *string `json:"folder"`
	OfficeOrganizationName         *string `json:"officeOrganizationName"`
	Mailboxes                      []struct {
		ID string `json:"id"`
	} `json:"mailboxes"`
	SkipUnresolved *bool   `json:"skipUnresolved"`
	DocumentAction *string `json:"documentAction"`
	OneDrive       *struct {
		ID string `json:"id"`
	} `json:"onedrive"`
	SiteURL                   *string `json:"siteURL"`
	RestoreSubsites           *bool   `json:"restoreSubsites"`
	RestoreChangedItems       *bool   `json:"restoreChangedItems"`
	RestoreMissingItems       *bool   `json:"restoreMissingItems"`
	RestoreMembers            *bool   `json:"restoreMembers"`
	RestoreSettings           *bool   `json:"restoreSettings"`
	DocumentVersion           *string `json:"documentVersion"`
	DocumentLastVersionAction *string `json:"documentLastVersionAction"`
	OfficeRegion              *string `json:"officeRegion"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// checkEnums refuses values outside the documents' enums.
func (b *restoreBody) checkEnums(c *call) (response, bool) {
	for _, f := range []struct {
		name    string
		v       *string
		allowed []string
	}{
		{"documentAction", b.DocumentAction, []string{"Overwrite", "Keep"}},
		{"documentVersion", b.DocumentVersion, []string{"All", "Last"}},
		{"documentLastVersionAction", b.DocumentLastVersionAction, []string{"Overwrite", "Merge"}},
		{"officeRegion", b.OfficeRegion, []string{"Worldwide", "Germany", "China", "USDefence", "USGovernment"}},
	} {
		if f.v != nil && canonical(f.allowed, *f.v) == "" {
			return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure",
				"The value '"+*f.v+"' is not valid for "+f.name+": use one of "+strings.Join(f.allowed, ", ")+"."), false
		}
	}
	return response{}, true
}

// checkCredentials is Microsoft 365 judging the restore's credentials:
// the RestoreUserName and RestorePassword pair, or RestoreApplicationID
// with a certificate and RestoreCertificatePassword. None at all, or a
// device code, is refused too: the simulator has no one to enter it.
func (s *Simulator) checkCredentials(c *call, sess *session, b *restoreBody) (response, bool) {
	user, pw := str(b.UserName), str(b.UserPassword)
	if user == "" && pw == "" {
		user, pw = str(b.Office365UserName), str(b.Office365UserPassword)
	}
	app, cert, certPw := str(b.ApplicationID), str(b.ApplicationCertificate), str(b.ApplicationCertificatePassword)
	switch {
	case user == "" && pw == "" && app == "" && cert == "":
		return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure",
			"Credentials to connect to Microsoft 365 are required: specify userName and userPassword, or applicationId and applicationCertificate."), false
	case user != "" || pw != "":
		if strings.EqualFold(user, RestoreUserName) && pw == RestorePassword {
			return response{}, true
		}
	default:
		if strings.EqualFold(app, RestoreApplicationID) && cert != "" && certPw == RestoreCertificatePassword {
			return response{}, true
		}
	}
	s.log.Info("restore refused: bad Microsoft 365 credentials", zap.String("sessionId", sess.id))
	return errorResponse(c.vn, http.StatusBadRequest, "ResourceAccessDenied",
		"Failed to connect to Microsoft 365 organization "+sess.org.name+": the credentials were refused (AADSTS50126: Error validating credentials due to invalid username or password)."), false
}

// startRestore checks what every restore needs (a running session of the
// right type, a body, valid enums, accepted credentials).
func (s *Simulator) startRestore(c *call, typ string) (*session, *orgData, *restoreBody, response, bool) {
	sess, d, resp, ok := s.browseSession(c, typ)
	if !ok {
		return nil, nil, nil, resp, false
	}
	if sess.stopped {
		return nil, nil, nil, errorResponse(c.vn, http.StatusConflict, "OperationConflict",
			"Restore session "+sess.id+" is stopped: start a new restore session."), false
	}
	var b restoreBody
	if resp, ok := c.decodeJSON(&b); !ok {
		return nil, nil, nil, resp, false
	}
	if resp, ok := b.checkEnums(c); !ok {
		return nil, nil, nil, resp, false
	}
	if resp, ok := s.checkCredentials(c, sess, &b); !ok {
		return nil, nil, nil, resp, false
	}
	return sess, d, &b, response{}, true
}

// decide fills in an item's outcome: all restored, or all failed with
// reason when it is not empty, or throttled when Microsoft 365 throttles.
// restoreFind starts a restore of the component typ (startRestore) and
// finds the object the path names: the start of every restore handler of
// one object.
func restoreFind[T any](s *Simulator, c *call, typ string, find func(*Simulator, *call, *orgData) (T, response, bool)) (*session, *orgData, *restoreBody, T, response, bool) {
	var zero T
	sess, d, b, resp, ok := s.startRestore(c, typ)
	if !ok {
		return nil, nil, nil, zero, resp, false
	}
	x, resp, ok := find(s, c, d)
	if !ok {
		return nil, nil, nil, zero, resp, false
	}
	return sess, d, b, x, response{}, true
}

// restoreOne decides the one item of a restore (a reason makes it fail),
// begins the operation kind and answers with the statistics body.
func (s *Simulator) restoreOne(c *call, sess *session, kind string, it *restoreItem, reason string, body func() any) response {
	s.decide(it, reason)
	op := s.begin(c, sess, kind, []*restoreItem{it})
	return s.answer(c, sess, op, body)
}

func (s *Simulator) decide(it *restoreItem, reason string) {
	switch {
	case reason != "":
		it.failed, it.err, it.status = it.total, reason, "Failed"
	case s.restores.throttled && it.total > 0:
		warned := max(1, it.total/10)
		if it.total >= 20 {
			it.failed = max(1, it.total/50)
		}
		it.restored = it.total - it.failed
		it.status = "Warning"
		it.warnings = []string{fmt.Sprintf("Microsoft 365 throttled the restore of %s (HTTP 429 Too Many Requests): %d items were restored after retries.", it.name, warned)}
		if it.failed > 0 {
			it.err = fmt.Sprintf("%d items of %s were not restored: Microsoft 365 kept throttling the requests (HTTP 429 Too Many Requests) after 5 retries.", it.failed, it.name)
		}
	default:
		it.restored, it.status = it.total, "Success"
	}
}

// message is the text of an item's event once it has ended.
func (it *restoreItem) message() string {
	if it.status == "Failed" {
		return it.err
	}
	m := fmt.Sprintf("Restored %s to %s: %d of %d items restored", it.name, it.target, it.restored, it.total)
	if it.failed > 0 {
		m += fmt.Sprintf(", %d failed", it.failed)
	}
	return m + "."
}

// begin records an accepted restore and writes its events: one per item,
// Running from now for the item's duration, then its status.
func (s *Simulator) begin(c *call, sess *session, kind string, items []*restoreItem) *restoreOp {
	now := s.now()
	op := &restoreOp{sessionID: sess.id, kind: kind, version: c.ver, started: now, items: items}
	for _, it := range items {
		e := sess.newEvent(now)
		e.duration = max(s.durationOf(it.total), time.Millisecond)
		e.typ, e.status = "Restore", it.status
		e.title = "Restore " + strings.ToLower(typeWords[sess.typ]) + " data"
		e.message = it.message()
		e.itemName, e.itemType = it.name, itemTypeWords[it.itemType]
		e.source, e.target = sess.org.name, it.target
		e.restore = it
		it.ev = e
	}
	// A running restore is use of the session: the idle timeout counts
	// from its end.
	for _, it := range items {
		if end := now.Add(it.ev.duration); end.After(sess.lastTouch) {
			sess.lastTouch = end
		}
	}
	s.noteChange(sess, now)
	s.restores.ops = append(s.restores.ops, op)
	s.log.Info("restore started", zap.String("sessionId", sess.id), zap.String("kind", kind), zap.Int("items", len(items)), zap.String("version", c.ver))
	return op
}

var itemTypeWords = map[string]string{"ExchangeMailbox": "Mailbox", "OneDriveItem": "OneDrive", "SharePointSite": "Site", "TeamsTeam": "Team", "TeamsChannel": "Channel"}

// answer is the restore's response: v8 at once; v6 and v7 when every item
// has ended, with body's statistics. An item still running when the answer
// goes (the simulator's waits may be skipped in tests) ends then.
func (s *Simulator) answer(c *call, sess *session, op *restoreOp, body func() any) response {
	if c.vn >= 8 {
		return jsonResponse(http.StatusOK, struct {
			SessionID string `json:"sessionId"`
		}{sess.id})
	}
	var wait time.Duration
	for _, it := range op.items {
		wait = max(wait, it.ev.duration)
	}
	return response{wait: wait, then: func() response {
		s.mu.Lock()
		defer s.mu.Unlock()
		now := s.now()
		s.advance(sess, now)
		for _, it := range op.items {
			st, _, _ := it.ev.view(sess, now)
			switch st {
			case "Running":
				it.ev.duration = now.Sub(it.ev.start)
			case "Cancelled":
				return errorResponse(c.vn, http.StatusInternalServerError, "OperationConflict", "The restore was canceled: restore session "+sess.id+" was stopped.")
			}
		}
		return jsonResponse(http.StatusOK, body())
	}}
}

// Mailboxes.

func (s *Simulator) mailboxItem(sess *session, m *simMailbox, target string) *restoreItem {
	return &restoreItem{name: m.email, target: target, itemType: "ExchangeMailbox", detailsType: "Item", mailbox: m, total: m.items}
}

// goneMailbox is why a restore of m fails when m is gone from Microsoft
// 365; "" when it is not.
func goneMailbox(m *simMailbox) string {
	if !m.gone {
		return ""
	}
	return "Mailbox " + m.email + " was not found in Microsoft 365: it may have been deleted since the backup. Restore it to another mailbox."
}

func (s *Simulator) handleMailboxRestore(c *call) response {
	sess, _, _, m, resp, ok := restoreFind(s, c, "Vex", (*Simulator).findMailbox)
	if !ok {
		return resp
	}
	it := s.mailboxItem(sess, m, "the original location")
	return s.restoreOne(c, sess, "mailbox", it, goneMailbox(m), func() any { return foldersStatistics(it) })
}

func (s *Simulator) handleMailboxRestoreTo(c *call) response {
	sess, d, b, m, resp, ok := restoreFind(s, c, "Vex", (*Simulator).findMailbox)
	if !ok {
		return resp
	}
	target := strings.TrimSpace(str(b.Mailbox))
	if target == "" {
		return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The target mailbox is required.")
	}
	where := target
	if f := str(b.Folder); f != "" {
		where += " (folder " + f + ")"
	}
	it := s.mailboxItem(sess, m, where)
	reason := ""
	other := str(b.OfficeOrganizationName)
	if other == "" || strings.EqualFold(other, sess.org.name) {
		if t := d.mailboxByEmail(target); t == nil || t.gone {
			reason = "Target mailbox " + target + " was not found in Microsoft 365."
		}
	}
	return s.restoreOne(c, sess, "mailboxTo", it, reason, func() any { return foldersStatistics(it) })
}

func (s *Simulator) handleMailboxesRestore(c *call) response {
	sess, d, b, resp, ok := s.startRestore(c, "Vex")
	if !ok {
		return resp
	}
	if len(b.Mailboxes) == 0 {
		return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "At least one mailbox is required.")
	}
	var items []*restoreItem
	for _, want := range b.Mailboxes {
		m, ok := byID(d.mailboxes, want.ID, func(m *simMailbox) string { return m.id })
		if !ok {
			return notFound(c, "Mailbox", want.ID)
		}
		it := s.mailboxItem(sess, m, "the original location")
		it.detailsType = "BulkMailbox"
		s.decide(it, goneMailbox(m))
		items = append(items, it)
	}
	op := s.begin(c, sess, "mailboxes", items)
	return s.answer(c, sess, op, func() any { return bulkStatistics(items) })
}

// wireFoldersStatistics is v6/v7's RESTFoldersRestoreStatistics; without
// failedFoldersCount and exceptions, RESTCommonRestoreStatistics.
type wireFoldersStatistics struct {
	FailedFoldersCount  *int64    `json:"failedFoldersCount,omitempty"`
	Exceptions          *[]string `json:"exceptions,omitempty"`
	CreatedItemsCount   int64     `json:"createdItemsCount"`
	MergedItemsCount    int64     `json:"mergedItemsCount"`
	FailedItemsCount    int64     `json:"failedItemsCount"`
	SkippedItemsCount   int64     `json:"skippedItemsCount"`
	CannotContinueError string    `json:"cannotContinueError,omitempty"`
	Warnings            []string  `json:"warnings"`
}

// commonStatistics splits restored mailbox items: a quarter were changed
// (merged), the rest missing (created).
func commonStatistics(it *restoreItem) wireFoldersStatistics {
	merged := it.restored / 4
	w := wireFoldersStatistics{CreatedItemsCount: it.restored - merged, MergedItemsCount: merged, FailedItemsCount: it.failed,
		SkippedItemsCount: it.skipped, Warnings: append([]string{}, it.warnings...)}
	if it.status == "Failed" {
		w.CannotContinueError = it.err
	}
	return w
}

func foldersStatistics(it *restoreItem) wireFoldersStatistics {
	w := commonStatistics(it)
	zero, exc := int64(0), []string{}
	if it.err != "" && it.status != "Failed" {
		exc = append(exc, it.err)
	}
	w.FailedFoldersCount, w.Exceptions = &zero, &exc
	return w
}

type wireBulkStatistics struct {
	Status  string            `json:"status"`
	Error   string            `json:"error,omitempty"`
	Details []wireBulkDetails `json:"details"`
}

type wireBulkDetails struct {
	Mailbox wireMailboxItem       `json:"mailbox"`
	Status  string                `json:"status"`
	Error   string                `json:"error,omitempty"`
	Details wireFoldersStatistics `json:"details"`
}

// bulkStatistics: the bulk's status is the worst of its mailboxes'.
func bulkStatistics(items []*restoreItem) wireBulkStatistics {
	w := wireBulkStatistics{Status: "Success", Details: []wireBulkDetails{}}
	failed := 0
	for _, it := range items {
		m := it.mailbox
		w.Details = append(w.Details, wireBulkDetails{
			Mailbox: wireMailboxItem{ID: m.id, Name: m.name, Email: m.email, IsArchive: m.archive},
			Status:  it.status, Error: it.err, Details: commonStatistics(it),
		})
		if it.status != "Success" && w.Status == "Success" {
			w.Status = "Warning"
		}
		if it.status == "Failed" {
			failed++
		}
	}
	if failed == len(items) {
		w.Status, w.Error = "Failed", "No mailbox was restored."
	}
	return w
}

// OneDrives.

// goneOneDrive is why a restore to o fails when o is gone from Microsoft
// 365; "" when it is not.
func goneOneDrive(o *simOneDrive) string {
	if !o.gone {
		return ""
	}
	return "OneDrive " + o.url + " was not found in Microsoft 365: its owner " + o.owner + " may have been deleted since the backup."
}

func (s *Simulator) handleOneDriveRestore(c *call) response {
	sess, _, _, o, resp, ok := restoreFind(s, c, "Veod", (*Simulator).findOneDrive)
	if !ok {
		return resp
	}
	it := &restoreItem{name: o.url, target: "the original location", itemType: "OneDriveItem", detailsType: "Item", oneDrive: o, total: o.items}
	return s.restoreOne(c, sess, "oneDrive", it, goneOneDrive(o), func() any { return itemStatistics(it) })
}

func (s *Simulator) handleOneDriveCopyTo(c *call) response {
	sess, d, b, o, resp, ok := restoreFind(s, c, "Veod", (*Simulator).findOneDrive)
	if !ok {
		return resp
	}
	target := o
	if b.OneDrive != nil && b.OneDrive.ID != "" {
		target, _ = byID(d.oneDrives, b.OneDrive.ID, func(o *simOneDrive) string { return o.id })
	}
	where := "OneDrive " + o.url
	if target != nil {
		where = "OneDrive " + target.url
	}
	if f := str(b.Folder); f != "" {
		where += " (folder " + f + ")"
	}
	it := &restoreItem{name: o.url, target: where, itemType: "OneDriveItem", detailsType: "Item", oneDrive: o, total: o.items}
	var reason string
	if target == nil {
		reason = "Target OneDrive " + b.OneDrive.ID + " was not found in Microsoft 365."
	} else {
		reason = goneOneDrive(target)
	}
	return s.restoreOne(c, sess, "oneDriveCopyTo", it, reason, func() any { return itemStatistics(it) })
}

// wireIssue is RESTRestoreObject (OneDrive, sites) and RESTSummaryItem
// (teams): an item the restore has something to say about.
type wireIssue struct {
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"`
	Path     string   `json:"path,omitempty"`
	Title    string   `json:"title"`
	Type     string   `json:"type"`
	Warnings []string `json:"warnings"`
	Error    string   `json:"error,omitempty"`
}

// issues are an item's warnings and error as restoreIssues; id is a UUID
// (RESTRestoreObject's format) when uuidID is set.
func (it *restoreItem) issues(typ string, uuidID bool) []wireIssue {
	if it.status == "Success" {
		return []wireIssue{}
	}
	id := it.name
	if uuidID {
		id = uuid.NewSHA1(uuid.NameSpaceURL, []byte(it.name)).String()
	}
	return []wireIssue{{ID: id, Path: it.name, Title: it.name, Type: typ, Warnings: append([]string{}, it.warnings...), Error: it.err}}
}

type wireItemStatistics struct {
	TotalItemsCount              int64       `json:"totalItemsCount"`
	RestoredItemsCount           int64       `json:"restoredItemsCount"`
	FailedItemsCount             int64       `json:"failedItemsCount"`
	SkippedItemsByErrorCount     int64       `json:"skippedItemsByErrorCount"`
	SkippedItemsByNoChangesCount int64       `json:"skippedItemsByNoChangesCount"`
	FailedRestrictionsCount      int64       `json:"failedRestrictionsCount"`
	RestoreIssues                []wireIssue `json:"restoreIssues"`
}

func itemStatistics(it *restoreItem) wireItemStatistics {
	return wireItemStatistics{TotalItemsCount: it.total, RestoredItemsCount: it.restored, FailedItemsCount: it.failed,
		SkippedItemsByNoChangesCount: it.skipped, RestoreIssues: it.issues("Item", true)}
}

// Sites.

// siteItem restores st, with its subsites when subsites is set: its items
// are their lists and webs.
func siteItem(d *orgData, st *simSite, target string, subsites bool) *restoreItem {
	it := &restoreItem{name: st.url, target: target, itemType: "SharePointSite", detailsType: "Item", lists: st.lists, webs: st.webs}
	if subsites {
		for _, sub := range d.subsites(st) {
			it.lists += sub.lists
			it.webs += sub.webs
		}
	}
	it.total = it.lists + it.webs
	return it
}

func (s *Simulator) handleSiteRestore(c *call) response {
	sess, d, b, st, resp, ok := restoreFind(s, c, "Vesp", (*Simulator).findSite)
	if !ok {
		return resp
	}
	it := siteItem(d, st, "the original location", b.RestoreSubsites != nil && *b.RestoreSubsites)
	return s.restoreOne(c, sess, "site", it, "", func() any { return webStatistics(it) })
}

func (s *Simulator) handleSiteRestoreTo(c *call) response {
	sess, d, b, st, resp, ok := restoreFind(s, c, "Vesp", (*Simulator).findSite)
	if !ok {
		return resp
	}
	target := strings.TrimSpace(str(b.SiteURL))
	if target == "" {
		return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "The target site URL (siteURL) is required.")
	}
	it := siteItem(d, st, target, b.RestoreSubsites != nil && *b.RestoreSubsites)
	reason := ""
	if d.siteByURL(target) == nil {
		reason = "Target site " + target + " was not found in Microsoft 365."
	}
	return s.restoreOne(c, sess, "siteTo", it, reason, func() any { return webStatistics(it) })
}

type wireWebStatistics struct {
	RestoredListsCount      int64       `json:"restoredListsCount"`
	FailedListsCount        int64       `json:"failedListsCount"`
	RestoredWebsCount       int64       `json:"restoredWebsCount"`
	FailedWebsCount         int64       `json:"failedWebsCount"`
	FailedRestrictionsCount int64       `json:"failedRestrictionsCount"`
	RestoreIssues           []wireIssue `json:"restoreIssues"`
}

// webStatistics: failures hit lists first; a failed site fails its webs too.
func webStatistics(it *restoreItem) wireWebStatistics {
	failedLists := min(it.failed, it.lists)
	failedWebs := it.failed - failedLists
	return wireWebStatistics{RestoredListsCount: it.lists - failedLists, FailedListsCount: failedLists,
		RestoredWebsCount: it.webs - failedWebs, FailedWebsCount: failedWebs, RestoreIssues: it.issues("Site", true)}
}

// Teams.

func (s *Simulator) teamFlags(c *call, b *restoreBody, names ...string) (response, bool) {
	vals := map[string]*bool{"restoreChangedItems": b.RestoreChangedItems, "restoreMissingItems": b.RestoreMissingItems,
		"restoreMembers": b.RestoreMembers, "restoreSettings": b.RestoreSettings}
	var missing []string
	for _, n := range names {
		if vals[n] == nil {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return errorResponse(c.vn, http.StatusBadRequest, "ParameterValidationFailure", "Required members are missing: "+strings.Join(missing, ", ")+"."), false
	}
	return response{}, true
}

func (s *Simulator) handleTeamRestore(c *call) response {
	sess, _, b, t, resp, ok := restoreFind(s, c, "Vet", (*Simulator).findTeam)
	if !ok {
		return resp
	}
	if resp, ok := s.teamFlags(c, b, "restoreChangedItems", "restoreMissingItems", "restoreMembers", "restoreSettings"); !ok {
		return resp
	}
	total := t.items
	for _, ch := range t.channels {
		total += ch.items
	}
	it := &restoreItem{name: t.name, target: "the original location", itemType: "TeamsTeam", detailsType: "Item", total: total}
	return s.restoreOne(c, sess, "team", it, "", func() any { return teamsStatistics(it, "Team") })
}

func (s *Simulator) handleChannelRestore(c *call) response {
	sess, _, b, t, resp, ok := restoreFind(s, c, "Vet", (*Simulator).findTeam)
	if !ok {
		return resp
	}
	ch, resp, ok := s.findChannel(c, t)
	if !ok {
		return resp
	}
	if resp, ok := s.teamFlags(c, b, "restoreChangedItems", "restoreMissingItems"); !ok {
		return resp
	}
	it := &restoreItem{name: t.name + "/" + ch.name, target: "the original location", itemType: "TeamsChannel", detailsType: "Item", total: ch.items}
	return s.restoreOne(c, sess, "channel", it, "", func() any { return teamsStatistics(it, "Channel") })
}

type wireTeamsStatistics struct {
	TotalItemsCount    int64       `json:"totalItemsCount"`
	RestoredItemsCount int64       `json:"restoredItemsCount"`
	FailedItemsCount   int64       `json:"failedItemsCount"`
	SkippedItemsCount  int64       `json:"skippedItemsCount"`
	RestoreIssues      []wireIssue `json:"restoreIssues"`
}

func teamsStatistics(it *restoreItem, typ string) wireTeamsStatistics {
	issues := it.issues(typ, false)
	for i := range issues {
		issues[i].Name, issues[i].Path = it.name, ""
	}
	return wireTeamsStatistics{TotalItemsCount: it.total, RestoredItemsCount: it.restored, FailedItemsCount: it.failed,
		SkippedItemsCount: it.skipped, RestoreIssues: issues}
}

// Statistics (v8).

// wireItemDetails is v8's RESTItemRestoreDetailsComposed.
type wireItemDetails struct {
	ID                       string   `json:"id,omitempty"`
	ItemRestoreDetailsType   string   `json:"itemRestoreDetailsType"`
	Title                    string   `json:"title,omitempty"`
	Error                    string   `json:"error,omitempty"`
	Name                     string   `json:"name,omitempty"`
	ItemType                 string   `json:"itemType,omitempty"`
	Status                   string   `json:"status,omitempty"`
	Warnings                 []string `json:"warnings,omitempty"`
	MailboxEmail             string   `json:"mailboxEmail,omitempty"`
	MailboxIsArchive         *bool    `json:"mailboxIsArchive,omitempty"`
	CreatedMailboxItemsCount *int64   `json:"createdMailboxItemsCount,omitempty"`
	MergedMailboxItemsCount  *int64   `json:"mergedMailboxItemsCount,omitempty"`
	FailedMailboxItemsCount  *int64   `json:"failedMailboxItemsCount,omitempty"`
	SkippedMailboxItemsCount *int64   `json:"skippedMailboxItemsCount,omitempty"`
	OneDriveURL              string   `json:"oneDriveUrl,omitempty"`
}

// addStatistics adds an item's counts to a session's statistics as they
// stand: while its event runs, its total and the part restored so far
// (in proportion to the time gone); once it has ended, its final counts,
// warnings, error and details. A restore cancelled by the session's stop
// counts its items as failed.
func (it *restoreItem) addStatistics(st *wireStatistics, e *event, status string, now time.Time) {
	st.TotalItemsCount += it.total
	switch status {
	case "Running":
		if e.duration > 0 {
			st.RestoredItemsCount += it.restored * int64(now.Sub(e.start)) / int64(e.duration)
		}
		return
	case "Cancelled":
		st.FailedItemsCount += it.total
		msg := "The restore of " + it.name + " was canceled: the restore session was stopped."
		st.Errors = append(st.Errors, msg)
		d := wireItemDetails{ItemRestoreDetailsType: it.detailsType, Name: it.name, Title: it.name,
			ItemType: it.itemType, Status: "Failed", Error: msg}
		if m := it.mailbox; m != nil {
			zero, failed := int64(0), it.total
			d.MailboxEmail, d.MailboxIsArchive = m.email, &m.archive
			d.CreatedMailboxItemsCount, d.MergedMailboxItemsCount, d.FailedMailboxItemsCount, d.SkippedMailboxItemsCount = &zero, &zero, &failed, &zero
		}
		st.Items = append(st.Items, d)
		return
	}
	st.RestoredItemsCount += it.restored
	st.FailedItemsCount += it.failed
	st.SkippedItemsCount += it.skipped
	st.Warnings = append(st.Warnings, it.warnings...)
	if it.err != "" {
		st.Errors = append(st.Errors, it.err)
	}
	d := wireItemDetails{ID: it.ev.id, ItemRestoreDetailsType: it.detailsType, Title: it.name, Name: it.name, ItemType: it.itemType,
		Status: it.status, Error: it.err, Warnings: it.warnings}
	if m := it.mailbox; m != nil {
		w := commonStatistics(it)
		d.MailboxEmail, d.MailboxIsArchive = m.email, &m.archive
		d.CreatedMailboxItemsCount, d.MergedMailboxItemsCount = &w.CreatedItemsCount, &w.MergedItemsCount
		d.FailedMailboxItemsCount, d.SkippedMailboxItemsCount = &w.FailedItemsCount, &w.SkippedItemsCount
	}
	if it.oneDrive != nil {
		d.OneDriveURL = it.oneDrive.url
	}
	st.Items = append(st.Items, d)
}
