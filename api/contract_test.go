package api

import (
	"encoding/json"
	"testing"

	"github.com/passnumerique/passledger/domain"
)

// The served document describes every event payload (one variant per
// registered event type, keyed on type, with its payload's schema and its
// postings) and declares every closed set as an enum.
func TestDocumentDescribesEveryEventAndClosedSet(t *testing.T) {
	raw, err := Document()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	schemas := doc.Components.Schemas
	view := schemas["EventView"]
	mapping := view["discriminator"].(map[string]any)["mapping"].(map[string]any)
	if len(view["oneOf"].([]any)) != len(domain.EventTypes()) || len(mapping) != len(domain.EventTypes()) {
		t.Fatalf("EventView has %d variants, %d mapped, for %d event types", len(view["oneOf"].([]any)), len(mapping), len(domain.EventTypes()))
	}
	for _, et := range domain.EventTypes() {
		if mapping[et] != "#/components/schemas/"+et+"Event" {
			t.Errorf("%s: mapped to %v", et, mapping[et])
		}
		props := schemas[et+"Event"]["properties"].(map[string]any)
		ref, _ := props["payload"].(map[string]any)["$ref"].(string)
		payload := schemas[ref[len("#/components/schemas/"):]]
		if len(payload["properties"].(map[string]any)) == 0 {
			t.Errorf("%s: payload schema %s has no properties", et, ref)
		}
		if props["postings"] == nil {
			t.Errorf("%s: no postings", et)
		}
	}
	for name, set := range closedSets {
		s := schemas[name]
		if s == nil {
			t.Errorf("closed set %s is not in the document", name)
			continue
		}
		if got, want := len(s["enum"].([]any)), len(set.values()); got != want || want == 0 {
			t.Errorf("%s: %d values, want %d", name, got, want)
		}
	}
}

// A route that takes a file declares it: POST /v1/bank-statements documents its
// CSV and camt.053 bodies, so that a generated client can send them.
func TestDocumentDeclaresFileBodies(t *testing.T) {
	raw, err := Document()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody *struct {
				Required bool                      `json:"required"`
				Content  map[string]map[string]any `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	body := doc.Paths["/v1/bank-statements"]["post"].RequestBody
	if body == nil || !body.Required {
		t.Fatal("POST /v1/bank-statements declares no required request body")
	}
	for _, ct := range []string{"text/csv", "text/plain", "application/xml", "text/xml"} {
		if body.Content[ct] == nil {
			t.Errorf("request body lacks %s (has %v)", ct, body.Content)
		}
	}
}
