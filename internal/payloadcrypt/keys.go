// Package payloadcrypt keeps restore data out of plain sight in Temporal: a
// payload codec that encrypts every payload with AES-256-GCM under a named
// key, the data and failure converters built on it, and the key file they
// read. The worker, the starter, the dev stack and the codec server share it,
// so whatever one encrypts the others decode.
package payloadcrypt

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// KeySize is the size of an AES-256 key in bytes.
const KeySize = 32

// keyIDPattern keeps key ids printable and short: they are shown in errors and
// stored in every payload's metadata, unencrypted.
var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// KeyFileError is a key file that cannot be used. It names the file and the
// problem, never a key.
type KeyFileError struct {
	File    string
	Problem string
}

func (e *KeyFileError) Error() string {
	return fmt.Sprintf("payload key file %s: %s", e.File, e.Problem)
}

// Keys are the payload keys by id and the id of the one that encrypts. Every
// key decodes, so a key can be rotated: make a new one current, keep the old
// one until no history needs it. Keys never print a key: fmt, JSON and slog
// see the ids only.
type Keys struct {
	current  string
	compress bool
	keys     map[string][]byte
}

// Current is the id of the key new payloads are encrypted with.
func (k *Keys) Current() string { return k.current }

// IDs lists every key id, sorted.
func (k Keys) IDs() []string {
	ids := make([]string, 0, len(k.keys))
	for id := range k.keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Compress reports whether payloads are compressed before encryption.
func (k *Keys) Compress() bool { return k.compress }

// String names the current key and every key id. The methods that print take
// a value, so that a Keys value prints like a pointer to one.
func (k Keys) String() string {
	return fmt.Sprintf("payload keys (current %s; ids %s; compress %t)", k.current, strings.Join(k.IDs(), ","), k.compress)
}

// GoString keeps %#v from printing the keys.
func (k Keys) GoString() string { return k.String() }

// MarshalText keeps encoders from printing the keys.
func (k Keys) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// LogValue keeps slog from printing the keys.
func (k Keys) LogValue() slog.Value { return slog.StringValue(k.String()) }

// keyFile is the file's layout, JSON or YAML:
//
//	current: "2026-11"
//	compress: true
//	keys:
//	  "2026-05": "<base64 of 32 random bytes>"
//	  "2026-11": "<base64 of 32 random bytes>"
type keyFile struct {
	Current  string            `json:"current"`
	Compress bool              `json:"compress"`
	Keys     map[string]string `json:"keys"`
}

// LoadKeysFile reads a key file (JSON or YAML). Its errors are *KeyFileError.
func LoadKeysFile(path string) (*Keys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		problem := "cannot be read"
		if errors.As(err, &pe) {
			problem = "cannot be read: " + pe.Err.Error()
		}
		return nil, &KeyFileError{File: path, Problem: problem}
	}
	return ParseKeys(b, path)
}

// ParseKeys reads a key file's contents; name is the file named in errors.
// Each key must be the standard or URL base64 of exactly 32 bytes.
func ParseKeys(data []byte, name string) (*Keys, error) {
	fail := func(format string, args ...any) (*Keys, error) {
		return nil, &KeyFileError{File: name, Problem: fmt.Sprintf(format, args...)}
	}
	if strings.TrimSpace(string(data)) == "" {
		return fail("is empty: want current and keys (key id: base64 of %d bytes)", KeySize)
	}
	var f keyFile
	// The parser's own message is not shown: it may quote the file's text.
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return fail("is not a JSON or YAML object of current, compress and keys (key id: base64 of %d bytes)", KeySize)
	}
	if len(f.Keys) == 0 {
		return fail("has no keys: want keys (key id: base64 of %d bytes)", KeySize)
	}
	k := &Keys{current: f.Current, compress: f.Compress, keys: make(map[string][]byte, len(f.Keys))}
	ids := make([]string, 0, len(f.Keys))
	for id := range f.Keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if !keyIDPattern.MatchString(id) {
			return fail("key id %q: want 1 to 64 letters, digits, '.', '_' or '-'", id)
		}
		key, err := decodeKey(f.Keys[id])
		if err != nil {
			return fail("key %s is not base64", id)
		}
		if len(key) != KeySize {
			return fail("key %s has %d bytes: want %d (AES-256)", id, len(key), KeySize)
		}
		k.keys[id] = key
	}
	switch {
	case f.Current == "":
		return fail("names no current key: want current set to one of %s", strings.Join(ids, ", "))
	case k.keys[f.Current] == nil:
		return fail("current key %q is not among the keys (%s)", f.Current, strings.Join(ids, ", "))
	}
	return k, nil
}

func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// NewKeyFile returns the contents of a key file with one fresh random key,
// id, as the current one.
func NewKeyFile(id string, compress bool) ([]byte, error) {
	if !keyIDPattern.MatchString(id) {
		return nil, fmt.Errorf("key id %q: want 1 to 64 letters, digits, '.', '_' or '-'", id)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return json.MarshalIndent(keyFile{Current: id, Compress: compress, Keys: map[string]string{id: base64.StdEncoding.EncodeToString(key)}}, "", "  ")
}

// EnsureKeyFile creates path (mode 0600) with one fresh key, id, unless it
// exists, and loads it. A development stack keeps its keys between runs so
// that its earlier histories still decode.
func EnsureKeyFile(path, id string, compress bool) (*Keys, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		b, err := NewKeyFile(id, compress)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, &KeyFileError{File: path, Problem: "cannot be written: " + err.Error()}
		}
	}
	return LoadKeysFile(path)
}
