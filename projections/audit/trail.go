package audit

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/audit/internal/dbsqlc"
	"github.com/passnumerique/passledger/projections/core"
)

// Trail is where a funder's euros are, as of a date: the funder audit trail of
// SPEC §2.
//
// Pledges, receipts, advances and the programme funding lines (Allocated) are the
// funder's own events. Its parts of its programmes' outcomes (Redeemed, Expired,
// Blocked, UnmintedReturned, Fees) are domain.AttributeProgramme's split of each
// programme's totals as of the date: each within a cent of the funder's exact
// pro-rata share, per programme. RedeemedByPlace (and so RedeemedByTerritory) and
// Reimbursed split the funder's Redeemed part of each programme again by largest
// remainder, pro rata of the programme's net redemptions per place and of what
// its paid batches covered. They satisfy, exactly:
//
//	Pledged   = Unallocated + Allocated              Allocated = Σ AllocatedByTerritory
//	Allocated = InProgrammes + Returned + Redeemed
//	Returned  = Expired + Blocked + UnmintedReturned
//	Redeemed  = Reimbursed + OwedToPlaces            Redeemed = Σ RedeemedByTerritory = Σ RedeemedByPlace
//
// so that Pledged = Unallocated + InProgrammes + Returned + OwedToPlaces +
// Reimbursed: each pledged euro is in exactly one of those places. Unallocated
// (pledged and not yet committed to a programme: money in a support fund not yet
// drawn, or a direct pledge above the programme's funding line) and InProgrammes
// (committed to programmes and neither used nor returned yet: unminted funding and
// cheques in circulation) are what remains; Unallocated can be negative for a fund
// contributor, because draws are attributed pro rata of the contributors' receipts
// at draw time (domain.DrawFund), not of their pledges. InProgrammes is exactly 0.00
// for a programme once it is closed (AttributeProgramme's guarantee).
//
// Minted is the funder's part of the face value its programmes minted, split with
// domain.Attribute over the programme's funders (rotation 0) on the programme's
// minted total as of the date: minting events carry no attribution, so this is the
// one computed split, and it is informative only (it is in no identity).
type Trail struct {
	FunderID string       `json:"funder_id"`
	Name     string       `json:"name"`
	Kind     string       `json:"kind" enum:"FunderKind"`
	AsOf     *domain.Date `json:"as_of,omitempty"`

	Pledged     domain.Money `json:"pledged"`
	Received    domain.Money `json:"received"`
	NotReceived domain.Money `json:"not_received"`
	// Treasury advances granted against the funder's pledges, and repaid.
	Advanced           domain.Money `json:"advanced"`
	AdvanceRepaid      domain.Money `json:"advance_repaid"`
	AdvanceOutstanding domain.Money `json:"advance_outstanding"`

	Allocated            domain.Money      `json:"allocated"`
	AllocatedByTerritory []TerritoryAmount `json:"allocated_by_territory"`
	Unallocated          domain.Money      `json:"unallocated"`
	Minted               domain.Money      `json:"minted"`
	InProgrammes         domain.Money      `json:"in_programmes"`

	Redeemed            domain.Money      `json:"redeemed"`
	RedeemedByTerritory []TerritoryAmount `json:"redeemed_by_territory"`
	RedeemedByPlace     []PlaceAmount     `json:"redeemed_by_place"`
	Reimbursed          domain.Money      `json:"reimbursed"`
	OwedToPlaces        domain.Money      `json:"owed_to_places"`

	Expired          domain.Money `json:"expired"`
	Blocked          domain.Money `json:"blocked"`
	UnmintedReturned domain.Money `json:"unminted_returned"`
	Returned         domain.Money `json:"returned"`

	// Fees are the operator fees the funder owes on its share of redeemed cheques
	// (net of reversals), paid on top of the cheques.
	Fees domain.Money `json:"fees"`

	// Leverage is OthersFunding ÷ OwnFunding over the programmes the funder
	// co-funds (its own euros include those drawn from funds it contributed to):
	// the euros of others per euro of its own, rounded to 4 decimals; nil without
	// own funding.
	Leverage      *decimal.Decimal `json:"leverage"`
	OwnFunding    domain.Money     `json:"own_funding"`
	OthersFunding domain.Money     `json:"others_funding"`
	Programmes    []ProgrammeShare `json:"programmes"`
}

// TerritoryAmount is an amount in one territory (département code).
type TerritoryAmount struct {
	Territory string       `json:"territory"`
	Amount    domain.Money `json:"amount"`
}

// PlaceAmount is an amount redeemed at one place.
type PlaceAmount struct {
	PlaceID   string       `json:"place_id"`
	Territory string       `json:"territory"`
	Amount    domain.Money `json:"amount"`
}

// ProgrammeShare is the funder's part of one programme it co-funds.
type ProgrammeShare struct {
	ProgrammeID string       `json:"programme_id"`
	Territory   string       `json:"territory"`
	Own         domain.Money `json:"own"`
	Total       domain.Money `json:"total"`
	Minted      domain.Money `json:"minted"`
}

// Audit returns the audit trail of funderID counting the events whose effective
// date (core.EffectiveDate) is on or before asOf (the zero Date: everything the
// projection applied, the API's default when as_of is absent, as for every
// report). AllocatedByTerritory is by the programme's territory,
// RedeemedByTerritory by the redeeming place's. A funder this projection never saw
// registered gives core.ErrNotFound.
func Audit(ctx context.Context, q core.Querier, funderID string, asOf domain.Date) (Trail, error) {
	t := Trail{FunderID: funderID, AllocatedByTerritory: []TerritoryAmount{}, RedeemedByTerritory: []TerritoryAmount{},
		RedeemedByPlace: []PlaceAmount{}, Programmes: []ProgrammeShare{}}
	var date pgtype.Date
	if !asOf.IsZero() {
		t.AsOf, date = &asOf, core.PgDate(asOf)
	}
	f, err := queries.Funder(ctx, core.ReadOnly(q), funderID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Trail{}, fmt.Errorf("%w: funder %s", core.ErrNotFound, funderID)
	}
	if err != nil {
		return Trail{}, fmt.Errorf("audit: %w", err)
	}
	t.Name, t.Kind = f.Name, f.Kind
	rows, err := queries.FunderFlows(ctx, core.ReadOnly(q), dbsqlc.FunderFlowsParams{FunderID: funderID, AsOf: date})
	if err != nil {
		return Trail{}, fmt.Errorf("audit: %w", err)
	}
	allocated := map[string]domain.Money{}
	for _, r := range rows {
		m, err := core.MoneyOf(r.Amount)
		if err != nil {
			return Trail{}, fmt.Errorf("audit: %w", err)
		}
		switch r.Kind {
		case KindPledged:
			t.Pledged = t.Pledged.Add(m)
		case KindReceived:
			t.Received = t.Received.Add(m)
		case KindAdvanced:
			t.Advanced = t.Advanced.Add(m)
		case KindAdvanceRepaid:
			t.AdvanceRepaid = t.AdvanceRepaid.Add(m)
		case KindAllocated:
			allocated[r.Territory] = allocated[r.Territory].Add(m)
		}
	}
	for _, k := range sortedKeys(allocated) {
		t.AllocatedByTerritory = append(t.AllocatedByTerritory, TerritoryAmount{Territory: k, Amount: allocated[k]})
		t.Allocated = t.Allocated.Add(allocated[k])
	}
	if err := programmes(ctx, q, &t, date); err != nil {
		return Trail{}, err
	}
	t.NotReceived = t.Pledged.Sub(t.Received)
	t.AdvanceOutstanding = t.Advanced.Sub(t.AdvanceRepaid)
	t.Unallocated = t.Pledged.Sub(t.Allocated)
	t.Returned = t.Expired.Add(t.Blocked).Add(t.UnmintedReturned)
	t.OwedToPlaces = t.Redeemed.Sub(t.Reimbursed)
	t.InProgrammes = t.Allocated.Sub(t.Returned).Sub(t.Redeemed)
	return t, nil
}

// programmes fills, from the programmes the funder co-funds, Programmes, Minted,
// the leverage, and the funder's parts of each programme's outcomes: Redeemed (by
// territory and by place), Reimbursed, Expired, Blocked, UnmintedReturned and Fees.
func programmes(ctx context.Context, q core.Querier, t *Trail, date pgtype.Date) error {
	rows, err := queries.ProgrammeFunders(ctx, core.ReadOnly(q), dbsqlc.ProgrammeFundersParams{FunderID: t.FunderID, AsOf: date})
	if err != nil {
		return fmt.Errorf("audit: programmes: %w", err)
	}
	type prog struct {
		share   ProgrammeShare
		funders []domain.FunderShare
	}
	var progs []*prog
	byID := map[string]*prog{}
	for _, r := range rows {
		id := r.ProgrammeID
		s := domain.FunderShare{FunderID: r.FunderID, ViaFundID: r.ViaFundID}
		if s.Amount, err = core.MoneyOf(r.Amount); err != nil {
			return fmt.Errorf("audit: programmes: %w", err)
		}
		p := byID[id]
		if p == nil {
			p = &prog{share: ProgrammeShare{ProgrammeID: id, Territory: r.Territory}}
			byID[id] = p
			progs = append(progs, p)
		}
		p.funders = append(p.funders, s)
		p.share.Total = p.share.Total.Add(s.Amount)
		if s.FunderID == t.FunderID {
			p.share.Own = p.share.Own.Add(s.Amount)
		}
	}
	if len(progs) == 0 {
		return nil
	}
	ids := make([]string, len(progs))
	for i, p := range progs {
		ids[i] = p.share.ProgrammeID
	}
	mrows, err := queries.ProgrammesMinted(ctx, core.ReadOnly(q), dbsqlc.ProgrammesMintedParams{ProgrammeIds: ids, AsOf: date})
	if err != nil {
		return fmt.Errorf("audit: minted: %w", err)
	}
	minted := map[string]domain.Money{}
	for _, r := range mrows {
		if minted[r.ProgrammeID], err = core.MoneyOf(r.Value); err != nil {
			return fmt.Errorf("audit: minted: %w", err)
		}
	}
	for _, p := range progs {
		if m := minted[p.share.ProgrammeID]; m.IsPositive() {
			parts, err := domain.Attribute(p.funders, m)
			if err != nil {
				return fmt.Errorf("audit: minted of %s: %w", p.share.ProgrammeID, err)
			}
			for _, s := range parts {
				if s.FunderID == t.FunderID {
					p.share.Minted = p.share.Minted.Add(s.Amount)
				}
			}
		}
		t.Minted = t.Minted.Add(p.share.Minted)
		t.OwnFunding = t.OwnFunding.Add(p.share.Own)
		t.OthersFunding = t.OthersFunding.Add(p.share.Total.Sub(p.share.Own))
		t.Programmes = append(t.Programmes, p.share)
	}
	if t.OwnFunding.IsPositive() {
		l := t.OthersFunding.Decimal().DivRound(t.OwnFunding.Decimal(), 4)
		t.Leverage = &l
	}
	funders := make(map[string][]domain.FunderShare, len(progs))
	for _, p := range progs {
		funders[p.share.ProgrammeID] = p.funders
	}
	return attribute(ctx, q, t, ids, funders, date)
}

// placeKey is a redeeming place and its territory.
type placeKey struct{ place, territory string }

// programmeOutcomes are a programme's flows as of a date.
type programmeOutcomes struct {
	totals     domain.AttributionTotals
	byPlace    map[placeKey]domain.Money // net redeemed
	reimbursed domain.Money
}

// attribute adds the funder's parts of its programmes' outcomes as of date to t:
// each programme's totals are attributed with domain.AttributeProgramme (every
// part within a cent of the funder's exact share, and nothing left in a closed
// programme); the funder's redeemed part is then split among the places pro rata
// of what each redeemed net in the programme, and into reimbursed and owed pro
// rata of what the programme's batches paid (largest remainder, so the breakdowns
// add up to the funder's part exactly).
func attribute(ctx context.Context, q core.Querier, t *Trail, ids []string, funders map[string][]domain.FunderShare, date pgtype.Date) error {
	rows, err := queries.ProgrammeFlows(ctx, core.ReadOnly(q), dbsqlc.ProgrammeFlowsParams{ProgrammeIds: ids, AsOf: date})
	if err != nil {
		return fmt.Errorf("audit: programme flows: %w", err)
	}
	outcomes := map[string]*programmeOutcomes{}
	for _, r := range rows {
		id := r.ProgrammeID
		m, err := core.MoneyOf(r.Amount)
		if err != nil {
			return fmt.Errorf("audit: programme flows: %w", err)
		}
		o := outcomes[id]
		if o == nil {
			o = &programmeOutcomes{byPlace: map[placeKey]domain.Money{}}
			outcomes[id] = o
		}
		k := placeKey{r.PlaceID, r.Territory}
		switch r.Kind {
		case KindRedeemed:
			o.totals.Redeemed = o.totals.Redeemed.Add(m)
			o.byPlace[k] = o.byPlace[k].Add(m)
		case KindReversed:
			o.totals.Redeemed = o.totals.Redeemed.Sub(m)
			o.totals.Reversed = o.totals.Reversed.Add(m)
			o.byPlace[k] = o.byPlace[k].Sub(m)
		case KindExpired:
			o.totals.Expired = o.totals.Expired.Add(m)
		case KindBlocked:
			o.totals.Blocked = o.totals.Blocked.Add(m)
		case KindUnmintedReturned:
			o.totals.Unminted = o.totals.Unminted.Add(m)
		case KindFee:
			o.totals.Fees = o.totals.Fees.Add(m)
		case KindFeeReversed:
			o.totals.Fees = o.totals.Fees.Sub(m)
		case KindReimbursed:
			o.reimbursed = o.reimbursed.Add(m)
		}
	}
	redeemedT := map[string]domain.Money{}
	redeemedP := map[placeKey]domain.Money{}
	for _, id := range ids {
		o := outcomes[id]
		if o == nil {
			continue
		}
		a, err := domain.AttributeProgramme(funders[id], o.totals)
		if err != nil {
			return fmt.Errorf("audit: programme %s: %w", id, err)
		}
		places := make([]placeKey, 0, len(o.byPlace))
		for k, m := range o.byPlace {
			if m.IsPositive() {
				places = append(places, k)
			}
		}
		sort.Slice(places, func(i, j int) bool {
			if places[i].place != places[j].place {
				return places[i].place < places[j].place
			}
			return places[i].territory < places[j].territory
		})
		placeWeights := make([]domain.Money, len(places))
		for i, k := range places {
			placeWeights[i] = o.byPlace[k]
		}
		owed := o.totals.Redeemed.Sub(o.reimbursed).Max(domain.Money{})
		for j, s := range funders[id] {
			if s.FunderID != t.FunderID {
				continue
			}
			t.Expired = t.Expired.Add(a.Expired[j])
			t.Blocked = t.Blocked.Add(a.Blocked[j])
			t.UnmintedReturned = t.UnmintedReturned.Add(a.Unminted[j])
			t.Fees = t.Fees.Add(a.Fees[j])
			r := a.Redeemed[j]
			if !r.IsPositive() {
				continue
			}
			t.Redeemed = t.Redeemed.Add(r)
			byPlace, err := domain.SplitMoneyByMoney(r, placeWeights, 0)
			if err != nil {
				return fmt.Errorf("audit: programme %s by place: %w", id, err)
			}
			for i, k := range places {
				redeemedP[k] = redeemedP[k].Add(byPlace[i])
				redeemedT[k.territory] = redeemedT[k.territory].Add(byPlace[i])
			}
			if o.reimbursed.IsPositive() {
				paid, err := domain.SplitMoneyByMoney(r, []domain.Money{o.reimbursed, owed}, 0)
				if err != nil {
					return fmt.Errorf("audit: programme %s reimbursed: %w", id, err)
				}
				t.Reimbursed = t.Reimbursed.Add(paid[0])
			}
		}
	}
	for _, k := range sortedKeys(redeemedT) {
		if !redeemedT[k].IsZero() {
			t.RedeemedByTerritory = append(t.RedeemedByTerritory, TerritoryAmount{Territory: k, Amount: redeemedT[k]})
		}
	}
	for k, m := range redeemedP {
		if !m.IsZero() {
			t.RedeemedByPlace = append(t.RedeemedByPlace, PlaceAmount{PlaceID: k.place, Territory: k.territory, Amount: m})
		}
	}
	sort.Slice(t.RedeemedByPlace, func(i, j int) bool {
		if t.RedeemedByPlace[i].PlaceID != t.RedeemedByPlace[j].PlaceID {
			return t.RedeemedByPlace[i].PlaceID < t.RedeemedByPlace[j].PlaceID
		}
		return t.RedeemedByPlace[i].Territory < t.RedeemedByPlace[j].Territory
	})
	return nil
}

func sortedKeys(m map[string]domain.Money) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
