package payloadcrypt

import "go.temporal.io/sdk/client"

// Apply sets the encrypting data and failure converters on opts; nil keys
// leave opts as they are (encryption off).
func Apply(opts *client.Options, keys *Keys) {
	if keys == nil {
		return
	}
	opts.DataConverter, opts.FailureConverter = Converters(keys)
}
