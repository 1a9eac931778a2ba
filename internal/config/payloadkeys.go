package config

import "github.com/vb365-restore/vb365-restore/internal/payloadcrypt"

// loadPayloadKeys reads PAYLOAD_KEYS_FILE into t.PayloadKeys. The problem
// names the file and what is wrong with it, never a key.
func loadPayloadKeys(t *Temporal, p *problems) {
	if t.PayloadKeysFile == "" {
		return
	}
	keys, err := payloadcrypt.LoadKeysFile(t.PayloadKeysFile)
	if err != nil {
		p.add("PAYLOAD_KEYS_FILE", "PAYLOAD_KEYS_FILE: %v", err)
		return
	}
	t.PayloadKeys = keys
}
