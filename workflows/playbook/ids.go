package playbook

import (
	"fmt"
	"strings"
)

// childWorkflowIDs derives one deterministic id per restore from the
// playbook's id, the organization and the type, so that a rerun of the same
// playbook id finds the same children and an operator can tell them apart.
// A repeated organization and type gets a numeric suffix.
func childWorkflowIDs(playbookID string, in Input) []string {
	ids := make([]string, len(in.Restores))
	seen := map[string]int{}
	for i, r := range in.Restores {
		base := fmt.Sprintf("%s/%s/%s", playbookID, strings.TrimSpace(r.OrganizationID), strings.ToLower(strings.TrimSpace(r.Type)))
		seen[base]++
		if n := seen[base]; n > 1 {
			base = fmt.Sprintf("%s-%d", base, n)
		}
		ids[i] = base
	}
	return ids
}
