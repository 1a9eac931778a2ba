package vb365sim

import (
	"bytes"
	"encoding/json"
)

// Wire structs: the JSON the simulated server writes. Field order follows the
// v5 "Create Restore Session" reference example and Veeam's documents.

// wireError is RESTExceptionInfo: message on every version, errorCode from
// v7 (whose enum holds only ProxyOffline), stackTrace on v8. v8 writes both
// nullable members always.
type wireError struct {
	Message    string          `json:"message"`
	ErrorCode  json.RawMessage `json:"errorCode,omitempty"`
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
}

type wireTokenError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	Message          string `json:"message"`
}

type wireToken struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	UserName     string `json:"userName"`
	Issued       string `json:".issued"`
	Expires      string `json:".expires"`
}

type wireServiceInstance struct {
	InstallationID string `json:"installationId"`
	Version        string `json:"version"`
}

// wireLinks is a HAL link dictionary that keeps its keys in insertion order.
type wireLinks []namedLink

type namedLink struct {
	name string
	href string
}

func (l wireLinks) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, n := range l {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(marshalNoEscape(n.name))
		b.WriteString(`:{"href":`)
		b.Write(marshalNoEscape(n.href))
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalNoEscape is json.Marshal without HTML escaping (links keep '&').
func marshalNoEscape(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte("null")
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

type wireOrganization struct {
	ID                 string          `json:"id"`
	Name               string          `json:"name"`
	OfficeName         string          `json:"officeName"`
	Type               string          `json:"type"`
	Region             string          `json:"region"`
	IsExchangeOnline   bool            `json:"isExchangeOnline"`
	IsSharePointOnline bool            `json:"isSharePointOnline"`
	IsTeamsOnline      bool            `json:"isTeamsOnline"`
	IsBackedup         *bool           `json:"isBackedup,omitempty"`
	FirstBackuptime    json.RawMessage `json:"firstBackuptime,omitempty"`
	LastBackuptime     json.RawMessage `json:"lastBackuptime,omitempty"`
	Links              wireLinks       `json:"_links,omitempty"`
}

type wireSession struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Organization   string          `json:"organization"`
	Type           string          `json:"type"`
	CreationTime   string          `json:"creationTime"`
	EndTime        json.RawMessage `json:"endTime,omitempty"`
	State          string          `json:"state"`
	Result         string          `json:"result"`
	InitiatedBy    string          `json:"initiatedBy"`
	Details        string          `json:"details,omitempty"`
	ETag           *int64          `json:"eTag,omitempty"`
	Links          wireLinks       `json:"_links,omitempty"`
	OrganizationID string          `json:"organizationId,omitempty"` // control endpoint only
	EventCount     *int            `json:"eventCount,omitempty"`     // control endpoint only
	CreatedBy      string          `json:"createdBy,omitempty"`      // control endpoint only
}

// wireBackupOrganization is RESTBackupOrganization, the organization of a
// restore session.
type wireBackupOrganization struct {
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	Type  string    `json:"type"`
	Links wireLinks `json:"_links,omitempty"`
}

// wireStatistics is v8's RESTRestoreSessionStatistics.
type wireStatistics struct {
	TotalItemsCount    int64             `json:"totalItemsCount"`
	RestoredItemsCount int64             `json:"restoredItemsCount"`
	FailedItemsCount   int64             `json:"failedItemsCount"`
	SkippedItemsCount  int64             `json:"skippedItemsCount"`
	Warnings           []string          `json:"warnings"`
	Errors             []string          `json:"errors"`
	Items              []wireItemDetails `json:"items"`
}

type wireEvent struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	Status         string          `json:"status"`
	Title          string          `json:"title,omitempty"`
	Message        string          `json:"message"`
	StartTime      string          `json:"startTime"`
	EndTime        json.RawMessage `json:"endTime,omitempty"`
	Duration       string          `json:"duration"`
	Order          int             `json:"order"`
	ItemName       string          `json:"itemName,omitempty"`
	ItemType       string          `json:"itemType,omitempty"`
	ItemSizeBytes  *int64          `json:"itemSizeBytes,omitempty"`
	Source         string          `json:"source,omitempty"`
	Target         string          `json:"target,omitempty"`
	OrganizationID string          `json:"organizationId,omitempty"` // v8
	Links          wireLinks       `json:"_links,omitempty"`
}

type wirePage[T any] struct {
	Offset     int       `json:"offset"`
	Limit      int       `json:"limit"`
	SetID      string    `json:"setId,omitempty"`
	Results    []T       `json:"results"`
	Links      wireLinks `json:"_links,omitempty"`
	TotalCount *int      `json:"totalCount,omitempty"` // v6 and v7
}

// exploreOptions is the body of v6+ explore and the "explore" member of v5's
// action. encoding/json matches names case-insensitively, so both the v5
// "datetime" and the v6+ "dateTime" land in DateTime.
type exploreOptions struct {
	DateTime        *string `json:"dateTime"`
	Type            *string `json:"type"`
	ShowDeleted     *bool   `json:"showDeleted"`
	ShowAllVersions *bool   `json:"showAllVersions"`
	RepositoryID    *string `json:"repositoryId"`
}

type v5OrganizationAction struct {
	Explore *exploreOptions `json:"explore"`
}

// jsonTime renders a time as a JSON string, or null for nil.
func jsonTime(t *timeValue) json.RawMessage {
	if t == nil {
		return json.RawMessage("null")
	}
	b, _ := json.Marshal(fmtTime(t.Time))
	return b
}

// jsonStringOrNull renders s as a JSON string, or null when empty.
func jsonStringOrNull(s string) json.RawMessage {
	if s == "" {
		return json.RawMessage("null")
	}
	return marshalNoEscape(s)
}
