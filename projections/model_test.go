package projections_test

import (
	"sort"
	"strings"

	"github.com/passnumerique/passledger/domain"
)

// model holds figures computed straight from the events read back from the store
// (readLog), by plain folds written for the test, to check the projections against
// (never by calling the code under test).
type model struct {
	log []logEvent

	// The world, in registration order.
	funderIDs, placeIDs, prescriberIDs, programmeIDs []string
	funds                                            map[string]domain.FundCreated

	balances map[string]domain.Money

	progTerritory map[string]string
	needs         map[string]domain.TerritoryNeedRecorded
	allocated     map[string]domain.Money // territory → péréquation allocations
	minted        map[string]domain.Money // by programme territory
	issued        map[string]domain.Money
	redeemed      map[string]domain.Money
	expired       map[string]domain.Money
	blocked       map[string]domain.Money

	funders map[string]*funderModel

	redemptions map[string]*redemptionModel
	batchPaid   map[string]domain.Date
	batchOf     map[string]string // redemption → batch

	carnets   map[string]*domain.CarnetState
	cheques   map[string]*domain.ChequeState
	chequesOf map[string]int64 // programme → cheques minted

	advances   map[string]*advanceModel
	lines      map[string]*domain.BankLineState
	movements  map[string]domain.Movement // kind/id → movement
	matchedMov map[string]bool
}

type funderModel struct {
	pledged, received, advanced, advanceRepaid domain.Money
	allocatedBy                                map[string]domain.Money // territory
	redeemedByPlace                            map[string]domain.Money
	redeemedByTerritory                        map[string]domain.Money
	expired, blocked, unminted, reimbursed     domain.Money
	fees                                       domain.Money
}

type redemptionModel struct {
	ev       domain.ChequeRedeemed
	reversed bool
}

type advanceModel struct {
	ev      domain.AdvanceGranted
	repaid  []domain.AdvanceRepaid
	granted domain.Date
}

func newModel(records []logEvent) *model {
	m := &model{
		log: records, funds: map[string]domain.FundCreated{},
		balances: map[string]domain.Money{}, progTerritory: map[string]string{},
		needs: map[string]domain.TerritoryNeedRecorded{}, allocated: map[string]domain.Money{},
		minted: map[string]domain.Money{}, issued: map[string]domain.Money{}, redeemed: map[string]domain.Money{},
		expired: map[string]domain.Money{}, blocked: map[string]domain.Money{},
		funders: map[string]*funderModel{}, redemptions: map[string]*redemptionModel{},
		batchPaid: map[string]domain.Date{}, batchOf: map[string]string{},
		carnets: map[string]*domain.CarnetState{}, cheques: map[string]*domain.ChequeState{}, chequesOf: map[string]int64{},
		advances: map[string]*advanceModel{}, lines: map[string]*domain.BankLineState{},
		movements: map[string]domain.Movement{}, matchedMov: map[string]bool{},
	}
	funder := func(id string) *funderModel {
		f := m.funders[id]
		if f == nil {
			f = &funderModel{allocatedBy: map[string]domain.Money{}, redeemedByPlace: map[string]domain.Money{}, redeemedByTerritory: map[string]domain.Money{}}
			m.funders[id] = f
		}
		return f
	}
	add := func(mm map[string]domain.Money, k string, v domain.Money) { mm[k] = mm[k].Add(v) }
	progs := map[string]*programmeModel{}
	var progOrder []string
	prog := func(id string) *programmeModel {
		p := progs[id]
		if p == nil {
			p = &programmeModel{byPlace: map[string]domain.Money{}}
			progs[id] = p
			progOrder = append(progOrder, id)
		}
		return p
	}
	batchRedemptions := map[string][]string{}
	for _, r := range records {
		for _, p := range domain.Postings(r.Event) {
			add(m.balances, p.Account, p.Amount)
		}
		switch e := r.Event.(type) {
		case domain.FunderRegistered:
			funder(e.FunderID)
			m.funderIDs = append(m.funderIDs, e.FunderID)
		case domain.PlaceRegistered:
			m.placeIDs = append(m.placeIDs, e.PlaceID)
		case domain.PrescriberRegistered:
			m.prescriberIDs = append(m.prescriberIDs, e.PrescriberID)
		case domain.FundCreated:
			m.funds[e.FundID] = e
		case domain.TerritoryNeedRecorded:
			if old, ok := m.needs[e.Code]; !ok || !e.AsOf.Before(old.AsOf) {
				m.needs[e.Code] = e
			}
		case domain.PerequationRun:
			for _, a := range e.Allocations {
				add(m.allocated, a.Code, a.Amount)
			}
		case domain.ProgrammeCreated:
			m.programmeIDs = append(m.programmeIDs, e.ProgrammeID)
			m.progTerritory[e.ProgrammeID] = e.Territory
			prog(e.ProgrammeID).funders = e.Funders
			for _, s := range e.Funders {
				add(funder(s.FunderID).allocatedBy, e.Territory, s.Amount)
			}
		case domain.ContributionPledged:
			f := funder(e.FunderID)
			f.pledged = f.pledged.Add(e.Amount)
		case domain.ContributionReceived:
			f := funder(e.FunderID)
			f.received = f.received.Add(e.Amount)
			m.movements["receipt/"+e.ReceiptID] = domain.Movement{Kind: domain.MovementReceipt, ID: e.ReceiptID, Amount: e.Amount, Date: e.ReceivedOn}
		case domain.AdvanceGranted:
			f := funder(e.FunderID)
			f.advanced = f.advanced.Add(e.Amount)
			m.advances[e.AdvanceID] = &advanceModel{ev: e, granted: e.GrantedOn}
			m.movements["advance/"+e.AdvanceID] = domain.Movement{Kind: domain.MovementAdvance, ID: e.AdvanceID, Amount: e.Amount, Date: e.GrantedOn}
		case domain.AdvanceRepaid:
			f := funder(e.FunderID)
			f.advanceRepaid = f.advanceRepaid.Add(e.Amount)
			a := m.advances[e.AdvanceID]
			a.repaid = append(a.repaid, e)
			m.movements["repayment/"+e.RepaymentID] = domain.Movement{Kind: domain.MovementRepayment, ID: e.RepaymentID, Amount: e.Amount, Date: e.RepaidOn}
		case domain.CarnetsMinted:
			add(m.minted, m.progTerritory[e.ProgrammeID], e.Value)
			m.chequesOf[e.ProgrammeID] += int64(e.ChequeCount)
		case domain.CarnetMinted:
			c := &domain.CarnetState{}
			c.Apply(e)
			m.carnets[e.CarnetID] = c
		case domain.CarnetIssued:
			m.carnets[e.CarnetID].Apply(e)
			add(m.issued, e.Territory, e.Value)
		case domain.CarnetCancelled:
			m.carnets[e.CarnetID].Apply(e)
		case domain.ChequeRedeemed:
			m.cheque(e.Serial).Apply(e)
			add(m.redeemed, e.ProgrammeTerritory, e.Amount)
			m.redemptions[e.RedemptionID] = &redemptionModel{ev: e}
			prog(e.ProgrammeID).totals.Apply(e)
			add(prog(e.ProgrammeID).byPlace, e.PlaceID+"|"+e.PlaceTerritory, e.Amount)
		case domain.RedemptionReversed:
			m.cheque(e.Serial).Apply(e)
			add(m.redeemed, e.ProgrammeTerritory, e.Amount.Neg())
			m.redemptions[e.RedemptionID].reversed = true
			prog(e.ProgrammeID).totals.Apply(e)
			add(prog(e.ProgrammeID).byPlace, e.PlaceID+"|"+e.PlaceTerritory, e.Amount.Neg())
		case domain.ChequeExpired:
			m.cheque(e.Serial).Apply(e)
			add(m.expired, m.progTerritory[e.ProgrammeID], e.Amount)
			prog(e.ProgrammeID).totals.Apply(e)
		case domain.ChequeBlocked:
			m.cheque(e.Serial).Apply(e)
			add(m.blocked, m.progTerritory[e.ProgrammeID], e.Amount)
			prog(e.ProgrammeID).totals.Apply(e)
		case domain.ProgrammeClosed:
			prog(e.ProgrammeID).totals.Apply(e)
		case domain.ChequeReimbursementClaimed:
			m.cheque(e.Serial).Apply(e)
			m.batchOf[e.RedemptionID] = e.BatchID
		case domain.ReimbursementBatchCreated:
			for _, r := range e.Redemptions {
				batchRedemptions[e.BatchID] = append(batchRedemptions[e.BatchID], r.RedemptionID)
			}
		case domain.ReimbursementBatchPaid:
			m.batchPaid[e.BatchID] = e.PaidOn
			m.movements["reimbursement_payment/"+e.BatchID] = domain.Movement{Kind: domain.MovementReimbursementPayment, ID: e.BatchID, Amount: e.Total, Date: e.PaidOn}
			for _, id := range batchRedemptions[e.BatchID] {
				r := m.redemptions[id].ev
				p := prog(r.ProgrammeID)
				p.reimbursed = p.reimbursed.Add(r.Amount)
			}
		case domain.BankLineImported:
			l := &domain.BankLineState{}
			l.Apply(e)
			m.lines[e.BankLineID] = l
		case domain.BankLineMatched:
			m.lines[e.BankLineID].Apply(e)
		case domain.MovementMatched:
			m.matchedMov[string(e.MovementKind)+"/"+e.MovementID] = true
		}
	}
	// Each programme's totals are attributed as a whole (domain.AttributeProgramme);
	// a funder's redeemed part is split among the places pro rata of their net
	// redemptions, and into reimbursed and owed pro rata of the programme's.
	for _, id := range progOrder {
		p := progs[id]
		a, err := domain.AttributeProgramme(p.funders, p.totals)
		if err != nil {
			panic(err)
		}
		var places []string
		var weights []domain.Money
		for k, v := range p.byPlace {
			if v.IsPositive() {
				places = append(places, k)
			}
		}
		// by place, then territory (as the audit orders them)
		sort.Slice(places, func(i, j int) bool {
			pi, ti, _ := strings.Cut(places[i], "|")
			pj, tj, _ := strings.Cut(places[j], "|")
			return pi < pj || pi == pj && ti < tj
		})
		for _, k := range places {
			weights = append(weights, p.byPlace[k])
		}
		owed := p.totals.Redeemed.Sub(p.reimbursed).Max(domain.Money{})
		for j, s := range p.funders {
			f := funder(s.FunderID)
			f.expired = f.expired.Add(a.Expired[j])
			f.blocked = f.blocked.Add(a.Blocked[j])
			f.unminted = f.unminted.Add(a.Unminted[j])
			f.fees = f.fees.Add(a.Fees[j])
			if !a.Redeemed[j].IsPositive() {
				continue
			}
			parts, err := domain.SplitMoneyByMoney(a.Redeemed[j], weights, 0)
			if err != nil {
				panic(err)
			}
			for i, k := range places {
				place, territory, _ := strings.Cut(k, "|")
				add(f.redeemedByPlace, place, parts[i])
				add(f.redeemedByTerritory, territory, parts[i])
			}
			if p.reimbursed.IsPositive() {
				paid, err := domain.SplitMoneyByMoney(a.Redeemed[j], []domain.Money{p.reimbursed, owed}, 0)
				if err != nil {
					panic(err)
				}
				f.reimbursed = f.reimbursed.Add(paid[0])
			}
		}
	}
	return m
}

// programmeModel is what the model keeps of a programme to attribute it.
type programmeModel struct {
	funders    []domain.FunderShare
	totals     domain.AttributionTotals
	byPlace    map[string]domain.Money // "place|territory" → net redeemed
	reimbursed domain.Money
}

func (m *model) cheque(serial string) *domain.ChequeState {
	c := m.cheques[serial]
	if c == nil {
		c = &domain.ChequeState{}
		m.cheques[serial] = c
	}
	return c
}

func sumMap(mm map[string]domain.Money) domain.Money {
	var s domain.Money
	for _, v := range mm {
		s = s.Add(v)
	}
	return s
}
