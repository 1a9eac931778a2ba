package workerapp

import (
	"context"
	"fmt"
	"strings"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/vb365-restore/vb365-restore/workflows"
)

// SearchAttributes are the Keyword search attributes the restore workflow
// sets when they are registered.
var SearchAttributes = []string{
	workflows.SearchAttrOrganizationID,
	workflows.SearchAttrSessionID,
	workflows.SearchAttrSessionType,
	workflows.SearchAttrSessionState,
}

// missingSearchAttributes returns the attributes of SearchAttributes that
// are not registered as Keyword in namespace.
func missingSearchAttributes(ctx context.Context, c client.Client, namespace string) ([]string, error) {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, name := range SearchAttributes {
		if t, ok := resp.GetCustomAttributes()[name]; !ok || t != enums.INDEXED_VALUE_TYPE_KEYWORD {
			missing = append(missing, name)
		}
	}
	return missing, nil
}

// registerCommand is the CLI command that registers the missing attributes.
func registerCommand(namespace string, missing []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "temporal operator search-attribute create --namespace %s", namespace)
	for _, name := range missing {
		fmt.Fprintf(&b, " --name %s --type Keyword", name)
	}
	return b.String()
}
