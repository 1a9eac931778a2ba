package payloadcrypt

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/vb365-restore/vb365-restore/internal/historytest"
	"github.com/vb365-restore/vb365-restore/workflows"
)

// testKey is a fixed key: its base64 must never appear in an error or a log.
func testKey(b byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, KeySize))
}

func keysOf(t *testing.T, current string, compress bool, ids ...string) *Keys {
	t.Helper()
	m := map[string]string{}
	for i, id := range ids {
		m[id] = testKey(byte('A' + i))
	}
	b, err := json.Marshal(keyFile{Current: current, Compress: compress, Keys: m})
	require.NoError(t, err)
	k, err := ParseKeys(b, "test-keys.json")
	require.NoError(t, err)
	return k
}

const secretText = "Board minutes.docx of Contoso Ltd"

func TestRoundTrip(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("compress=%t", compress), func(t *testing.T) {
			dc := DataConverter(keysOf(t, "k1", compress, "k1"))
			value := strings.Repeat(secretText+" ", 20)
			p1, err := dc.ToPayload(value)
			require.NoError(t, err)
			p2, err := dc.ToPayload(value)
			require.NoError(t, err)

			assert.Equal(t, Encoding, string(p1.Metadata[converter.MetadataEncoding]))
			assert.Equal(t, "k1", string(p1.Metadata[MetadataKeyID]))
			assert.Equal(t, Cipher, string(p1.Metadata[MetadataCipher]))
			assert.NotContains(t, string(p1.Data), "Board minutes")
			assert.NotEqual(t, p1.Data, p2.Data, "each payload gets a fresh nonce")

			var got string
			require.NoError(t, dc.FromPayload(p1, &got))
			assert.Equal(t, value, got)

			// Compression runs before encryption: the inner payload is zlib.
			inner, err := NewCodec(keysOf(t, "k1", compress, "k1")).Decode([]*commonpb.Payload{p1})
			require.NoError(t, err)
			isZlib := string(inner[0].Metadata[converter.MetadataEncoding]) == "binary/zlib"
			assert.Equal(t, compress, isZlib)
			if compress {
				assert.Less(t, len(p1.Data), len(value)/2, "a repetitive value shrinks")
			}
		})
	}
}

func TestTamperedPayloadDoesNotDecode(t *testing.T) {
	c := NewCodec(keysOf(t, "k1", false, "k1"))
	enc, err := c.Encode([]*commonpb.Payload{{Data: []byte(secretText)}})
	require.NoError(t, err)
	enc[0].Data[len(enc[0].Data)-1] ^= 1
	_, err = c.Decode(enc)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"k1"`)

	enc, err = c.Encode([]*commonpb.Payload{{Data: []byte(secretText)}})
	require.NoError(t, err)
	enc[0].Metadata[MetadataCipher] = []byte("AES128-CBC")
	_, err = c.Decode(enc)
	require.ErrorContains(t, err, `cipher "AES128-CBC"`)
	enc[0].Metadata[MetadataCipher] = []byte(Cipher)
	enc[0].Data = enc[0].Data[:5]
	_, err = c.Decode(enc)
	require.ErrorContains(t, err, "truncated")
}

// Rotation: payloads written under A and under B both decode once B is the
// current key, and new payloads use B.
func TestRotation(t *testing.T) {
	underA := keysOf(t, "A", false, "A")
	pa, err := DataConverter(underA).ToPayload("written under A")
	require.NoError(t, err)

	rotated := keysOf(t, "B", false, "A", "B")
	dc := DataConverter(rotated)
	pb, err := dc.ToPayload("written under B")
	require.NoError(t, err)
	assert.Equal(t, "B", string(pb.Metadata[MetadataKeyID]))

	var a, b string
	require.NoError(t, dc.FromPayload(pa, &a))
	require.NoError(t, dc.FromPayload(pb, &b))
	assert.Equal(t, "written under A", a)
	assert.Equal(t, "written under B", b)
}

func TestUnknownKeyNamesTheKeyID(t *testing.T) {
	p, err := DataConverter(keysOf(t, "2026-11", false, "2026-11")).ToPayload(secretText)
	require.NoError(t, err)
	_, err = NewCodec(keysOf(t, "2026-05", false, "2026-05")).Decode([]*commonpb.Payload{p})
	var uk *UnknownKeyError
	require.ErrorAs(t, err, &uk)
	assert.Equal(t, "2026-11", uk.KeyID)
	assert.Contains(t, err.Error(), `"2026-11"`)
}

func TestPassThroughOfPlainPayloads(t *testing.T) {
	plain, err := converter.GetDefaultDataConverter().ToPayload(secretText)
	require.NoError(t, err)
	dc := DataConverter(keysOf(t, "k1", true, "k1"))
	var got string
	require.NoError(t, dc.FromPayload(plain, &got))
	assert.Equal(t, secretText, got)
}

func TestFailureMessagesAreEncrypted(t *testing.T) {
	dc, fc := Converters(keysOf(t, "k1", false, "k1"))
	require.NotNil(t, dc)
	f := fc.ErrorToFailure(errors.New("cannot restore " + secretText))
	assert.NotContains(t, f.GetMessage(), "Board minutes")
	assert.NotContains(t, f.GetStackTrace(), "Board minutes")
	require.NotNil(t, f.GetEncodedAttributes())
	assert.Equal(t, "k1", string(f.GetEncodedAttributes().Metadata[MetadataKeyID]))
	assert.Contains(t, fc.FailureToError(f).Error(), "Board minutes")
}

func TestConvertersOffWithoutKeys(t *testing.T) {
	dc, fc := Converters(nil)
	assert.Nil(t, dc)
	assert.Nil(t, fc)
	var opts client.Options
	Apply(&opts, nil)
	assert.Nil(t, opts.DataConverter)
	Apply(&opts, keysOf(t, "k1", false, "k1"))
	assert.NotNil(t, opts.DataConverter)
	assert.NotNil(t, opts.FailureConverter)
}

func recordedHistories(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join("..", "..", "workflows", "testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// replayer replays file with keys, on a worker with the bounds the file was
// recorded with.
func replayer(t *testing.T, keys *Keys, file string) worker.WorkflowReplayer {
	dc, fc := Converters(keys)
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: fc})
	require.NoError(t, err)
	b := historytest.RecordedRestoreBounds(file)
	workflows.RegisterWorkflowWithOptions(r, workflows.Options{BatchesPerRun: b.BatchesPerRun, StopConfirmBound: b.StopConfirmBound})
	return r
}

// Histories written before encryption was turned on replay on a worker that
// encrypts: the codec passes through the payloads it did not encode.
func TestRecordedPlainHistoriesReplayWithEncryption(t *testing.T) {
	for _, f := range recordedHistories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			require.NoError(t, replayer(t, keysOf(t, "k1", true, "k1"), f).ReplayWorkflowHistoryFromJSONFile(nil, f))
		})
	}
}

// The same histories with every payload encrypted replay too, and a worker
// without the key cannot replay them.
func TestRecordedHistoriesReplayEncrypted(t *testing.T) {
	keys := keysOf(t, "k1", true, "k1")
	codecs := Codecs(keys)
	for _, f := range recordedHistories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r, err := os.Open(f)
			require.NoError(t, err)
			defer r.Close()
			h, err := client.HistoryFromJSON(r, client.HistoryJSONOptions{})
			require.NoError(t, err)
			encrypted := 0
			require.NoError(t, proxy.VisitPayloads(context.Background(), h, proxy.VisitPayloadsOptions{
				SkipSearchAttributes: true,
				Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
					encrypted += len(ps)
					for i := len(codecs) - 1; i >= 0; i-- {
						var err error
						if ps, err = codecs[i].Encode(ps); err != nil {
							return nil, err
						}
					}
					return ps, nil
				},
			}))
			require.Positive(t, encrypted)
			require.NoError(t, replayer(t, keys, f).ReplayWorkflowHistory(nil, h))
			if strings.Contains(filepath.Base(f), "invalid-request") {
				// A run that fails on its input fails the same way when the
				// input cannot be decoded: its commands match whatever the key.
				return
			}
			quiet := log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
			require.Error(t, replayer(t, keysOf(t, "other", false, "other"), f).ReplayWorkflowHistory(quiet, h))
		})
	}
}

func TestKeyFileErrors(t *testing.T) {
	dir := t.TempDir()
	short := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")) // 16 bytes
	cases := []struct {
		name, content, want string
	}{
		{"empty", "", "is empty"},
		{"malformed", "current: [k1\nkeys: {k1: " + testKey('x') + "}", "is not a JSON or YAML object"},
		{"unknown field", "current: k1\nkey: {k1: " + testKey('x') + "}", "is not a JSON or YAML object"},
		{"no keys", "current: k1\n", "has no keys"},
		{"short key", "current: k1\nkeys: {k1: " + short + "}", "key k1 has 16 bytes: want 32"},
		{"not base64", "current: k1\nkeys: {k1: 'not*base64*" + testKey('x') + "'}", "key k1 is not base64"},
		{"no current", "keys: {k1: " + testKey('x') + "}", "names no current key"},
		{"current unknown", "current: k2\nkeys: {k1: " + testKey('x') + "}", `current key "k2" is not among the keys (k1)`},
		{"bad key id", "current: 'k 1'\nkeys: {'k 1': " + testKey('x') + "}", `key id "k 1"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
			require.NoError(t, os.WriteFile(path, []byte(c.content), 0o600))
			_, err := LoadKeysFile(path)
			var kfe *KeyFileError
			require.ErrorAs(t, err, &kfe)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), testKey('x'))
			assert.NotContains(t, err.Error(), short)
			assert.NotContains(t, err.Error(), "0123456789abcdef")
		})
	}
	t.Run("missing", func(t *testing.T) {
		path := filepath.Join(dir, "absent.json")
		_, err := LoadKeysFile(path)
		require.ErrorContains(t, err, "payload key file "+path+": cannot be read")
	})
}

func TestKeyFileFormats(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "keys.json")
	require.NoError(t, os.WriteFile(js, []byte(`{"current":"b","compress":true,"keys":{"a":"`+testKey(1)+`","b":"`+testKey(2)+`"}}`), 0o600))
	k, err := LoadKeysFile(js)
	require.NoError(t, err)
	assert.Equal(t, "b", k.Current())
	assert.Equal(t, []string{"a", "b"}, k.IDs())
	assert.True(t, k.Compress())

	y := filepath.Join(dir, "keys.yaml")
	require.NoError(t, os.WriteFile(y, []byte("current: a\nkeys:\n  a: "+testKey(1)+"\n"), 0o600))
	k, err = LoadKeysFile(y)
	require.NoError(t, err)
	assert.Equal(t, "a", k.Current())
	assert.False(t, k.Compress())
}

func TestKeysNeverPrint(t *testing.T) {
	k := keysOf(t, "k1", false, "k1")
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("keys", "keys", k)
	js, err := json.Marshal(map[string]any{"keys": k})
	require.NoError(t, err)
	raw := string(bytes.Repeat([]byte{'A'}, KeySize))
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k), fmt.Sprintf("%v", *k), string(js), logBuf.String()} {
		assert.NotContains(t, s, testKey('A'))
		assert.NotContains(t, s, raw)
		assert.NotContains(t, s, fmt.Sprint([]byte(raw)))
	}
	assert.Contains(t, fmt.Sprint(k), "current k1")
}

func TestEnsureKeyFileKeepsExistingKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	k1, err := EnsureKeyFile(path, "dev", true)
	require.NoError(t, err)
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	p, err := DataConverter(k1).ToPayload(secretText)
	require.NoError(t, err)
	k2, err := EnsureKeyFile(path, "dev", true)
	require.NoError(t, err)
	var got string
	require.NoError(t, DataConverter(k2).FromPayload(p, &got))
	assert.Equal(t, secretText, got)
}
