package client_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/passnumerique/passledger/api"
)

// The committed openapi.json and client.gen.go are what go generate makes from
// the document the server serves now: the client never lags the contract.
func TestClientIsCurrent(t *testing.T) {
	doc, err := api.Document()
	if err != nil {
		t.Fatal(err)
	}
	doc = append(doc, '\n')
	committed, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc, committed) {
		t.Fatal("api/client/openapi.json differs from the served document: run go generate ./api/client")
	}
	if testing.Short() {
		t.Skip("short: not running oapi-codegen")
	}
	dir := t.TempDir()
	spec, out := filepath.Join(dir, "openapi.json"), filepath.Join(dir, "client.gen.go")
	if err := os.WriteFile(spec, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "oapi-codegen", "-config", "oapi-codegen.yaml", "-o", out, spec)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, msg)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("client.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("api/client/client.gen.go differs from what oapi-codegen makes of the served document: run go generate ./api/client")
	}
}
