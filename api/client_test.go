package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/api/client"
)

// The Go client generated from /openapi.json (api/client) drives one redemption
// against a real server, as README's curl session does, and reads the
// redemption back from the event log with its postings.
func TestGeneratedClientRedeems(t *testing.T) {
	t.Parallel()
	e := newEnv(t, db.Fresh(t))
	ctx := context.Background()
	as := func(token string) *client.ClientWithResponses {
		c, err := client.NewClientWithResponses(e.srv.URL, client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	check := func(what string, status int, r *http.Response, body []byte) {
		t.Helper()
		if r.StatusCode != status {
			t.Fatalf("%s: status %d, want %d: %s", what, r.StatusCode, status, body)
		}
	}
	date := func(s string) openapi_types.Date {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return openapi_types.Date{Time: d}
	}
	admin := as(e.admin)

	var funders []string
	for _, f := range []client.FunderRequest{{Name: "État", Kind: client.FunderKindState}, {Name: "Département 63", Kind: client.FunderKindDepartement}} {
		r, err := admin.PostFundersWithResponse(ctx, nil, f)
		if err != nil {
			t.Fatal(err)
		}
		check("funder", 201, r.HTTPResponse, r.Body)
		funders = append(funders, r.JSON201.Id)
	}
	prs, err := admin.PostPrescribersWithResponse(ctx, nil, client.PrescriberRequest{Name: "CCAS Clermont", Kind: client.PrescriberKindCcas, Territory: "63"})
	if err != nil {
		t.Fatal(err)
	}
	check("prescriber", 201, prs.HTTPResponse, prs.Body)
	plc, err := admin.PostPlacesWithResponse(ctx, nil, client.PlaceRequest{Name: "Médiathèque de Jaude", Siret: "73282932000074", Territory: "63"})
	if err != nil {
		t.Fatal(err)
	}
	check("place", 201, plc.HTTPResponse, plc.Body)
	lbl, err := admin.PostPlacesIdLabelWithResponse(ctx, plc.JSON201.Id, nil, client.LabelRequest{Action: client.LabelActionGrant, EffectiveOn: date("2026-01-01")})
	if err != nil {
		t.Fatal(err)
	}
	check("label", 200, lbl.HTTPResponse, lbl.Body)
	pgm, err := admin.PostProgrammesWithResponse(ctx, nil, client.ProgrammeRequest{
		Name: "Pass numérique 63", Territory: "63", ValidFrom: date("2026-01-01"), ValidUntil: date("2026-12-31"),
		ChequeValue: "10.00", ChequesPerCarnet: 10,
		Funding: []client.FundingLineRequest{{FunderId: &funders[0], Amount: "500.00"}, {FunderId: &funders[1], Amount: "500.00"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	check("programme", 201, pgm.HTTPResponse, pgm.Body)
	mint, err := admin.PostProgrammesIdMintWithResponse(ctx, pgm.JSON201.Id, nil, client.MintRequest{Carnets: 1, PrescriberId: prs.JSON201.Id})
	if err != nil {
		t.Fatal(err)
	}
	check("mint", 201, mint.HTTPResponse, mint.Body)
	carnet := (*mint.JSON201.Carnets)[0]
	cheque := (*carnet.Cheques)[0]

	iss, err := as(e.token(api.RolePrescriber, prs.JSON201.Id)).PostCarnetsIdIssueWithResponse(ctx, carnet.Id, nil,
		client.IssueRequest{BeneficiaryRef: "CCAS-0001", NeedLevel: client.NeedLevelInclusion})
	if err != nil {
		t.Fatal(err)
	}
	check("issue", 200, iss.HTTPResponse, iss.Body)
	key, service := "scan-1", "atelier"
	red, err := as(e.token(api.RolePlace, plc.JSON201.Id)).PostRedemptionsWithResponse(ctx, &client.PostRedemptionsParams{IdempotencyKey: &key},
		client.RedemptionRequest{Serial: cheque.Serial, CheckCode: cheque.CheckCode, SessionDate: date("2026-03-14"), Service: &service})
	if err != nil {
		t.Fatal(err)
	}
	check("redemption", 201, red.HTTPResponse, red.Body)
	if red.JSON201.Amount != "10.00" || red.JSON201.Serial != cheque.Serial || red.JSON201.Receipt.Algorithm != client.ReceiptAlgorithmEd25519 {
		t.Fatalf("redemption %+v", red.JSON201)
	}

	// The auditor reads the redemption from the log: typed payload, postings.
	// (The gap-free order may hold a fresh event back a moment: poll.)
	var found bool
	var after int64
	for deadline := time.Now().Add(10 * time.Second); !found && time.Now().Before(deadline); {
		page, err := admin.GetEventsWithResponse(ctx, &client.GetEventsParams{After: &after})
		if err != nil {
			t.Fatal(err)
		}
		check("events", 200, page.HTTPResponse, page.Body)
		for _, ev := range *page.JSON200.Events {
			typ, err := ev.Discriminator()
			if err != nil {
				t.Fatal(err)
			}
			if typ != "ChequeRedeemed" {
				continue
			}
			v, err := ev.AsChequeRedeemedEvent()
			if err != nil {
				t.Fatal(err)
			}
			if v.Payload.Serial != cheque.Serial || v.Payload.RedemptionId != red.JSON201.Id || v.Payload.Amount != "10.00" {
				t.Fatalf("payload %+v", v.Payload)
			}
			want := client.DomainEntry{Debit: "programme:" + pgm.JSON201.Id + ":cheques", Credit: "place:" + plc.JSON201.Id + ":payable", Amount: "10.00"}
			if len(v.Postings) == 0 || v.Postings[0] != want {
				t.Fatalf("postings %+v, want first %+v", v.Postings, want)
			}
			found = true
		}
		if page.JSON200.Next != 0 {
			after = page.JSON200.Next
		} else if evs := *page.JSON200.Events; len(evs) > 0 {
			raw, err := evs[len(evs)-1].MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var last struct{ Position int64 }
			if err := json.Unmarshal(raw, &last); err != nil {
				t.Fatal(err)
			}
			after = last.Position
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if !found {
		t.Fatal("no ChequeRedeemed event in the log")
	}
}
