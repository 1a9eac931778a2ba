package vb365

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A server that echoes a restore's credentials into its error finds them
// redacted, in the error and in the client's log lines.
func TestRestoreCredentialsNeverInErrorsOrLogs(t *testing.T) {
	const pw, certPw, cert = "M365-S3cret-Otter-55", "Cert-S3cret-Heron-66", "MIIcertificate-Secret-Body"
	f := newFake(t, "v8")
	f.route = func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		b, _ := json.Marshal(map[string]string{"message": "Cannot use " + string(body), "errorCode": "ResourceAccessDenied"})
		writeJSON(w, http.StatusBadRequest, string(b))
		return true
	}
	srv := f.start()
	log, logs := observedLogger()
	c := newTestClient(t, srv.URL, func(c *Config) { c.Logger = log })
	ctx := context.Background()
	var errs []error
	_, err := c.RestoreMailbox(ctx, sessionID, eventID, MailboxRestoreOptions{Credentials: &RestoreCredentials{UserName: "u@x", Password: NewSecret(pw)}})
	errs = append(errs, err)
	_, err = c.RestoreTeam(ctx, sessionID, eventID, TeamRestoreOptions{RestoreMissingItems: true, Credentials: &RestoreCredentials{
		ApplicationID: "7a3f0c52-9d4e-4b1a-8c6f-2e5d1b0a9c83", ApplicationCertificate: NewSecret(cert), ApplicationCertificatePassword: NewSecret(certPw)}})
	errs = append(errs, err)
	for _, err := range errs {
		require.Error(t, err)
		assert.Contains(t, err.Error(), "Cannot use", "the server's message is kept")
		assert.Contains(t, err.Error(), redacted)
		for _, s := range []string{pw, certPw, cert} {
			assert.NotContains(t, err.Error(), s)
		}
	}
	for _, e := range logs.All() {
		line, _ := json.Marshal(e.ContextMap())
		for _, s := range []string{pw, certPw, cert} {
			assert.NotContains(t, e.Message+string(line), s)
		}
	}
}

// Bad options are refused before anything is sent, naming the field.
func TestRestoreOptionsRefused(t *testing.T) {
	f := newFake(t, "v8")
	srv := f.start()
	c := newTestClient(t, srv.URL, nil)
	ctx := context.Background()
	good := &RestoreCredentials{UserName: "u@x", Password: NewSecret("pw-long")}
	for name, call := range map[string]func() error{
		"credentials: a user name needs its password": func() error {
			_, err := c.RestoreMailbox(ctx, sessionID, eventID, MailboxRestoreOptions{Credentials: &RestoreCredentials{UserName: "u@x"}})
			return err
		},
		"not both": func() error {
			_, err := c.RestoreMailbox(ctx, sessionID, eventID, MailboxRestoreOptions{Credentials: &RestoreCredentials{UserName: "u@x",
				Password: NewSecret("pw-long"), ApplicationID: "x", ApplicationCertificate: NewSecret("c")}})
			return err
		},
		`applicationId "app" is not a UUID`: func() error {
			_, err := c.RestoreSite(ctx, sessionID, eventID, SiteRestoreOptions{Credentials: &RestoreCredentials{ApplicationID: "app", ApplicationCertificate: NewSecret("c")}})
			return err
		},
		`documentVersion "Some"`: func() error {
			_, err := c.RestoreSite(ctx, sessionID, eventID, SiteRestoreOptions{DocumentVersion: "Some", Credentials: good})
			return err
		},
		"mailbox: the target mailbox is required": func() error {
			_, err := c.RestoreMailboxTo(ctx, sessionID, eventID, MailboxRestoreToOptions{Credentials: good})
			return err
		},
		"siteURL: the target site is required": func() error {
			_, err := c.RestoreSiteTo(ctx, sessionID, eventID, SiteRestoreToOptions{Credentials: good})
			return err
		},
		`mailboxes[0].id "m" is not a UUID`: func() error {
			_, err := c.RestoreMailboxes(ctx, sessionID, BulkMailboxRestoreOptions{Mailboxes: []Mailbox{{ID: "m"}}, Credentials: good})
			return err
		},
		"at least one must be true": func() error {
			_, err := c.RestoreTeam(ctx, sessionID, eventID, TeamRestoreOptions{Credentials: good})
			return err
		},
		"empty channel id": func() error {
			_, err := c.RestoreChannel(ctx, sessionID, eventID, "", ChannelRestoreOptions{RestoreMissingItems: true})
			return err
		},
	} {
		err := call()
		require.Error(t, err, name)
		assert.ErrorIs(t, err, ErrInvalidArgument, name)
		assert.Contains(t, err.Error(), name)
		assert.False(t, IsTransient(err), name)
	}
	for _, r := range f.captured() {
		assert.False(t, strings.Contains(r.Path, "/RestoreSessions/"), "sent %s", r.Path)
	}
}

// Each restore call sends the body its document names, member for member.
func TestRestoreRequestBodies(t *testing.T) {
	f := newFake(t, "v8")
	f.route = func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		if r.Method == http.MethodGet {
			writeJSON(w, http.StatusOK, `{"offset":0,"limit":500,"results":[{"id":"`+eventID+`","displayName":"Finance"}]}`)
			return true
		}
		writeJSON(w, http.StatusOK, `{"sessionId":"`+sessionID+`"}`)
		return true
	}
	srv := f.start()
	c := newTestClient(t, srv.URL, nil)
	ctx := context.Background()
	user := &RestoreCredentials{UserName: "u@x", Password: NewSecret("pw-1")}
	app := &RestoreCredentials{ApplicationID: "7a3f0c52-9d4e-4b1a-8c6f-2e5d1b0a9c83", ApplicationCertificate: NewSecret("cert"),
		ApplicationCertificatePassword: NewSecret("cpw"), ImpersonationAccountName: "admin@x"}
	yes, no := true, false
	base := "/v8/RestoreSessions/" + sessionID + "/"
	for _, tc := range []struct {
		path, body string
		call       func() (*RestoreResult, error)
	}{
		{"organization/mailboxes/" + eventID + "/restore", `{"userName":"u@x","userPassword":"pw-1"}`, func() (*RestoreResult, error) {
			return c.RestoreMailbox(ctx, sessionID, eventID, MailboxRestoreOptions{Credentials: user})
		}},
		{"organization/mailboxes/" + eventID + "/restore", `{"applicationId":"7a3f0c52-9d4e-4b1a-8c6f-2e5d1b0a9c83","applicationCertificatePassword":"cpw","applicationCertificate":"cert","impersonationAccountName":"admin@x"}`, func() (*RestoreResult, error) {
			return c.RestoreMailbox(ctx, sessionID, eventID, MailboxRestoreOptions{Credentials: app})
		}},
		{"organization/mailboxes/" + eventID + "/restoreTo", `{"changedItems":true,"excludeDrafts":false,"mailbox":"r@x","folder":"F","officeRegion":"Worldwide","userName":"u@x","userPassword":"pw-1"}`, func() (*RestoreResult, error) {
			return c.RestoreMailboxTo(ctx, sessionID, eventID, MailboxRestoreToOptions{Mailbox: " r@x ", Folder: "F", OfficeRegion: "WORLDWIDE", ChangedItems: &yes, ExcludeDrafts: &no, Credentials: user})
		}},
		{"organization/mailboxes/restore", `{"mailboxes":[{"id":"` + eventID + `","email":"a@x","isArchive":false,"isPublic":false}],"skipUnresolved":true,"office365UserName":"u@x","office365UserPassword":"pw-1"}`, func() (*RestoreResult, error) {
			return c.RestoreMailboxes(ctx, sessionID, BulkMailboxRestoreOptions{Mailboxes: []Mailbox{{ID: eventID, Email: "a@x"}}, SkipUnresolved: &yes, Credentials: user})
		}},
		{"Organization/OneDrives/od1/restore", `{"documentAction":"Keep","userName":"u@x","userPassword":"pw-1"}`, func() (*RestoreResult, error) {
			return c.RestoreOneDrive(ctx, sessionID, "od1", OneDriveRestoreOptions{DocumentAction: "keep", Credentials: user})
		}},
		{"Organization/OneDrives/od1/copyTo", `{"restorePermissions":false,"onedrive":{"id":"od2","name":"B","url":"https://b"},"folder":"F","documentVersion":"Last","documentLastVersionAction":"Merge","userName":"u@x","userPassword":"pw-1"}`, func() (*RestoreResult, error) {
			return c.CopyOneDriveTo(ctx, sessionID, "od1", OneDriveCopyToOptions{Target: &OneDrive{ID: "od2", Name: "B", URL: "https://b"}, Folder: "F",
				RestorePermissions: &no, DocumentVersion: DocumentVersionLast, DocumentLastVersionAction: DocumentLastVersionMerge, Credentials: user})
		}},
		{"Organization/Sites/s1/restore", `{"impersonationAccountName":"admin@x","restoreSubsites":true,"restorePermissions":true,"documentVersion":"All","applicationId":"7a3f0c52-9d4e-4b1a-8c6f-2e5d1b0a9c83","applicationCertificatePassword":"cpw","applicationCertificate":"cert"}`, func() (*RestoreResult, error) {
			return c.RestoreSite(ctx, sessionID, "s1", SiteRestoreOptions{RestoreSubsites: &yes, RestorePermissions: &yes, DocumentVersion: DocumentVersionAll, Credentials: app})
		}},
		{"Organization/Sites/s1/restoreTo", `{"restoreListViews":true,"siteURL":"https://x/sites/B","userName":"u@x","userPassword":"pw-1"}`, func() (*RestoreResult, error) {
			return c.RestoreSiteTo(ctx, sessionID, "s1", SiteRestoreToOptions{SiteURL: "https://x/sites/B", RestoreListViews: &yes, Credentials: user})
		}},
		{"organization/teams/" + eventID + "/restore", `{"restoreChangedItems":true,"restoreMissingItems":false,"restoreMembers":true,"restoreSettings":false,"userName":"u@x","userPassword":"pw-1"}`, func() (*RestoreResult, error) {
			return c.RestoreTeam(ctx, sessionID, eventID, TeamRestoreOptions{RestoreChangedItems: true, RestoreMembers: true, Credentials: user})
		}},
		{"organization/teams/" + eventID + "/channels/19:abc@thread.tacv2/restore", `{"restoreChangedItems":false,"restoreMissingItems":true,"restoreMembers":false,"userName":"u@x","userPassword":"pw-1"}`, func() (*RestoreResult, error) {
			return c.RestoreChannel(ctx, sessionID, eventID, "19:abc@thread.tacv2", ChannelRestoreOptions{RestoreMissingItems: true, RestoreMembers: &no, Credentials: user})
		}},
	} {
		res, err := tc.call()
		require.NoError(t, err, tc.path)
		assert.Equal(t, sessionID, res.RestoreSessionID)
		reqs := f.captured()
		last := reqs[len(reqs)-1]
		assert.Equal(t, http.MethodPost, last.Method)
		assert.Equal(t, base+tc.path, last.Path)
		assert.Equal(t, "application/json", last.Header.Get("Content-Type"))
		assert.JSONEq(t, tc.body, string(last.Body), tc.path)
	}

	_, err := c.FindTeam(ctx, sessionID, " Finance ")
	require.NoError(t, err)
	_, err = c.FindChannel(ctx, sessionID, eventID, "Finance")
	require.NoError(t, err)
	reqs := f.captured()
	assert.Equal(t, "Finance", reqs[len(reqs)-2].Query.Get("displayName"), "VB365 filters teams by name")
	assert.Equal(t, "500", reqs[len(reqs)-2].Query.Get("limit"))
	assert.Equal(t, "Finance", reqs[len(reqs)-1].Query.Get("displayName"), "and channels")
}

// v6 and v7 answer a restore when it is done: the call waits longer than
// the client's per-request timeout, bounded by the caller's context.
func TestRestoreV7WaitsPastTheRequestTimeout(t *testing.T) {
	f := newFake(t, "v7")
	f.route = func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		time.Sleep(300 * time.Millisecond)
		writeJSON(w, http.StatusOK, `{"totalItemsCount":3,"restoredItemsCount":3,"failedItemsCount":0,"skippedItemsCount":0,"restoreIssues":[]}`)
		return true
	}
	srv := f.start()
	c := newTestClient(t, srv.URL, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	res, err := c.RestoreTeam(context.Background(), sessionID, eventID, TeamRestoreOptions{RestoreMissingItems: true})
	require.NoError(t, err)
	assert.True(t, res.Done())
	assert.Equal(t, int64(3), res.Statistics.Restored)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = c.RestoreTeam(ctx, sessionID, eventID, TeamRestoreOptions{RestoreMissingItems: true})
	require.Error(t, err, "the caller's context still bounds it")
	assert.True(t, IsRestoreOutcomeUnknown(err), "%v", err)
}

// The v6/v7 statistics bodies read into one shape.
func TestDecodeRestoreStatistics(t *testing.T) {
	st, err := decodeFoldersStatistics([]byte(`{"failedFoldersCount":1,"exceptions":["E1"],"createdItemsCount":5,"mergedItemsCount":2,"failedItemsCount":1,"skippedItemsCount":3,"cannotContinueError":"stop","warnings":["W"]}`))
	require.NoError(t, err)
	assert.Equal(t, RestoreStatistics{Total: 11, Restored: 7, Failed: 1, Skipped: 3, Warnings: []string{"W"}, Errors: []string{"E1", "stop"}}, *st)

	st, err = decodeItemStatistics([]byte(`{"totalItemsCount":10,"restoredItemsCount":6,"failedItemsCount":1,"skippedItemsByErrorCount":1,"skippedItemsByNoChangesCount":2,"restoreIssues":[{"title":"a.docx","type":"Item","error":"locked","warnings":["w"]}]}`))
	require.NoError(t, err)
	assert.Equal(t, RestoreStatistics{Total: 10, Restored: 6, Failed: 1, Skipped: 3, Warnings: []string{"w"}, Errors: []string{"locked"},
		Items: []RestoredItem{{Name: "a.docx", Type: "Item", Status: "Failed", Error: "locked", Warnings: []string{"w"}}}}, *st)

	st, err = decodeWebStatistics([]byte(`{"restoredListsCount":4,"failedListsCount":1,"restoredWebsCount":2,"failedWebsCount":0,"restoreIssues":[]}`))
	require.NoError(t, err)
	assert.Equal(t, RestoreStatistics{Total: 7, Restored: 6, Failed: 1}, *st)

	st, err = decodeTeamsStatistics([]byte(`{"totalItemsCount":9,"restoredItemsCount":7,"failedItemsCount":0,"skippedItemsCount":2,"restoreIssues":[{"name":"General","type":"Channel","warnings":["slow"]}]}`))
	require.NoError(t, err)
	assert.Equal(t, RestoreStatistics{Total: 9, Restored: 7, Skipped: 2, Warnings: []string{"slow"},
		Items: []RestoredItem{{Name: "General", Type: "Channel", Status: "Warning", Warnings: []string{"slow"}}}}, *st)

	st, err = decodeBulkStatistics([]byte(`{"status":"Warning","details":[{"mailbox":{"id":"` + eventID + `","email":"a@x"},"status":"Success","details":{"createdItemsCount":3,"mergedItemsCount":0,"failedItemsCount":0,"skippedItemsCount":0}},` +
		`{"mailbox":{"id":"` + eventID + `","name":"B"},"status":"Failed","error":"gone","details":{"failedItemsCount":4}}]}`))
	require.NoError(t, err)
	assert.Equal(t, RestoreStatistics{Total: 7, Restored: 3, Failed: 4, Errors: []string{"gone"},
		Items: []RestoredItem{{Name: "a@x", Type: "ExchangeMailbox", Status: "Success"}, {Name: "B", Type: "ExchangeMailbox", Status: "Failed", Error: "gone"}}}, *st)

	st, err = decodeSessionStatistics([]byte(`{"totalItemsCount":5,"restoredItemsCount":4,"failedItemsCount":1,"skippedItemsCount":0,"errors":["x"],"items":[{"itemRestoreDetailsType":"BulkMailbox","mailboxEmail":"a@x","status":"Failed","error":"x","itemType":"ExchangeMailbox"}]}`))
	require.NoError(t, err)
	assert.Equal(t, RestoreStatistics{Total: 5, Restored: 4, Failed: 1, Errors: []string{"x"},
		Items: []RestoredItem{{Name: "a@x", Type: "ExchangeMailbox", Status: "Failed", Error: "x", MailboxEmail: "a@x"}}}, *st)

	// A mailbox's details carry its own counts; other details none.
	st, err = decodeSessionStatistics([]byte(`{"totalItemsCount":9,"restoredItemsCount":8,"failedItemsCount":1,"skippedItemsCount":0,"items":[` +
		`{"itemRestoreDetailsType":"BulkMailbox","name":"Adele","mailboxEmail":"a@x","status":"Warning","createdMailboxItemsCount":5,"mergedMailboxItemsCount":2,"failedMailboxItemsCount":1,"skippedMailboxItemsCount":0},` +
		`{"itemRestoreDetailsType":"BulkOneDrive","name":"b","oneDriveUrl":"https://b","status":"Success"}]}`))
	require.NoError(t, err)
	assert.Equal(t, []RestoredItem{
		{Name: "Adele", Status: "Warning", MailboxEmail: "a@x", Counts: &ItemCounts{Total: 8, Restored: 7, Failed: 1}},
		{Name: "b", Status: "Success", OneDriveURL: "https://b"}}, st.Items)
}

// The first bad option is the error a restore reports: a later check (the
// Office region, an impersonation account VB365 does not take) neither
// hides an earlier one nor is lost when the earlier ones pass. Nothing is
// sent.
func TestRestoreReportsTheFirstBadOption(t *testing.T) {
	f := newFake(t, "v8")
	srv := f.start()
	c := newTestClient(t, srv.URL, nil)
	ctx := context.Background()
	user := &RestoreCredentials{UserName: "u@x", Password: NewSecret("pw-long")}
	imp := &RestoreCredentials{ApplicationID: "7a3f0c52-9d4e-4b1a-8c6f-2e5d1b0a9c83", ApplicationCertificate: NewSecret("cert"),
		ImpersonationAccountName: "admin@x"}
	target := &OneDrive{ID: "od2", Name: "B", URL: "https://b"}
	for _, tc := range []struct {
		want, not string
		call      func() error
	}{
		{`officeRegion "Mars"`, "", func() error {
			_, err := c.CopyOneDriveTo(ctx, sessionID, "od1", OneDriveCopyToOptions{Target: target, OfficeRegion: "Mars", Credentials: user})
			return err
		}},
		{`documentVersion "Some"`, "officeRegion", func() error {
			_, err := c.CopyOneDriveTo(ctx, sessionID, "od1", OneDriveCopyToOptions{Target: target, DocumentVersion: "Some", OfficeRegion: "Mars", Credentials: user})
			return err
		}},
		{"no impersonation account for a OneDrive restore", "", func() error {
			_, err := c.RestoreOneDrive(ctx, sessionID, "od1", OneDriveRestoreOptions{Credentials: imp})
			return err
		}},
		{`documentAction "Drop"`, "impersonation", func() error {
			_, err := c.RestoreOneDrive(ctx, sessionID, "od1", OneDriveRestoreOptions{DocumentAction: "Drop", Credentials: imp})
			return err
		}},
		{"no impersonation account for a OneDrive copy", "", func() error {
			_, err := c.CopyOneDriveTo(ctx, sessionID, "od1", OneDriveCopyToOptions{Target: target, Credentials: imp})
			return err
		}},
		{`documentVersion "Some"`, "impersonation", func() error {
			_, err := c.CopyOneDriveTo(ctx, sessionID, "od1", OneDriveCopyToOptions{Target: target, DocumentVersion: "Some", Credentials: imp})
			return err
		}},
		{"no impersonation account for a channel restore", "", func() error {
			_, err := c.RestoreChannel(ctx, sessionID, eventID, "19:abc@thread.tacv2", ChannelRestoreOptions{RestoreMissingItems: true, Credentials: imp})
			return err
		}},
		{"at least one must be true", "impersonation", func() error {
			_, err := c.RestoreChannel(ctx, sessionID, eventID, "19:abc@thread.tacv2", ChannelRestoreOptions{Credentials: imp})
			return err
		}},
	} {
		err := tc.call()
		require.Error(t, err, tc.want)
		assert.ErrorIs(t, err, ErrInvalidArgument, tc.want)
		assert.Contains(t, err.Error(), tc.want)
		if tc.not != "" {
			assert.NotContains(t, err.Error(), tc.not)
		}
	}
	for _, r := range f.captured() {
		assert.False(t, strings.Contains(r.Path, "/RestoreSessions/"), "sent %s", r.Path)
	}
}

// A channel restore must restore something: with neither changed nor
// missing items, it is refused unless members are restored, whether
// restoreMembers is left out or set to false.
func TestChannelRestoreNeedsSomethingToRestore(t *testing.T) {
	f := newFake(t, "v8")
	f.route = func(w http.ResponseWriter, r *http.Request, body []byte) bool {
		writeJSON(w, http.StatusOK, `{"sessionId":"`+sessionID+`"}`)
		return true
	}
	srv := f.start()
	c := newTestClient(t, srv.URL, nil)
	ctx := context.Background()
	yes, no := true, false
	for _, members := range []*bool{nil, &no} {
		_, err := c.RestoreChannel(ctx, sessionID, eventID, "19:abc@thread.tacv2", ChannelRestoreOptions{RestoreMembers: members})
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrInvalidArgument)
		assert.Contains(t, err.Error(), "at least one must be true")
	}
	res, err := c.RestoreChannel(ctx, sessionID, eventID, "19:abc@thread.tacv2", ChannelRestoreOptions{RestoreMembers: &yes})
	require.NoError(t, err, "members alone are something to restore")
	assert.Equal(t, sessionID, res.RestoreSessionID)
}

// A restore request whose connection was never made (a dial error) sent
// nothing: its outcome is known. One that went out and lost its connection
// has an unknown outcome, and the error still carries the cause; a gateway's
// 502 without a cause reads as the unknown outcome alone.
func TestRestoreOutcomeUnknownOnlyAfterTheRequestWentOut(t *testing.T) {
	r := &request{op: "restore mailbox", method: http.MethodPost, path: "/v8/RestoreSessions/s/organization/mailboxes/m/restore"}

	dial := &Error{Op: r.op, Method: r.method, Path: r.path, Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	err := restoreError(r, dial)
	assert.False(t, IsRestoreOutcomeUnknown(err), "a refused connection sent nothing: %v", err)
	assert.Same(t, dial, err)

	cause := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	err = restoreError(r, &Error{Op: r.op, Method: r.method, Path: r.path, Err: cause})
	assert.True(t, IsRestoreOutcomeUnknown(err), "a connection lost after the request went out: %v", err)
	assert.ErrorIs(t, err, syscall.ECONNRESET, "the cause is kept")
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	assert.Equal(t, "read", op.Op)

	err = restoreError(r, &Error{Op: r.op, Method: r.method, Path: r.path, StatusCode: http.StatusBadGateway})
	assert.True(t, IsRestoreOutcomeUnknown(err))
	assert.Equal(t, "vb365: restore mailbox: POST "+r.path+": HTTP 502: "+ErrRestoreOutcomeUnknown.Error(), err.Error())

	login := &Error{Op: "login", Path: "/v8/token", Err: cause}
	assert.Same(t, login, restoreError(r, login), "a login's failure sent no restore")
	plain := errors.New("not a client error")
	assert.Same(t, plain, restoreError(r, plain))
}

// Credential values of three characters or more are redacted from what
// VB365 says; shorter ones are left, as they would blank out ordinary words.
func TestRedactSecretsFromThreeCharacters(t *testing.T) {
	err := redactSecrets(&Error{Op: "restore", Message: "user xyz with pw ab is denied", ErrorCode: "xyz-denied"}, []string{"xyz", "ab"})
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "user "+redacted+" with pw ab is denied", e.Message)
	assert.Equal(t, redacted+"-denied", e.ErrorCode)
}

// A site restore's statistics count lists and webs together: restored with
// restored, failed with failed, and the total is both.
func TestWebStatisticsAddListsAndWebs(t *testing.T) {
	st, err := decodeWebStatistics([]byte(`{"restoredListsCount":4,"failedListsCount":1,"restoredWebsCount":2,"failedWebsCount":3,"restoreIssues":[]}`))
	require.NoError(t, err)
	assert.Equal(t, RestoreStatistics{Total: 10, Restored: 6, Failed: 4}, *st)
}

// A mailbox's own total counts its restored, failed and skipped items.
func TestMailboxCountsTotalIncludesSkipped(t *testing.T) {
	st, err := decodeSessionStatistics([]byte(`{"totalItemsCount":10,"restoredItemsCount":7,"failedItemsCount":1,"skippedItemsCount":2,"items":[` +
		`{"itemRestoreDetailsType":"BulkMailbox","name":"Adele","mailboxEmail":"a@x","status":"Warning","createdMailboxItemsCount":5,"mergedMailboxItemsCount":2,"failedMailboxItemsCount":1,"skippedMailboxItemsCount":2}]}`))
	require.NoError(t, err)
	require.Len(t, st.Items, 1)
	assert.Equal(t, &ItemCounts{Total: 10, Restored: 7, Failed: 1, Skipped: 2}, st.Items[0].Counts)
}
