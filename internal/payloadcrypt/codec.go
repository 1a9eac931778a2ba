package payloadcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload. The key id and the cipher are stored in
// plain text beside the ciphertext so that any holder of the key file, and
// only one, can decode it.
const (
	// Encoding is the payload encoding of an encrypted payload.
	Encoding = "binary/encrypted"
	// MetadataKeyID names the key a payload was encrypted with.
	MetadataKeyID = "encryption-key-id"
	// MetadataCipher names the cipher; AES-256-GCM is the only one.
	MetadataCipher = "encryption-cipher"
	// Cipher is the value of MetadataCipher.
	Cipher = "AES256-GCM"
)

// UnknownKeyError is a payload encrypted with a key the key file lacks.
type UnknownKeyError struct {
	KeyID string
}

func (e *UnknownKeyError) Error() string {
	return fmt.Sprintf("payload encrypted with key %q, which is not in the payload key file (add it back to decode)", e.KeyID)
}

// Codec encrypts each payload (the whole payload, metadata included) with
// AES-256-GCM under the current key and a fresh random nonce; the key id is
// the additional data, so a payload cannot be moved under another id.
// Decode passes through payloads it did not encode, so histories written
// before encryption was turned on still decode.
type Codec struct {
	keys *Keys
}

// NewCodec returns the encrypting codec for keys.
func NewCodec(keys *Keys) *Codec { return &Codec{keys: keys} }

func (c *Codec) aead(id string) (cipher.AEAD, error) {
	key, ok := c.keys.keys[id]
	if !ok {
		return nil, &UnknownKeyError{KeyID: id}
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", id, err)
	}
	return cipher.NewGCM(block)
}

// Encode implements converter.PayloadCodec.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.keys.current
	gcm, err := c.aead(id)
	if err != nil {
		return payloads, err
	}
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("encrypt payload: %w", err)
		}
		nonce := make([]byte, gcm.NonceSize(), gcm.NonceSize()+len(plain)+gcm.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return payloads, fmt.Errorf("encrypt payload: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(Encoding),
				MetadataKeyID:              []byte(id),
				MetadataCipher:             []byte(Cipher),
			},
			Data: gcm.Seal(nonce, nonce, plain, []byte(id)),
		}
	}
	return out, nil
}

// Decode implements converter.PayloadCodec.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p // not ours: written before encryption, or by another codec
			continue
		}
		if got := string(p.Metadata[MetadataCipher]); got != Cipher {
			return payloads, fmt.Errorf("encrypted payload: cipher %q: want %s", got, Cipher)
		}
		id := string(p.Metadata[MetadataKeyID])
		gcm, err := c.aead(id)
		if err != nil {
			return payloads, err
		}
		if len(p.Data) < gcm.NonceSize() {
			return payloads, fmt.Errorf("encrypted payload under key %q is truncated", id)
		}
		nonce, sealed := p.Data[:gcm.NonceSize()], p.Data[gcm.NonceSize():]
		plain, err := gcm.Open(nil, nonce, sealed, []byte(id))
		if err != nil {
			return payloads, fmt.Errorf("encrypted payload under key %q does not decrypt (altered, or another key of that id)", id)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return payloads, fmt.Errorf("encrypted payload under key %q: %w", id, err)
		}
		out[i] = &dec
	}
	return out, nil
}

// Codecs is the codec chain in converter order: encryption outermost, then
// zlib compression when the key file asks for it. Decoding always tries zlib,
// which passes through what it did not compress, so compression can be
// switched either way at any time.
func Codecs(keys *Keys) []converter.PayloadCodec {
	var zlib converter.PayloadCodec = decodeOnly{converter.NewZlibCodec(converter.ZlibCodecOptions{})}
	if keys.compress {
		zlib = converter.NewZlibCodec(converter.ZlibCodecOptions{})
	}
	return []converter.PayloadCodec{NewCodec(keys), zlib}
}

// decodeOnly decodes with its codec and encodes nothing.
type decodeOnly struct{ converter.PayloadCodec }

func (decodeOnly) Encode(p []*commonpb.Payload) ([]*commonpb.Payload, error) { return p, nil }

// DataConverter is the SDK's default data converter with keys' codecs.
func DataConverter(keys *Keys) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), Codecs(keys)...)
}

// FailureConverter encodes failure messages and stack traces with dc: error
// messages name organizations, users and items.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          dc,
		EncodeCommonAttributes: true,
	})
}

// Converters returns the data and failure converters for keys, or nil and nil
// for nil keys (encryption off: the SDK's defaults apply).
func Converters(keys *Keys) (converter.DataConverter, converter.FailureConverter) {
	if keys == nil {
		return nil, nil
	}
	dc := DataConverter(keys)
	return dc, FailureConverter(dc)
}
