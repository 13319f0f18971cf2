package domain

import (
	"time"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

// Random generators of every event type, for the property tests (postings
// balance, JSON round trip). They draw well-formed values (ids, serials,
// amounts, dates, instants in UTC) without caring for business consistency
// between fields.

func genAmount(t *rapid.T, label string) Money {
	return Cents(rapid.Int64Range(0, 100_000_000_00).Draw(t, label))
}

func genPositive(t *rapid.T, label string) Money {
	return Cents(rapid.Int64Range(1, 100_000_000_00).Draw(t, label))
}

func genSigned(t *rapid.T, label string) Money {
	m := genPositive(t, label)
	if rapid.Bool().Draw(t, label+"_neg") {
		return m.Neg()
	}
	return m
}

func genID(t *rapid.T, label string) string {
	return rapid.StringMatching(`[A-Za-z0-9][A-Za-z0-9_.-]{0,11}`).Draw(t, label)
}

func genOptID(t *rapid.T, label string) string {
	if rapid.Bool().Draw(t, label+"_set") {
		return genID(t, label)
	}
	return ""
}

func genCarnet(t *rapid.T) string {
	return rapid.StringMatching(`[A-Z0-9]{4,12}`).Draw(t, "carnet")
}

func genSerialOf(t *rapid.T) string {
	return SerialFor(genCarnet(t), rapid.IntRange(1, MaxChequesPerCarnet).Draw(t, "index"))
}

func genTerritory(t *rapid.T, label string) string {
	return rapid.SampledFrom([]string{"01", "15", "2A", "2B", "43", "63", "75", "95", "971", "976"}).Draw(t, label)
}

func genDate(t *rapid.T, label string) Date {
	return NewDate(rapid.IntRange(2019, 2035).Draw(t, label+"_y"), time.Month(rapid.IntRange(1, 12).Draw(t, label+"_m")), rapid.IntRange(1, 28).Draw(t, label+"_d"))
}

func genInstant(t *rapid.T, label string) time.Time {
	return time.Unix(rapid.Int64Range(1_500_000_000, 2_000_000_000).Draw(t, label), int64(rapid.IntRange(0, 999_999).Draw(t, label+"_us"))*1000).UTC()
}

func genRate(t *rapid.T, label string) decimal.Decimal {
	return decimal.New(rapid.Int64Range(0, 1_000_000).Draw(t, label), -6)
}

func genText(t *rapid.T, label string) string {
	return rapid.StringMatching(`[A-Za-zéèà0-9 '-]{0,30}`).Draw(t, label)
}

func genShares(t *rapid.T, label string) []FunderShare {
	n := rapid.IntRange(0, 5).Draw(t, label+"_n")
	out := make([]FunderShare, n)
	for i := range out {
		out[i] = FunderShare{FunderID: genID(t, label+"_funder"), ViaFundID: genOptID(t, label+"_via"), Amount: genAmount(t, label+"_amount")}
	}
	return out
}

func genSlice[T any](t *rapid.T, label string, max int, f func(*rapid.T) T) []T {
	n := rapid.IntRange(0, max).Draw(t, label)
	out := make([]T, n)
	for i := range out {
		out[i] = f(t)
	}
	return out
}

func genMoneyPtr(t *rapid.T, label string) *Money {
	if rapid.Bool().Draw(t, label+"_set") {
		m := genAmount(t, label)
		return &m
	}
	return nil
}

func genTarget(t *rapid.T) (fund, programme string) {
	if rapid.Bool().Draw(t, "to_fund") {
		return genID(t, "fund"), ""
	}
	return "", genID(t, "programme")
}

// genEvent draws a random event of type name; ok is false for a type the
// generators do not know (the tests fail then).
func genEvent(t *rapid.T, name string) (e Event, ok bool) {
	switch name {
	case "FunderRegistered":
		return FunderRegistered{FunderID: genID(t, "id"), Name: genText(t, "name"), Kind: rapid.SampledFrom(FunderKinds).Draw(t, "kind"), RegisteredAt: genInstant(t, "at")}, true
	case "FundCreated":
		return FundCreated{FundID: genID(t, "id"), Name: genText(t, "name"), Territories: genSlice(t, "ts", 4, func(t *rapid.T) string { return genTerritory(t, "t") }), CreatedAt: genInstant(t, "at")}, true
	case "PerequationRun":
		return PerequationRun{
			FundID: genID(t, "fund"), RunID: genID(t, "run"), Budget: genPositive(t, "budget"),
			Floor: genMoneyPtr(t, "floor"), CapPerInhabitant: genMoneyPtr(t, "cap"),
			Territories: genSlice(t, "ins", 4, func(t *rapid.T) PerequationTerritory {
				return PerequationTerritory{Code: genTerritory(t, "code"), Population: rapid.Int64Range(1, 3_000_000).Draw(t, "pop"), FragilityRate: genRate(t, "rate")}
			}),
			Allocations: genSlice(t, "outs", 4, func(t *rapid.T) PerequationAllocation {
				return PerequationAllocation{Code: genTerritory(t, "code"), Need: genRate(t, "need"), Amount: genAmount(t, "amount")}
			}),
			RanAt: genInstant(t, "at"),
		}, true
	case "FundDrawn":
		return FundDrawn{
			FundID: genID(t, "fund"), ProgrammeID: genID(t, "programme"), Territory: genTerritory(t, "t"), Amount: genAmount(t, "amount"),
			Contributors: genSlice(t, "cs", 3, func(t *rapid.T) ContributorReceipt {
				return ContributorReceipt{FunderID: genID(t, "funder"), Received: genAmount(t, "received")}
			}),
			Attribution: genShares(t, "attr"), DrawnAt: genInstant(t, "at"),
		}, true
	case "ContributionPledged":
		f, p := genTarget(t)
		return ContributionPledged{ContributionID: genID(t, "c"), FunderID: genID(t, "f"), FundID: f, ProgrammeID: p, Amount: genAmount(t, "amount"), PledgedOn: genDate(t, "on"), RecordedAt: genInstant(t, "at")}, true
	case "ContributionReceived":
		f, p := genTarget(t)
		return ContributionReceived{ContributionID: genID(t, "c"), ReceiptID: genID(t, "r"), FunderID: genID(t, "f"), FundID: f, ProgrammeID: p, Amount: genAmount(t, "amount"), ReceivedOn: genDate(t, "on"), RecordedAt: genInstant(t, "at")}, true
	case "AdvanceGranted":
		f, p := genTarget(t)
		return AdvanceGranted{ContributionID: genID(t, "c"), AdvanceID: genID(t, "a"), FunderID: genID(t, "f"), FundID: f, ProgrammeID: p, Amount: genAmount(t, "amount"), GrantedOn: genDate(t, "on"), RecordedAt: genInstant(t, "at")}, true
	case "AdvanceRepaid":
		f, p := genTarget(t)
		return AdvanceRepaid{ContributionID: genID(t, "c"), AdvanceID: genID(t, "a"), RepaymentID: genID(t, "r"), FunderID: genID(t, "f"), FundID: f, ProgrammeID: p, Amount: genAmount(t, "amount"), RepaidOn: genDate(t, "on"), RecordedAt: genInstant(t, "at")}, true
	case "TerritoryNeedRecorded":
		rate := genRate(t, "rate")
		pop := rapid.Int64Range(1, 3_000_000).Draw(t, "pop")
		return TerritoryNeedRecorded{Code: genTerritory(t, "code"), Population: pop, FragilityRate: rate, Need: decimal.NewFromInt(pop).Mul(rate), Source: genText(t, "src"), AsOf: genDate(t, "on"), RecordedAt: genInstant(t, "at")}, true
	case "PrescriberRegistered":
		return PrescriberRegistered{PrescriberID: genID(t, "id"), Name: genText(t, "name"), Kind: rapid.SampledFrom(PrescriberKinds).Draw(t, "kind"), Territory: genTerritory(t, "t"), RegisteredAt: genInstant(t, "at")}, true
	case "PlaceRegistered":
		return PlaceRegistered{PlaceID: genID(t, "id"), Name: genText(t, "name"), SIRET: fxSIRET, Territory: genTerritory(t, "t"), RegisteredAt: genInstant(t, "at")}, true
	case "PlaceLabelChanged":
		return PlaceLabelChanged{PlaceID: genID(t, "id"), Action: rapid.SampledFrom([]LabelAction{LabelGrant, LabelSuspend, LabelWithdraw}).Draw(t, "action"), EffectiveOn: genDate(t, "on"), Reason: genText(t, "reason"), ChangedAt: genInstant(t, "at")}, true
	case "ProgrammeCreated":
		var fee *decimal.Decimal
		if rapid.Bool().Draw(t, "fee") {
			r := decimal.New(rapid.Int64Range(1, 5000).Draw(t, "rate"), -4)
			fee = &r
		}
		return ProgrammeCreated{
			ProgrammeID: genID(t, "id"), Name: genText(t, "name"), Territory: genTerritory(t, "t"),
			ValidFrom: genDate(t, "from"), ValidUntil: genDate(t, "until"), GraceDays: rapid.IntRange(0, MaxGraceDays).Draw(t, "grace"),
			ChequeValue: genPositive(t, "value"), ChequesPerCarnet: rapid.IntRange(1, MaxChequesPerCarnet).Draw(t, "per"),
			OperatorFeeRate: fee, AllowOutsideTerritory: rapid.Bool().Draw(t, "outside"),
			FundingLines: genSlice(t, "lines", 3, func(t *rapid.T) FundingLine {
				f, p := genTarget(t)
				_ = p
				if f == "" {
					return FundingLine{FunderID: genID(t, "funder"), Amount: genPositive(t, "amount")}
				}
				return FundingLine{FundID: f, Amount: genPositive(t, "amount")}
			}),
			Funders: genShares(t, "funders"), TotalFunding: genAmount(t, "total"), CreatedAt: genInstant(t, "at"),
		}, true
	case "CarnetsMinted":
		return CarnetsMinted{ProgrammeID: genID(t, "p"), PrescriberID: genID(t, "pr"), CarnetIDs: genSlice(t, "ids", 3, genCarnet), FirstOrdinal: rapid.IntRange(0, 1000).Draw(t, "first"), ChequesPerCarnet: 10, ChequeValue: genPositive(t, "value"), ChequeCount: rapid.IntRange(0, 100).Draw(t, "count"), Value: genAmount(t, "total"), MintedAt: genInstant(t, "at")}, true
	case "ProgrammeClosed":
		return ProgrammeClosed{ProgrammeID: genID(t, "p"), ClosedOn: genDate(t, "on"), ExpiredCount: rapid.IntRange(0, 1000).Draw(t, "n"), ExpiredValue: genAmount(t, "v"), Unminted: genAmount(t, "u"), ClosedAt: genInstant(t, "at")}, true
	case "CarnetMinted":
		return CarnetMinted{CarnetID: genCarnet(t), ProgrammeID: genID(t, "p"), PrescriberID: genID(t, "pr"), Ordinal: rapid.IntRange(0, 1000).Draw(t, "o"), Serials: genSlice(t, "serials", 3, genSerialOf), ChequeValue: genPositive(t, "value"), MintedAt: genInstant(t, "at")}, true
	case "CarnetIssued":
		return CarnetIssued{CarnetID: genCarnet(t), ProgrammeID: genID(t, "p"), PrescriberID: genID(t, "pr"), Territory: genTerritory(t, "t"), BeneficiaryHash: BeneficiaryHash(fxBenKey, genID(t, "ref")), NeedLevel: rapid.SampledFrom([]NeedLevel{NeedUrgence, NeedInclusion, NeedAutonomie}).Draw(t, "need"), JobSeeker: rapid.Bool().Draw(t, "js"), Value: genAmount(t, "v"), IssuedAt: genInstant(t, "at")}, true
	case "CarnetCancelled":
		return CarnetCancelled{CarnetID: genCarnet(t), ProgrammeID: genID(t, "p"), PrescriberID: genID(t, "pr"), Reason: rapid.SampledFrom([]CancelReason{CancelLost, CancelStolen, CancelOther}).Draw(t, "r"), BlockedSerials: genSlice(t, "serials", 3, genSerialOf), CancelledAt: genInstant(t, "at")}, true
	case "BeneficiaryCarnetAssigned":
		return BeneficiaryCarnetAssigned{ProgrammeID: genID(t, "p"), BeneficiaryHash: BeneficiaryHash(fxBenKey, genID(t, "ref")), CarnetID: genCarnet(t), PrescriberID: genID(t, "pr"), AssignedAt: genInstant(t, "at")}, true
	case "ChequeRedeemed":
		return ChequeRedeemed{RedemptionID: genID(t, "r"), Serial: genSerialOf(t), CarnetID: genCarnet(t), ProgrammeID: genID(t, "p"), PlaceID: genID(t, "l"), PlaceTerritory: genTerritory(t, "lt"), ProgrammeTerritory: genTerritory(t, "pt"), SessionDate: genDate(t, "on"), Service: genText(t, "svc"), Amount: genAmount(t, "amount"), RedeemedAt: genInstant(t, "at"), Fee: genAmount(t, "fee")}, true
	case "RedemptionReversed":
		return RedemptionReversed{RedemptionID: genID(t, "r"), Serial: genSerialOf(t), CarnetID: genCarnet(t), ProgrammeID: genID(t, "p"), PlaceID: genID(t, "l"), PlaceTerritory: genTerritory(t, "lt"), ProgrammeTerritory: genTerritory(t, "pt"), SessionDate: genDate(t, "on"), Amount: genAmount(t, "amount"), Fee: genAmount(t, "fee"), Reason: genText(t, "why"), ReversedAt: genInstant(t, "at")}, true
	case "ChequeExpired":
		return ChequeExpired{Serial: genSerialOf(t), CarnetID: genCarnet(t), ProgrammeID: genID(t, "p"), Amount: genAmount(t, "amount"), ExpiredOn: genDate(t, "on"), ExpiredAt: genInstant(t, "at")}, true
	case "ChequeBlocked":
		return ChequeBlocked{Serial: genSerialOf(t), CarnetID: genCarnet(t), ProgrammeID: genID(t, "p"), Reason: CancelStolen, Amount: genAmount(t, "amount"), BlockedAt: genInstant(t, "at")}, true
	case "ChequeReimbursementClaimed":
		return ChequeReimbursementClaimed{BatchID: genID(t, "b"), RedemptionID: genID(t, "r"), Serial: genSerialOf(t), PlaceID: genID(t, "l"), Amount: genAmount(t, "amount"), ClaimedAt: genInstant(t, "at")}, true
	case "ReimbursementBatchCreated":
		return ReimbursementBatchCreated{
			BatchID: genID(t, "b"), CutOff: genDate(t, "cut"),
			Lines: genSlice(t, "lines", 3, func(t *rapid.T) BatchLine {
				return BatchLine{PlaceID: genID(t, "l"), Amount: genAmount(t, "amount"), Count: rapid.IntRange(0, 50).Draw(t, "n"), ByProgramme: genSlice(t, "bp", 2, func(t *rapid.T) ProgrammeAmount {
					return ProgrammeAmount{ProgrammeID: genID(t, "p"), Amount: genAmount(t, "a")}
				})}
			}),
			Redemptions: genSlice(t, "rs", 3, func(t *rapid.T) BatchRedemption {
				return BatchRedemption{Serial: genSerialOf(t), RedemptionID: genID(t, "r"), PlaceID: genID(t, "l"), ProgrammeID: genID(t, "p"), Amount: genAmount(t, "a")}
			}),
			Total: genAmount(t, "total"), Count: rapid.IntRange(0, 100).Draw(t, "count"), CreatedAt: genInstant(t, "at"),
		}, true
	case "ReimbursementBatchPaid":
		return ReimbursementBatchPaid{BatchID: genID(t, "b"), PaidOn: genDate(t, "on"), BankReference: genText(t, "ref"), Total: genAmount(t, "total"),
			Payments: genSlice(t, "ps", 4, func(t *rapid.T) BatchPayment {
				return BatchPayment{PlaceID: genID(t, "l"), ProgrammeID: genID(t, "p"), Amount: genAmount(t, "a")}
			}), PaidAt: genInstant(t, "at")}, true
	case "BankLineImported":
		return BankLineImported{BankLineID: genID(t, "id"), Date: genDate(t, "on"), Amount: genSigned(t, "amount"), Reference: genText(t, "ref"), Label: genText(t, "label"), ImportedAt: genInstant(t, "at")}, true
	case "BankLineMatched":
		return BankLineMatched{BankLineID: genID(t, "id"), MovementKind: MovementReceipt, MovementID: genID(t, "m"), Amount: genSigned(t, "amount"), MatchedAt: genInstant(t, "at")}, true
	case "MovementMatched":
		return MovementMatched{MovementKind: MovementRepayment, MovementID: genID(t, "m"), BankLineID: genID(t, "id"), Amount: genSigned(t, "amount"), MatchedAt: genInstant(t, "at")}, true
	case "PlaceBankAccountSet":
		return PlaceBankAccountSet{PlaceID: genID(t, "id"), IBAN: "FR7630006000011234567890189", BIC: rapid.SampledFrom([]string{"", "AGRIFRPP", "BNPAFRPPXXX"}).Draw(t, "bic"), Holder: genText(t, "holder"), SetAt: genInstant(t, "at")}, true
	case "BankStatementImported":
		lines := genSlice(t, "lines", 3, func(t *rapid.T) StatementLine {
			if rapid.Bool().Draw(t, "matched") {
				return StatementLine{BankLineID: genID(t, "l"), MovementKind: MovementReceipt, MovementID: genID(t, "m")}
			}
			return StatementLine{BankLineID: genID(t, "l"), UnmatchedReason: UnmatchedNoCandidate}
		})
		return BankStatementImported{StatementID: StatementID("FR7630006000011234567890189", genText(t, "ref")), Format: StatementCamt05308,
			Account: "FR7630006000011234567890189", Reference: genText(t, "ref"), Lines: lines, Matched: len(lines), ImportedAt: genInstant(t, "at")}, true
	}
	return nil, false
}
