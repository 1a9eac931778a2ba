package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/vb365-restore/vb365-restore/activities"
)

// actionGrammar is the --action grammar, in the help text and the README.
const actionGrammar = `--action KIND:TARGET[,OPTION=VALUE...] (repeatable, run in order)
  KIND     mailbox | mailboxes | onedrive | site | team | channel
  TARGET   an e-mail address (mailbox, onedrive), addresses separated by ';' (mailboxes),
           a site URL (site), a team's display name (team, channel)
  OPTION   any field of an action by its JSON name, case ignored:
             channel=NAME            the channel of a channel action
             to.mailbox=ADDRESS, to.oneDrive=ADDRESS, to.folder=NAME, to.siteUrl=URL
                                     restore elsewhere (default: the original location)
             credentialProfile=NAME  the worker's Microsoft 365 credentials to restore with
             documentAction, documentVersion, documentLastVersionAction=VALUE
             archive, changedItems, deletedItems, markRestoredAsUnread, excludeDrafts,
             excludeDeletedItems, excludeInPlaceHoldItems, excludeLitigationHoldItems,
             skipUnresolved, restorePermissions, sendSharedLinksNotification, restoreSubsites,
             restoreListViews, restoreMasterPages, restoreChangedItems, restoreMissingItems,
             restoreMembers, restoreSettings=true|false (alone: true)
  A ',' or '\' inside a value is written '\,' or '\\'.
  Example: --action 'mailbox:adele.vance@abc.onmicrosoft.com,to.mailbox=recovery@abc.onmicrosoft.com,to.folder=DR,credentialProfile=prod'`

// actionOption sets one option of an action from its text.
type actionOption struct {
	name string // as written in help and errors: the JSON name
	set  func(a *activities.RestoreAction, value string, bare bool) error
}

// actionOptions are the options of --action by lower-case name, made from
// the JSON names of activities.RestoreAction and RestoreLocation (under
// "to."), so that every field the workflow takes has an option and one
// rule names them. Target and targets come before the first comma.
var actionOptions, actionOptionNames = func() (map[string]actionOption, []string) {
	opts := map[string]actionOption{}
	var names []string
	add := func(prefix string, t reflect.Type, field func(a *activities.RestoreAction) reflect.Value) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" || name == "kind" || name == "target" || name == "targets" || name == "to" {
				continue
			}
			name = prefix + name
			idx := i
			typ := f.Type
			set := func(a *activities.RestoreAction, value string, bare bool) error {
				v := field(a).Field(idx)
				switch {
				case typ.Kind() == reflect.String:
					if bare {
						return fmt.Errorf("option %s needs a value (%s=...)", name, name)
					}
					v.SetString(value)
				case typ.Kind() == reflect.Bool, typ.Kind() == reflect.Pointer && typ.Elem().Kind() == reflect.Bool:
					b := true
					if !bare {
						var err error
						if b, err = strconv.ParseBool(value); err != nil {
							return fmt.Errorf("option %s: %q is not true or false", name, value)
						}
					}
					if typ.Kind() == reflect.Bool {
						v.SetBool(b)
					} else {
						v.Set(reflect.ValueOf(&b))
					}
				default:
					panic("starter: no --action syntax for field " + name + " of type " + typ.String())
				}
				return nil
			}
			opts[strings.ToLower(name)] = actionOption{name: name, set: set}
			names = append(names, name)
		}
	}
	add("", reflect.TypeFor[activities.RestoreAction](), func(a *activities.RestoreAction) reflect.Value {
		return reflect.ValueOf(a).Elem()
	})
	add("to.", reflect.TypeFor[activities.RestoreLocation](), func(a *activities.RestoreAction) reflect.Value {
		if a.To == nil {
			a.To = &activities.RestoreLocation{}
		}
		return reflect.ValueOf(a.To).Elem()
	})
	slices.Sort(names)
	return opts, names
}()

// actionKinds are the kinds --action takes.
var actionKinds = []string{activities.RestoreKindMailbox, activities.RestoreKindMailboxes, activities.RestoreKindOneDrive,
	activities.RestoreKindSite, activities.RestoreKindTeam, activities.RestoreKindChannel}

// parseAction reads one --action value (see actionGrammar). Its errors name
// the flag, the part at fault and its value; what the workflow's validation
// checks (a kind that does not fit the session type, a missing channel, a
// bad combination of options) is left to it.
func parseAction(spec string) (activities.RestoreAction, error) {
	var a activities.RestoreAction
	bad := func(format string, args ...any) error {
		return usageErrorf("--action %q: %s", spec, fmt.Sprintf(format, args...))
	}
	parts := splitEscaped(spec)
	kind, target, ok := strings.Cut(parts[0], ":")
	kind = strings.ToLower(strings.TrimSpace(kind))
	if !ok {
		return a, bad("no KIND:TARGET at the start (KIND is one of %s)", strings.Join(actionKinds, ", "))
	}
	if !slices.Contains(actionKinds, kind) {
		return a, bad("kind %q is not one of %s", kind, strings.Join(actionKinds, ", "))
	}
	a.Kind = kind
	target = strings.TrimSpace(target)
	if target == "" {
		return a, bad("no target after %q", kind+":")
	}
	if kind == activities.RestoreKindMailboxes {
		for t := range strings.SplitSeq(target, ";") {
			if t = strings.TrimSpace(t); t != "" {
				a.Targets = append(a.Targets, t)
			}
		}
	} else {
		a.Target = target
	}
	seen := map[string]bool{}
	for _, p := range parts[1:] {
		key, value, hasValue := strings.Cut(p, "=")
		key = strings.TrimSpace(key)
		if key == "" {
			return a, bad("an empty option (two commas, or a comma at the end?)")
		}
		opt, ok := actionOptions[strings.ToLower(key)]
		if !ok {
			return a, bad("unknown option %q (value %q); options are %s", key, value, strings.Join(actionOptionNames, ", "))
		}
		if seen[opt.name] {
			return a, bad("option %s given twice", opt.name)
		}
		seen[opt.name] = true
		if err := opt.set(&a, strings.TrimSpace(value), !hasValue); err != nil {
			return a, bad("%v", err)
		}
	}
	return a, nil
}

// splitEscaped splits s at commas that are not escaped by '\', and
// unescapes "\," and "\\".
func splitEscaped(s string) []string {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && (s[i+1] == ',' || s[i+1] == '\\'):
			b.WriteByte(s[i+1])
			i++
		case c == ',':
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(parts, b.String())
}

// readActionsFile reads --actions-file: a JSON array of actions, decoded
// strictly (an unknown or misspelt field is an error naming it and the
// action's index). "-" reads standard input.
func readActionsFile(path string, stdin io.Reader) ([]activities.RestoreAction, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, usageErrorf("--actions-file: %v", err)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, usageErrorf("--actions-file %s: not a JSON array of actions such as "+
			`[{"kind": "mailbox", "target": "adele.vance@abc.onmicrosoft.com"}]: %v`, path, err)
	}
	if len(raw) == 0 {
		return nil, usageErrorf("--actions-file %s: the array lists no action", path)
	}
	actions, err := decodeActions(raw)
	if err != nil {
		return nil, usageErrorf("--actions-file %s: %v", path, err)
	}
	return actions, nil
}

// decodeActions decodes each action strictly: an unknown field (a misspelt
// option) is an error naming it and the action's index, where the
// workflow's input would ignore it.
func decodeActions(raw []json.RawMessage) ([]activities.RestoreAction, error) {
	actions := make([]activities.RestoreAction, len(raw))
	for i, r := range raw {
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&actions[i]); err != nil {
			return nil, fmt.Errorf("action [%d]: %s", i, strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	return actions, nil
}
