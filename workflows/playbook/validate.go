package playbook

import (
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/vb365-restore/vb365-restore/workflows"
)

// validate checks the playbook's own fields. Each restore is validated by its
// child, so that one bad restore fails alone and is reported with its type.
func validate(in *Input) error {
	bad := func(format string, args ...any) error {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), workflows.ErrInvalidRequest, nil)
	}
	if len(in.Restores) == 0 {
		return bad("restores: the playbook %q lists no restore", in.Name)
	}
	if len(in.Restores) > MaxRestores {
		return bad("restores: %d restores, at most %d per playbook (split it)", len(in.Restores), MaxRestores)
	}
	switch {
	case in.MaxConcurrent == 0:
		in.MaxConcurrent = DefaultMaxConcurrent
	case in.MaxConcurrent < 0 || in.MaxConcurrent > MaxMaxConcurrent:
		return bad("maxConcurrent %d: want 1 to %d", in.MaxConcurrent, MaxMaxConcurrent)
	}
	return nil
}
