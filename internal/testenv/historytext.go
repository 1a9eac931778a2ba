package testenv

import (
	"context"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
)

// HistoryText is a workflow's history as someone reading it from the server
// sees it: the events as JSON, then each payload's data as text. With a nil
// codec that is what the server stores (and the Web UI shows without a codec
// server); with one, what its holder sees. Encrypted counts the payloads
// that were still encrypted as stored.
func HistoryText(ctx context.Context, c client.Client, workflowID string, codec converter.PayloadCodec) (text string, encrypted int, err error) {
	h, err := History(ctx, c, workflowID, "")
	if err != nil {
		return "", 0, err
	}
	return RenderHistory(ctx, h, codec)
}

// RenderHistory is HistoryText of a history already fetched (for example
// parsed from `temporal workflow show --output json`).
func RenderHistory(ctx context.Context, h *historypb.History, codec converter.PayloadCodec) (text string, encrypted int, err error) {
	var data strings.Builder
	err = proxy.VisitPayloads(ctx, h, proxy.VisitPayloadsOptions{
		Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			for _, p := range ps {
				if string(p.GetMetadata()[converter.MetadataEncoding]) == "binary/encrypted" {
					encrypted++
				}
			}
			if codec != nil {
				var err error
				if ps, err = codec.Decode(ps); err != nil {
					return nil, err
				}
			}
			for _, p := range ps {
				data.Write(p.GetData())
				data.WriteByte('\n')
			}
			return ps, nil
		},
	})
	if err != nil {
		return "", 0, err
	}
	js, err := protojson.Marshal(h)
	if err != nil {
		return "", 0, err
	}
	return string(js) + "\n" + data.String(), encrypted, nil
}
