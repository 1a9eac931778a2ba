package workerapp

import (
	"go.uber.org/zap"

	"github.com/vb365-restore/vb365-restore/internal/config"
)

// logPayloadEncryption says once whether payloads are encrypted: without
// PAYLOAD_KEYS_FILE every input, result and error text is readable by anyone
// who can read the namespace's histories.
func logPayloadEncryption(cfg config.Temporal, logger *zap.Logger) {
	if cfg.PayloadKeys == nil {
		logger.Warn("PAYLOAD_KEYS_FILE is not set: payloads (organization, user and item names, error texts) " +
			"are stored unencrypted in Temporal's history")
		return
	}
	logger.Info("payloads encrypted",
		zap.String("currentKey", cfg.PayloadKeys.Current()),
		zap.Strings("keys", cfg.PayloadKeys.IDs()),
		zap.Bool("compress", cfg.PayloadKeys.Compress()))
}
