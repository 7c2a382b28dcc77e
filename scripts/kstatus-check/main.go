// kstatus-check: what the real kstatus library (sigs.k8s.io/cli-utils/pkg/kstatus/status, the
// code Flux's kustomize-controller, kpt, Config Sync and cli-utils waiters run) computes for
// Kubernetes objects. It exists so the operator's tests hold its Reconciling/Stalled conditions
// to the library itself rather than to a reimplementation of its rules.
//
// Input (stdin): one object, a JSON array of objects, or a List (`kubectl get -o json`).
// Output (stdout): a JSON array, one {kind, namespace, name, status, message} per object, in
// input order; status is kstatus's word (InProgress, Failed, Current, Terminating, Unknown).
// Exit status: 0 on success, 1 when the input cannot be read or an object cannot be computed.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kstatus-check: "+format+"\n", args...)
	os.Exit(1)
}

// objects accepts an object, an array of objects or a List. Each object is decoded by
// apimachinery's own JSON decoder (integers stay int64, as kstatus's accessors expect).
func objects(raw []byte) ([]*unstructured.Unstructured, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		var list struct {
			Kind  string            `json:"kind"`
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		items = []json.RawMessage{raw}
		if strings.HasSuffix(list.Kind, "List") && list.Items != nil {
			items = list.Items
		}
	}
	out := make([]*unstructured.Unstructured, 0, len(items))
	for i, it := range items {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(it); err != nil {
			return nil, fmt.Errorf("object %d: %w", i, err)
		}
		out = append(out, u)
	}
	return out, nil
}

func main() {
	if len(os.Args) > 1 {
		fail("reads objects as JSON on stdin and takes no arguments (got %q)", os.Args[1])
	}
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: %v", err)
	}
	objs, err := objects(raw)
	if err != nil {
		fail("%v", err)
	}
	out := make([]verdict, 0, len(objs))
	for _, u := range objs {
		res, err := status.Compute(u)
		if err != nil {
			fail("%s %s/%s: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
		}
		out = append(out, verdict{Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName(), Status: res.Status.String(), Message: res.Message})
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fail("writing stdout: %v", err)
	}
}
