package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// pointInTimeChoice is what the workflow asks VB365 to open and what it
// reports.
type pointInTimeChoice struct {
	// Send is the datetime of the explore request.
	Send time.Time
	// Effective is the restore point the session shows.
	Effective time.Time
	// ClampedToLatest is true when the requested point was after the last
	// backup, so VB365 opens the latest restore point.
	ClampedToLatest bool
}

// resolveWindow checks the requested point in time (nil = latest) against
// the organization's backup window. It is pure.
//
// After lastBackuptime the requested time is still sent (VB365 opens the
// latest restore point for it, as Veeam's v5 "Create Restore Session" example shows); the report says
// so. Before firstBackuptime VB365 would open an empty session, which is
// almost always a mistake, hence an error unless allowBefore.
func resolveWindow(org vb365.Organization, requested *time.Time, allowBefore bool) (pointInTimeChoice, error) {
	name := orgLabel(org)
	if !org.IsBackedUp || org.LastBackupTime == nil {
		return pointInTimeChoice{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("organizationId %q: organization %s has no backup (isBackedup=%t, lastBackuptime missing=%t)",
				org.ID, name, org.IsBackedUp, org.LastBackupTime == nil), ErrOrganizationNotBackedUp, nil)
	}
	last := org.LastBackupTime.UTC()
	if requested == nil {
		return pointInTimeChoice{Send: last, Effective: last}, nil
	}
	t := requested.UTC()
	if org.FirstBackupTime != nil && t.Before(*org.FirstBackupTime) && !allowBefore {
		return pointInTimeChoice{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("pointInTime %q: before the first backup of organization %s (%s); set beforeFirstBackup to allow to open an empty session anyway",
				t.Format(time.RFC3339Nano), name, org.FirstBackupTime.UTC().Format(time.RFC3339)),
			ErrPointInTimeBeforeFirstBackup, nil)
	}
	if t.After(last) {
		return pointInTimeChoice{Send: t, Effective: last, ClampedToLatest: true}, nil
	}
	return pointInTimeChoice{Send: t, Effective: t}, nil
}

func orgLabel(org vb365.Organization) string {
	if org.Name != "" {
		return fmt.Sprintf("%q", org.Name)
	}
	return fmt.Sprintf("%q", org.ID)
}
