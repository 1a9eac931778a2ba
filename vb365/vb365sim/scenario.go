package vb365sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Scenario is the simulator's data, loaded from JSON with LoadScenario
// (`go run ./simulator --scenario FILE`). Durations are Go duration strings
// ("1.5s", "15m", "72h") or numbers of milliseconds. Example
// (simulator/scenario.example.json has a complete one):
//
//	{
//	  "organizations": [
//	    {
//	      "id": "3c424478-0811-4920-8aab-01f0bf2a2822",
//	      "name": "abc.onmicrosoft.com",
//	      "restorePoints": ["2020-10-02T22:00:00Z", "2020-10-30T10:29:05Z"],
//	      "restorePointsAgo": ["48h", "15m"],
//	      "sessionStopsAfter": "2m",
//	      "events": [ ... as the top-level "events" ... ]
//	    }
//	  ],
//	  "events": [
//	    {"offset": "500ms", "duration": "300ms", "type": "View", "status": "Success",
//	     "title": "Explore", "message": "Opened {org}", "itemName": "{org}",
//	     "itemType": "Organization", "itemSizeBytes": 0, "source": "", "target": ""}
//	  ],
//	  "sessionStopsAfter": "0s",
//	  "latency": [{"method": "POST", "path": "/v8/Organizations/*/explore", "delayMs": 250}]
//	}
//
// Organizations: id (UUID) and name are required. restorePoints are absolute
// times; restorePointsAgo are durations before the simulator's start (both
// may be given; an organization without any point was never backed up).
// firstBackuptime and lastBackuptime are the earliest and latest points.
//
// Events: the script every new restore session plays, relative to its
// creation time: an event appears at offset, is Running for duration, then
// takes its status. type is one of None, Save, Export, Send, Restore, View;
// status one of Running, Success, Warning, Failed, Cancelled, Skipped. Text
// fields may use the placeholders {org}, {type} (Exchange, SharePoint,
// OneDrive, Teams) and {session}. An organization's own events replace the
// top-level ones for its sessions; without any, the built-in script plays.
//
// sessionStopsAfter (top level or per organization): a session stops by
// itself that long after its creation, as when an operator closes Veeam
// Explorer; 0 or absent means it waits until stopped.
//
// latency: every request whose method (empty: any) and path match waits
// delayMs before it is handled; `*` matches one path segment, matching is
// case-insensitive.
type Scenario struct {
	// Behaviour: the server-wide real-world switches (clockSkew, timeZone,
	// stopDelay, stopIgnored, idleTimeout, maxOpenSessions, proxyOffline,
	// changeFeedOff).
	Behaviour
	// Users are more accounts beside the one of the command line or Options.
	Users             []ScenarioUser         `json:"users,omitempty"`
	Organizations     []ScenarioOrganization `json:"organizations"`
	Events            []ScriptedEvent        `json:"events,omitempty"`
	SessionStopsAfter Duration               `json:"sessionStopsAfter,omitempty"`
	Latency           []Latency              `json:"latency,omitempty"`
}

// ScenarioUser is an account of a Scenario.
type ScenarioUser struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// ScenarioOrganization is one organization of a Scenario.
type ScenarioOrganization struct {
	// Behaviour: the organization's own switches (all but clockSkew,
	// timeZone and changeFeedOff), which win over the server-wide ones for
	// its sessions.
	Behaviour
	ID                string          `json:"id"`
	Name              string          `json:"name"`
	OfficeName        string          `json:"officeName,omitempty"`
	RestorePoints     []time.Time     `json:"restorePoints,omitempty"`
	RestorePointsAgo  []Duration      `json:"restorePointsAgo,omitempty"`
	SessionStopsAfter Duration        `json:"sessionStopsAfter,omitempty"`
	Events            []ScriptedEvent `json:"events,omitempty"`
}

// ScriptedEvent is one event of a session's script.
type ScriptedEvent struct {
	Offset        Duration `json:"offset"`
	Duration      Duration `json:"duration,omitempty"`
	Type          string   `json:"type"`
	Status        string   `json:"status"`
	Title         string   `json:"title,omitempty"`
	Message       string   `json:"message"`
	ItemName      string   `json:"itemName,omitempty"`
	ItemType      string   `json:"itemType,omitempty"`
	ItemSizeBytes int64    `json:"itemSizeBytes,omitempty"`
	Source        string   `json:"source,omitempty"`
	Target        string   `json:"target,omitempty"`
	// Count repeats the event that many times at the same offset (0: once),
	// for sessions with tens of thousands of events.
	Count int `json:"count,omitempty"`
}

// Latency delays matching requests.
type Latency struct {
	Method  string `json:"method,omitempty"`
	Path    string `json:"path"`
	DelayMs int    `json:"delayMs"`
}

// Duration is a time.Duration that reads and writes JSON as a Go duration
// string ("1.5s"); it also reads a number of milliseconds.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a Go duration string or a number of milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	ms, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("duration %s: want a string like \"1.5s\" or milliseconds", b)
	}
	*d = Duration(ms * float64(time.Millisecond))
	return nil
}

// LoadScenario reads and validates a scenario JSON file.
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return &sc, nil
}

var (
	eventTypes    = []string{"None", "Save", "Export", "Send", "Restore", "View"}
	eventStatuses = []string{"Running", "Success", "Warning", "Failed", "Cancelled", "Skipped"}
)

// canonical returns the member of set equal to v ignoring case, or "".
func canonical(set []string, v string) string {
	for _, x := range set {
		if strings.EqualFold(x, v) {
			return x
		}
	}
	return ""
}

// Validate checks ids, names, event types and statuses.
func (sc *Scenario) Validate() error {
	seen := map[string]bool{}
	for i, o := range sc.Organizations {
		id, err := uuid.Parse(o.ID)
		if err != nil {
			return fmt.Errorf("organizations[%d]: id %q is not a UUID", i, o.ID)
		}
		if seen[id.String()] {
			return fmt.Errorf("organizations[%d]: duplicate id %s", i, o.ID)
		}
		seen[id.String()] = true
		if strings.TrimSpace(o.Name) == "" {
			return fmt.Errorf("organizations[%d]: name is required", i)
		}
		if err := validateScript(o.Events); err != nil {
			return fmt.Errorf("organizations[%d].%w", i, err)
		}
		if o.SessionStopsAfter < 0 {
			return fmt.Errorf("organizations[%d]: negative sessionStopsAfter", i)
		}
		if err := o.Behaviour.validate(true); err != nil {
			return fmt.Errorf("organizations[%d]: %w", i, err)
		}
	}
	if err := sc.Behaviour.validate(false); err != nil {
		return err
	}
	for i, u := range sc.Users {
		if strings.TrimSpace(u.Name) == "" {
			return fmt.Errorf("users[%d]: name is required", i)
		}
	}
	if err := validateScript(sc.Events); err != nil {
		return err
	}
	for i, l := range sc.Latency {
		if l.Path == "" || l.DelayMs < 0 {
			return fmt.Errorf("latency[%d]: path and a non-negative delayMs are required", i)
		}
	}
	if sc.SessionStopsAfter < 0 {
		return fmt.Errorf("negative sessionStopsAfter")
	}
	return nil
}

func validateScript(evs []ScriptedEvent) error {
	for i, e := range evs {
		if canonical(eventTypes, e.Type) == "" {
			return fmt.Errorf("events[%d]: type %q is not one of %v", i, e.Type, eventTypes)
		}
		if canonical(eventStatuses, e.Status) == "" {
			return fmt.Errorf("events[%d]: status %q is not one of %v", i, e.Status, eventStatuses)
		}
		if e.Offset < 0 || e.Duration < 0 {
			return fmt.Errorf("events[%d]: negative offset or duration", i)
		}
		if e.Message == "" {
			return fmt.Errorf("events[%d]: message is required", i)
		}
		if e.Count < 0 {
			return fmt.Errorf("events[%d]: negative count", i)
		}
	}
	return nil
}

// BuiltinScenario is the default data: the organization of Veeam's v5 example
// (abc.onmicrosoft.com, daily backups from 2020-10-02 to the last one at
// 2020-10-30T10:29:05Z), recent.onmicrosoft.com (backups every 6 hours for 3
// days, the last 15 minutes before start) and new.onmicrosoft.com (never
// backed up), with the built-in event script.
func BuiltinScenario() *Scenario {
	var seed []time.Time
	for d := time.Date(2020, 10, 2, 22, 0, 0, 0, time.UTC); d.Before(time.Date(2020, 10, 30, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
		seed = append(seed, d)
	}
	seed = append(seed, time.Date(2020, 10, 30, 10, 29, 5, 0, time.UTC))
	var recent []Duration
	for h := 72; h >= 6; h -= 6 {
		recent = append(recent, Duration(time.Duration(h)*time.Hour+15*time.Minute))
	}
	recent = append(recent, Duration(15*time.Minute))
	return &Scenario{
		Organizations: []ScenarioOrganization{
			{ID: SeedOrganizationID, Name: "abc.onmicrosoft.com", OfficeName: "abc", RestorePoints: seed},
			{ID: RecentOrganizationID, Name: "recent.onmicrosoft.com", OfficeName: "recent", RestorePointsAgo: recent},
			{ID: NeverBackedUpOrganizationID, Name: "new.onmicrosoft.com", OfficeName: "new"},
		},
		Events: builtinScript(),
	}
}

func builtinScript() []ScriptedEvent {
	ms := func(n int) Duration { return Duration(time.Duration(n) * time.Millisecond) }
	return []ScriptedEvent{
		{Offset: ms(200), Duration: ms(300), Type: "View", Status: "Success", Title: "Explore",
			Message: "Opened {type} backup of {org}", ItemName: "{org}", ItemType: "Organization"},
		{Offset: ms(1000), Duration: ms(450), Type: "View", Status: "Success", Title: "Browse",
			Message: "Browsed {type} items of Adele Vance", ItemName: "Adele Vance", ItemType: "User"},
		{Offset: ms(2000), Duration: ms(1234), Type: "Restore", Status: "Success", Title: "Restore",
			Message: "Restored Q3 budget.xlsx to the original location", ItemName: "Q3 budget.xlsx", ItemType: "File",
			ItemSizeBytes: 48213, Source: "{org}", Target: "{org}"},
		{Offset: ms(3000), Duration: ms(800), Type: "Save", Status: "Warning", Title: "Save",
			Message: "Saved 11 of 12 items of Project Falcon; 1 item skipped: file is too large", ItemName: "Project Falcon",
			ItemType: "Folder", ItemSizeBytes: 7340032, Source: "{org}", Target: "C:\\Restore\\Project Falcon"},
		{Offset: ms(4000), Duration: ms(600), Type: "Restore", Status: "Failed", Title: "Restore",
			Message: "Failed to restore Board minutes.docx: access denied", ItemName: "Board minutes.docx", ItemType: "File",
			ItemSizeBytes: 20480, Source: "{org}", Target: "{org}"},
		{Offset: ms(5000), Duration: ms(2500), Type: "Restore", Status: "Success", Title: "Restore",
			Message: "Restored 3 items of Adele Vance to the original location", ItemName: "Adele Vance", ItemType: "User",
			ItemSizeBytes: 1536000, Source: "{org}", Target: "{org}"},
	}
}

// loadScenario installs sc; start anchors restorePointsAgo.
func (s *Simulator) loadScenario(sc *Scenario, start time.Time) {
	s.orgs = nil
	s.orgByID = map[string]*organization{}
	for _, o := range sc.Organizations {
		org := &organization{
			id:         strings.ToLower(uuid.MustParse(o.ID).String()),
			name:       o.Name,
			officeName: o.OfficeName,
			stopAfter:  o.SessionStopsAfter.D(),
			script:     sortedScript(o.Events),
		}
		mergeOrgBehaviour(org, o.Behaviour)
		if org.officeName == "" {
			org.officeName = strings.SplitN(o.Name, ".", 2)[0]
		}
		for _, p := range o.RestorePoints {
			org.points = append(org.points, p.UTC())
		}
		for _, a := range o.RestorePointsAgo {
			org.points = append(org.points, start.Add(-a.D()).Truncate(time.Second))
		}
		sort.Slice(org.points, func(i, j int) bool { return org.points[i].Before(org.points[j]) })
		s.orgs = append(s.orgs, org)
		s.orgByID[org.id] = org
	}
	s.script = sortedScript(sc.Events)
	if len(s.script) == 0 {
		s.script = builtinScript()
	}
	s.stopAft = sc.SessionStopsAfter.D()
	s.latency = sc.Latency
	for _, u := range sc.Users {
		s.accounts[u.Name] = u.Password
	}
	s.mergeBehaviour(sc.Behaviour)
}

func sortedScript(evs []ScriptedEvent) []ScriptedEvent {
	out := make([]ScriptedEvent, len(evs))
	copy(out, evs)
	for i := range out {
		out[i].Type = canonical(eventTypes, out[i].Type)
		out[i].Status = canonical(eventStatuses, out[i].Status)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out
}
