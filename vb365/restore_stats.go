package vb365

import "encoding/json"

// Wire shapes of restore statistics and their reading into RestoreStatistics.

// decodeStatistics reads a restore's answer body as the wire shape W and
// maps it into RestoreStatistics: the one way every version's statistics
// are decoded.
func decodeStatistics[W any, P interface {
	*W
	statistics() *RestoreStatistics
}](body []byte) (*RestoreStatistics, error) {
	var w W
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, err
	}
	return P(&w).statistics(), nil
}

// wireCommonStatistics is v6/v7's RESTCommonRestoreStatistics, and with
// failedFoldersCount and exceptions, RESTFoldersRestoreStatistics (a
// mailbox restore's answer).
type wireCommonStatistics struct {
	FailedFoldersCount  int64    `json:"failedFoldersCount"`
	Exceptions          []string `json:"exceptions"`
	CreatedItemsCount   int64    `json:"createdItemsCount"`
	MergedItemsCount    int64    `json:"mergedItemsCount"`
	FailedItemsCount    int64    `json:"failedItemsCount"`
	SkippedItemsCount   int64    `json:"skippedItemsCount"`
	CannotContinueError string   `json:"cannotContinueError"`
	Warnings            []string `json:"warnings"`
}

func (w *wireCommonStatistics) statistics() *RestoreStatistics {
	st := &RestoreStatistics{
		Restored: w.CreatedItemsCount + w.MergedItemsCount,
		Failed:   w.FailedItemsCount,
		Skipped:  w.SkippedItemsCount,
		Warnings: w.Warnings,
		Errors:   append([]string(nil), w.Exceptions...),
	}
	if w.CannotContinueError != "" {
		st.Errors = append(st.Errors, w.CannotContinueError)
	}
	st.Total = st.Restored + st.Failed + st.Skipped
	return st
}

var decodeFoldersStatistics = decodeStatistics[wireCommonStatistics]

// wireBulkStatistics is v6/v7's RESTBulkRestoreStatistics.
type wireBulkStatistics struct {
	Status  string `json:"status"`
	Error   string `json:"error"`
	Details []struct {
		Mailbox wireMailbox           `json:"mailbox"`
		Status  string                `json:"status"`
		Error   string                `json:"error"`
		Details *wireCommonStatistics `json:"details"`
	} `json:"details"`
}

var decodeBulkStatistics = decodeStatistics[wireBulkStatistics]

func (w *wireBulkStatistics) statistics() *RestoreStatistics {
	st := &RestoreStatistics{}
	if w.Error != "" {
		st.Errors = append(st.Errors, w.Error)
	}
	for _, d := range w.Details {
		item := RestoredItem{Name: d.Mailbox.Email, Type: "ExchangeMailbox", Status: d.Status, Error: d.Error}
		if item.Name == "" {
			item.Name = d.Mailbox.Name
		}
		if d.Details != nil {
			s := d.Details.statistics()
			st.Total += s.Total
			st.Restored += s.Restored
			st.Failed += s.Failed
			st.Skipped += s.Skipped
			st.Warnings = append(st.Warnings, s.Warnings...)
			st.Errors = append(st.Errors, s.Errors...)
			item.Warnings = s.Warnings
		}
		if d.Error != "" {
			st.Errors = append(st.Errors, d.Error)
		}
		st.Items = append(st.Items, item)
	}
	return st
}

// wireRestoreIssue is RESTRestoreObject (OneDrive, sites) and
// RESTSummaryItem (teams): an item the restore had something to say about.
type wireRestoreIssue struct {
	Name     string   `json:"name"`
	Path     string   `json:"path"`
	Title    string   `json:"title"`
	Type     string   `json:"type"`
	Warnings []string `json:"warnings"`
	Error    string   `json:"error"`
}

func (w *wireRestoreIssue) item() RestoredItem {
	name := w.Title
	if name == "" {
		name = w.Name
	}
	status := "Warning"
	if w.Error != "" {
		status = "Failed"
	}
	return RestoredItem{Name: name, Type: w.Type, Status: status, Path: w.Path, Error: w.Error, Warnings: w.Warnings}
}

// addIssues appends the issues' items, errors and warnings.
func (st *RestoreStatistics) addIssues(issues []wireRestoreIssue) {
	for i := range issues {
		it := issues[i].item()
		st.Items = append(st.Items, it)
		if it.Error != "" {
			st.Errors = append(st.Errors, it.Error)
		}
		st.Warnings = append(st.Warnings, it.Warnings...)
	}
}

// wireItemStatistics is v6/v7's RESTItemRestoreStatistics (OneDrive).
type wireItemStatistics struct {
	TotalItemsCount              int64              `json:"totalItemsCount"`
	RestoredItemsCount           int64              `json:"restoredItemsCount"`
	FailedItemsCount             int64              `json:"failedItemsCount"`
	SkippedItemsByErrorCount     int64              `json:"skippedItemsByErrorCount"`
	SkippedItemsByNoChangesCount int64              `json:"skippedItemsByNoChangesCount"`
	RestoreIssues                []wireRestoreIssue `json:"restoreIssues"`
}

var decodeItemStatistics = decodeStatistics[wireItemStatistics]

func (w *wireItemStatistics) statistics() *RestoreStatistics {
	st := &RestoreStatistics{Total: w.TotalItemsCount, Restored: w.RestoredItemsCount, Failed: w.FailedItemsCount,
		Skipped: w.SkippedItemsByErrorCount + w.SkippedItemsByNoChangesCount}
	st.addIssues(w.RestoreIssues)
	return st
}

// wireWebStatistics is v6/v7's RESTWebRestoreStatistics (sites): lists and
// webs (the site and its subsites) are the items counted.
type wireWebStatistics struct {
	RestoredListsCount int64              `json:"restoredListsCount"`
	FailedListsCount   int64              `json:"failedListsCount"`
	RestoredWebsCount  int64              `json:"restoredWebsCount"`
	FailedWebsCount    int64              `json:"failedWebsCount"`
	RestoreIssues      []wireRestoreIssue `json:"restoreIssues"`
}

var decodeWebStatistics = decodeStatistics[wireWebStatistics]

func (w *wireWebStatistics) statistics() *RestoreStatistics {
	st := &RestoreStatistics{Restored: w.RestoredListsCount + w.RestoredWebsCount, Failed: w.FailedListsCount + w.FailedWebsCount}
	st.Total = st.Restored + st.Failed
	st.addIssues(w.RestoreIssues)
	return st
}

// wireTeamsStatistics is v6/v7's RESTRestoreStatistics (teams, channels).
type wireTeamsStatistics struct {
	TotalItemsCount    int64              `json:"totalItemsCount"`
	RestoredItemsCount int64              `json:"restoredItemsCount"`
	FailedItemsCount   int64              `json:"failedItemsCount"`
	SkippedItemsCount  int64              `json:"skippedItemsCount"`
	RestoreIssues      []wireRestoreIssue `json:"restoreIssues"`
}

var decodeTeamsStatistics = decodeStatistics[wireTeamsStatistics]

func (w *wireTeamsStatistics) statistics() *RestoreStatistics {
	st := &RestoreStatistics{Total: w.TotalItemsCount, Restored: w.RestoredItemsCount, Failed: w.FailedItemsCount, Skipped: w.SkippedItemsCount}
	st.addIssues(w.RestoreIssues)
	return st
}

// wireSessionStatistics is v8's RESTRestoreSessionStatistics.
type wireSessionStatistics struct {
	TotalItemsCount    int64             `json:"totalItemsCount"`
	RestoredItemsCount int64             `json:"restoredItemsCount"`
	FailedItemsCount   int64             `json:"failedItemsCount"`
	SkippedItemsCount  int64             `json:"skippedItemsCount"`
	Warnings           []string          `json:"warnings"`
	Errors             []string          `json:"errors"`
	Items              []wireItemDetails `json:"items"`
}

// wireItemDetails is v8's RESTItemRestoreDetailsComposed, as far as a
// report needs it.
type wireItemDetails struct {
	Title        string   `json:"title"`
	Name         string   `json:"name"`
	Error        string   `json:"error"`
	ItemType     string   `json:"itemType"`
	Status       string   `json:"status"`
	Path         string   `json:"path"`
	Warnings     []string `json:"warnings"`
	MailboxEmail string   `json:"mailboxEmail"`
	OneDriveURL  string   `json:"oneDriveUrl"`
	// The counts of a mailbox's details (RESTBulkMailboxItemRestoreDetails):
	// created are missing items restored, merged changed items restored.
	CreatedMailboxItemsCount *int64 `json:"createdMailboxItemsCount"`
	MergedMailboxItemsCount  *int64 `json:"mergedMailboxItemsCount"`
	FailedMailboxItemsCount  *int64 `json:"failedMailboxItemsCount"`
	SkippedMailboxItemsCount *int64 `json:"skippedMailboxItemsCount"`
}

// counts are the details' own item counts: a mailbox's, when VB365 gives
// any of them; nil otherwise.
func (it *wireItemDetails) counts() *ItemCounts {
	if it.CreatedMailboxItemsCount == nil && it.MergedMailboxItemsCount == nil && it.FailedMailboxItemsCount == nil && it.SkippedMailboxItemsCount == nil {
		return nil
	}
	n := func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	}
	c := &ItemCounts{Restored: n(it.CreatedMailboxItemsCount) + n(it.MergedMailboxItemsCount), Failed: n(it.FailedMailboxItemsCount),
		Skipped: n(it.SkippedMailboxItemsCount)}
	c.Total = c.Restored + c.Failed + c.Skipped
	return c
}

var decodeSessionStatistics = decodeStatistics[wireSessionStatistics]

func (w *wireSessionStatistics) statistics() *RestoreStatistics {
	st := &RestoreStatistics{Total: w.TotalItemsCount, Restored: w.RestoredItemsCount, Failed: w.FailedItemsCount,
		Skipped: w.SkippedItemsCount, Warnings: w.Warnings, Errors: w.Errors}
	for _, it := range w.Items {
		name := it.Name
		for _, alt := range []string{it.MailboxEmail, it.OneDriveURL, it.Title} {
			if name == "" {
				name = alt
			}
		}
		st.Items = append(st.Items, RestoredItem{Name: name, Type: it.ItemType, Status: it.Status, Path: it.Path, Error: it.Error, Warnings: it.Warnings,
			MailboxEmail: it.MailboxEmail, OneDriveURL: it.OneDriveURL, Counts: it.counts()})
	}
	return st
}
