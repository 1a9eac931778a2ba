package childworkflow

import (
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/internal/payloadcrypt"
)

// ClientOptions are the client options of the parent's worker and of
// whoever starts the parent, when the restore worker encrypts payloads
// (PAYLOAD_KEYS_FILE). The parent must hold the same key file: it writes the
// child's input, and the child's report and signals arrive encrypted. An
// empty keysFile leaves payloads plain (the restore worker still reads them).
func ClientOptions(hostPort, namespace, keysFile string) (client.Options, error) {
	opts := client.Options{HostPort: hostPort, Namespace: namespace}
	if keysFile == "" {
		return opts, nil
	}
	keys, err := payloadcrypt.LoadKeysFile(keysFile)
	if err != nil {
		return client.Options{}, err
	}
	payloadcrypt.Apply(&opts, keys)
	return opts, nil
}
