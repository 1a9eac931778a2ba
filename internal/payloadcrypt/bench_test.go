package payloadcrypt

import (
	"context"
	"os"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// recordedPayloads are the payloads of a restore recorded on a real server
// (workflows/testdata), as the SDK's default converter wrote them.
func recordedPayloads(b *testing.B) [][]*commonpb.Payload {
	b.Helper()
	var out [][]*commonpb.Payload
	for _, f := range recordedHistories(&testing.T{}) {
		r, err := os.Open(f)
		if err != nil {
			b.Fatal(err)
		}
		h, err := client.HistoryFromJSON(r, client.HistoryJSONOptions{})
		_ = r.Close()
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, visit(b, h))
	}
	return out
}

func visit(b *testing.B, h *historypb.History) []*commonpb.Payload {
	var ps []*commonpb.Payload
	err := proxy.VisitPayloads(context.Background(), h, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
			ps = append(ps, p...)
			return p, nil
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	return ps
}

// BenchmarkRestorePayloads encodes and decodes every payload of a recorded
// restore, as the worker and its clients would over the restore's life:
// ns/op is the CPU cost per restore, payload-bytes/restore what Temporal
// stores. go test -run '^$' -bench RestorePayloads ./internal/payloadcrypt
func BenchmarkRestorePayloads(b *testing.B) {
	histories := recordedPayloads(b)
	keys := func(compress bool) *Keys {
		k, err := ParseKeys([]byte(`{"current":"k","compress":`+map[bool]string{true: "true", false: "false"}[compress]+
			`,"keys":{"k":"`+testKey('k')+`"}}`), "bench")
		if err != nil {
			b.Fatal(err)
		}
		return k
	}
	for _, c := range []struct {
		name   string
		codecs []converter.PayloadCodec
	}{
		{"plain", nil},
		{"encrypted", Codecs(keys(false))},
		{"encrypted+zlib", Codecs(keys(true))},
	} {
		b.Run(c.name, func(b *testing.B) {
			stored, count := 0, 0
			for i := 0; i < b.N; i++ {
				stored, count = 0, 0
				for _, ps := range histories {
					enc := ps
					for j := len(c.codecs) - 1; j >= 0; j-- {
						var err error
						if enc, err = c.codecs[j].Encode(enc); err != nil {
							b.Fatal(err)
						}
					}
					dec := enc
					for _, codec := range c.codecs {
						var err error
						if dec, err = codec.Decode(dec); err != nil {
							b.Fatal(err)
						}
					}
					for _, p := range enc {
						stored += proto.Size(p)
					}
					count += len(enc)
				}
			}
			n := float64(len(histories))
			b.ReportMetric(float64(stored)/n, "payload-bytes/restore")
			b.ReportMetric(float64(count)/n, "payloads/restore")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/restore")
		})
	}
}
