package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/vb365-restore/vb365-restore/vb365"
)

// errListShifting is returned when VB365's list kept moving under a read:
// retryable (mapError makes it a VB365Unavailable), a later read may find it
// still.
var errListShifting = errors.New("the list kept changing while it was read")

// maxListRestarts bounds how often readAll starts over after a shift.
const maxListRestarts = 3

// listPage reads the page at offset of a VB365 collection.
type listPage[T any] func(ctx context.Context, offset int) (*vb365.Page[T], error)

// readAll reads every item of a paged VB365 collection, de-duplicated by
// key, whatever order VB365 lists them in and while items are added: the
// items visitAll visits, in the order visited.
func readAll[T any](ctx context.Context, read listPage[T], key func(T) string, maxPages int) ([]T, error) {
	var out []T
	if err := visitAll(ctx, read, key, maxPages, func(it T) { out = append(out, it) }); err != nil {
		return nil, err
	}
	return out, nil
}

// visitAll calls visit once for every item of a paged VB365 collection,
// de-duplicated by key, whatever order VB365 lists them in and while items
// are added. Only the keys seen are held between pages, so a caller that
// keeps a few of the items (or a field of each) holds no more than that.
// When it fails, the items visited so far are not the whole list: the
// caller drops what it kept of them.
//
// VB365 does not promise an order that holds from one page to the next, and
// items added while the client pages shift the offsets. Offsets are only a
// hint: each page after the first starts one item before where the previous
// ended, so that at least one item of a page that lines up was seen before.
// Items inserted before the read position push items to later offsets; they
// are read twice and visited once. A page with no item seen before means the
// list moved the other way (an item removed, or the order changed) and items
// may have been skipped: the read starts over, keeping what it found, at
// most maxListRestarts times, then fails with errListShifting. At most
// maxPages pages are read in all; more also fails, rather than return part
// of the list as if it were all.
func visitAll[T any](ctx context.Context, read listPage[T], key func(T) string, maxPages int, visit func(T)) error {
	seen := map[string]struct{}{}
	offset, restarts, first := 0, 0, true
	for range maxPages {
		page, err := read(ctx, offset)
		if err != nil {
			return err
		}
		known := false
		for _, it := range page.Results {
			k := key(it)
			if _, ok := seen[k]; ok {
				known = true
				continue
			}
			seen[k] = struct{}{}
			visit(it)
		}
		switch {
		case !first && !known && len(page.Results) > 0:
			if restarts == maxListRestarts {
				return errListShifting
			}
			restarts++
			offset, first = 0, true
			continue
		case !page.HasNext || len(page.Results) == 0:
			return nil
		}
		first = false
		step := len(page.Results)
		if step > 1 {
			step-- // overlap by one item
		}
		offset += step
	}
	return fmt.Errorf("more than %d pages; not read to the end", maxPages)
}
