package prescribers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/core"
	"github.com/passnumerique/passledger/projections/prescribers/internal/dbsqlc"
)

// Name is the projection's name.
const Name = "prescribers"

// Carnet statuses in a prescriber's stock.
const (
	CarnetInStock   = "in_stock"
	CarnetIssued    = "issued"
	CarnetCancelled = "cancelled"
)

// Projection keeps each prescriber's carnets.
type Projection struct{}

// New returns the prescribers projection.
func New() *Projection { return &Projection{} }

// Name returns "prescribers".
func (*Projection) Name() string { return Name }

// Tables returns the tables the projection owns.
func (*Projection) Tables() []string { return []string{"prescriber_info", "prescriber_carnets"} }

type carnetRow struct {
	id, prescriber, programme string
	count                     int
	value                     int64
	status                    string
	wasIssued                 bool
	need                      string
	jobSeeker                 bool
	mintedAt                  time.Time
	issuedAt, cancelledAt     time.Time
	stored                    bool // read from the table (else new: COPY)
}

// queries are the projection's SQL statements, compiled by sqlc
// (internal/dbsqlc/prescribers.sql).
var queries = dbsqlc.New()

// carnetKeys collects the carnets whose stored rows a batch changes: Apply loads
// them (one query) before it folds the batch.
type carnetKeys struct{ ids []string }

var keyHandlers = func() *core.Handlers[*carnetKeys] {
	h := core.NewHandlers[*carnetKeys]()
	core.On(h, func(k *carnetKeys, _ core.Event, e domain.CarnetIssued) error {
		k.ids = append(k.ids, e.CarnetID)
		return nil
	})
	core.On(h, func(k *carnetKeys, _ core.Event, e domain.CarnetCancelled) error {
		k.ids = append(k.ids, e.CarnetID)
		return nil
	})
	return h
}()

// fold is what Apply folds a batch onto: the carnets it loaded or minted, the
// carnets changed (in order, with repeats), the prescribers registered.
type fold struct {
	carnets map[string]*carnetRow
	dirty   []string
	info    dbsqlc.UpsertInfoParams
}

var foldHandlers = func() *core.Handlers[*fold] {
	h := core.NewHandlers[*fold]()
	core.On(h, (*fold).prescriberRegistered)
	core.On(h, (*fold).carnetMinted)
	core.On(h, (*fold).carnetIssued)
	core.On(h, (*fold).carnetCancelled)
	return h
}()

func (f *fold) prescriberRegistered(_ core.Event, e domain.PrescriberRegistered) error {
	f.info.Ids = append(f.info.Ids, e.PrescriberID)
	f.info.Names = append(f.info.Names, e.Name)
	f.info.Kinds = append(f.info.Kinds, string(e.Kind))
	f.info.Territories = append(f.info.Territories, e.Territory)
	return nil
}

func (f *fold) carnetMinted(_ core.Event, e domain.CarnetMinted) error {
	f.carnets[e.CarnetID] = &carnetRow{id: e.CarnetID, prescriber: e.PrescriberID, programme: e.ProgrammeID,
		count: len(e.Serials), value: core.CentsOf(e.ChequeValue) * int64(len(e.Serials)), status: CarnetInStock, mintedAt: e.MintedAt}
	f.dirty = append(f.dirty, e.CarnetID)
	return nil
}

func (f *fold) carnetIssued(ev core.Event, e domain.CarnetIssued) error {
	c := f.carnets[e.CarnetID]
	if c == nil {
		return fmt.Errorf("prescribers: CarnetIssued at position %d for unknown carnet %s", ev.Position, e.CarnetID)
	}
	c.status, c.wasIssued, c.need, c.jobSeeker, c.issuedAt = CarnetIssued, true, string(e.NeedLevel), e.JobSeeker, e.IssuedAt
	f.dirty = append(f.dirty, e.CarnetID)
	return nil
}

func (f *fold) carnetCancelled(ev core.Event, e domain.CarnetCancelled) error {
	c := f.carnets[e.CarnetID]
	if c == nil {
		return fmt.Errorf("prescribers: CarnetCancelled at position %d for unknown carnet %s", ev.Position, e.CarnetID)
	}
	c.status, c.cancelledAt = CarnetCancelled, e.CancelledAt
	f.dirty = append(f.dirty, e.CarnetID)
	return nil
}

// Apply records prescribers and folds carnet events (minted into a prescriber's
// stock, issued, cancelled) onto one row per carnet: it loads the stored rows of
// the carnets the batch issues or cancels (keyHandlers), folds the events onto
// them in order (foldHandlers), then writes them back, new carnets with a binary
// COPY and carnets read back with one upsert, in one round trip with the
// registrations.
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	var keys carnetKeys
	if err := keyHandlers.HandleAll(&keys, events); err != nil {
		return err
	}
	carnets, err := load(ctx, tx, keys.ids)
	if err != nil {
		return err
	}
	f := &fold{carnets: carnets}
	if err := foldHandlers.HandleAll(f, events); err != nil {
		return err
	}
	var stored, fresh []string
	for _, id := range core.Unique(f.dirty) {
		if carnets[id].stored {
			stored = append(stored, id)
		} else {
			fresh = append(fresh, id)
		}
	}
	b := &pgx.Batch{}
	if len(f.info.Ids) > 0 {
		if err := queries.UpsertInfo(ctx, core.Queue(b), f.info); err != nil {
			return fmt.Errorf("prescribers: %w", err)
		}
	}
	if len(stored) > 0 {
		if err := queries.UpsertCarnets(ctx, core.Queue(b), upsertParams(carnets, stored)); err != nil {
			return fmt.Errorf("prescribers: %w", err)
		}
	}
	if err := core.SendBatch(ctx, tx, b); err != nil {
		return fmt.Errorf("prescribers: %w", err)
	}
	if err := copyCarnets(ctx, tx, carnets, fresh); err != nil {
		return fmt.Errorf("prescribers: %w", err)
	}
	return nil
}

func upsertParams(carnets map[string]*carnetRow, ids []string) dbsqlc.UpsertCarnetsParams {
	n := len(ids)
	p := dbsqlc.UpsertCarnetsParams{
		Ids: make([]string, n), PrescriberIds: make([]string, n), ProgrammeIds: make([]string, n),
		ChequeCounts: make([]int32, n), ValueCents: make([]int64, n), Statuses: make([]string, n),
		WasIssued: make([]bool, n), NeedLevels: make([]string, n), JobSeekers: make([]bool, n),
		MintedAt: make([]pgtype.Timestamptz, n), IssuedAt: make([]pgtype.Timestamptz, n), CancelledAt: make([]pgtype.Timestamptz, n),
	}
	for i, k := range ids {
		c := carnets[k]
		p.Ids[i], p.PrescriberIds[i], p.ProgrammeIds[i], p.Statuses[i], p.NeedLevels[i] = c.id, c.prescriber, c.programme, c.status, c.need
		p.ChequeCounts[i], p.ValueCents[i], p.WasIssued[i], p.JobSeekers[i] = int32(c.count), c.value, c.wasIssued, c.jobSeeker
		p.MintedAt[i], p.IssuedAt[i], p.CancelledAt[i] = core.PgTime(c.mintedAt), core.PgTime(c.issuedAt), core.PgTime(c.cancelledAt)
	}
	return p
}

// copyCarnetsColumns are the columns copyCarnets writes into prescriber_carnets
// (COPY: not sqlc, see doc.go).
var copyCarnetsColumns = []string{"carnet_id", "prescriber_id", "programme_id", "cheque_count", "value", "status",
	"was_issued", "need_level", "job_seeker", "minted_at", "issued_at", "cancelled_at"}

// copyCarnets appends the carnets ids names, which have no row yet, with a binary
// COPY.
func copyCarnets(ctx context.Context, tx pgx.Tx, carnets map[string]*carnetRow, ids []string) error {
	w := core.NewCopyWriter(len(copyCarnetsColumns))
	for _, id := range ids {
		c := carnets[id]
		w.Row()
		w.Text(c.id)
		w.Text(c.prescriber)
		w.Text(c.programme)
		w.Int4(int32(c.count))
		w.Cents(c.value)
		w.Text(c.status)
		w.Bool(c.wasIssued)
		w.Text(c.need)
		w.Bool(c.jobSeeker)
		w.Time(c.mintedAt)
		w.Time(c.issuedAt)
		w.Time(c.cancelledAt)
	}
	return w.Send(ctx, tx, "prescriber_carnets", copyCarnetsColumns)
}

// load reads the stored rows of the carnets ids names.
func load(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*carnetRow, error) {
	out := map[string]*carnetRow{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := queries.LoadCarnets(ctx, tx, ids)
	if err != nil {
		return nil, fmt.Errorf("prescribers: load: %w", err)
	}
	for _, r := range rows {
		out[r.CarnetID] = &carnetRow{id: r.CarnetID, prescriber: r.PrescriberID, programme: r.ProgrammeID,
			count: int(r.ChequeCount), value: r.ValueCents, status: r.Status, wasIssued: r.WasIssued,
			need: r.NeedLevel, jobSeeker: r.JobSeeker, mintedAt: core.TimeOf(r.MintedAt),
			issuedAt: core.TimeOf(r.IssuedAt), cancelledAt: core.TimeOf(r.CancelledAt), stored: true}
	}
	return out, nil
}

// Inventory is a prescriber's carnet stock and what it issued, as Stock returns it.
type Inventory struct {
	PrescriberID string `json:"prescriber_id"`
	Name         string `json:"name"`
	Kind         string `json:"kind" enum:"PrescriberKind"`
	Territory    string `json:"territory"`
	// InStock, Issued and Cancelled count the carnets by current status (an
	// issued carnet later cancelled counts as cancelled); InStockValue is the
	// face value of the carnets in stock.
	InStock      int          `json:"in_stock"`
	Issued       int          `json:"issued"`
	Cancelled    int          `json:"cancelled"`
	InStockValue domain.Money `json:"in_stock_value"`
	// EverIssued counts every carnet the prescriber issued (later cancelled or
	// not); ByNeedLevel splits them by the beneficiary's need level (urgence,
	// inclusion, autonomie) and JobSeekers counts those issued to job seekers.
	EverIssued  int            `json:"ever_issued"`
	ByNeedLevel map[string]int `json:"by_need_level"`
	JobSeekers  int            `json:"job_seekers"`
	// ByProgramme gives the same counts per programme, sorted by programme id.
	ByProgramme []ProgrammeStock `json:"by_programme"`
}

// ProgrammeStock counts a prescriber's carnets of one programme.
type ProgrammeStock struct {
	ProgrammeID string `json:"programme_id"`
	InStock     int    `json:"in_stock"`
	Issued      int    `json:"issued"`
	Cancelled   int    `json:"cancelled"`
	EverIssued  int    `json:"ever_issued"`
}

// Stock returns the stock of prescriberID. A prescriber this projection never saw
// (neither registered nor holding carnets) gives core.ErrNotFound.
func Stock(ctx context.Context, q core.Querier, prescriberID string) (Inventory, error) {
	s := Inventory{PrescriberID: prescriberID, ByNeedLevel: map[string]int{}, ByProgramme: []ProgrammeStock{}}
	for _, n := range []domain.NeedLevel{domain.NeedUrgence, domain.NeedInclusion, domain.NeedAutonomie} {
		s.ByNeedLevel[string(n)] = 0
	}
	info, err := queries.Info(ctx, core.ReadOnly(q), prescriberID)
	known := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Inventory{}, fmt.Errorf("prescribers: %w", err)
	}
	s.Name, s.Kind, s.Territory = info.Name, info.Kind, info.Territory
	groups, err := queries.StockGroups(ctx, core.ReadOnly(q), prescriberID)
	if err != nil {
		return Inventory{}, fmt.Errorf("prescribers: %w", err)
	}
	byProg := map[string]int{}
	for _, g := range groups {
		n := int(g.Carnets)
		value, err := core.MoneyOf(g.Value)
		if err != nil {
			return Inventory{}, fmt.Errorf("prescribers: %w", err)
		}
		known = true
		i, ok := byProg[g.ProgrammeID]
		if !ok {
			i = len(s.ByProgramme)
			byProg[g.ProgrammeID] = i
			s.ByProgramme = append(s.ByProgramme, ProgrammeStock{ProgrammeID: g.ProgrammeID})
		}
		p := &s.ByProgramme[i]
		switch g.Status {
		case CarnetInStock:
			s.InStock += n
			p.InStock += n
			s.InStockValue = s.InStockValue.Add(value)
		case CarnetIssued:
			s.Issued += n
			p.Issued += n
		case CarnetCancelled:
			s.Cancelled += n
			p.Cancelled += n
		}
		if g.WasIssued {
			s.EverIssued += n
			p.EverIssued += n
			s.ByNeedLevel[g.NeedLevel] += n
			if g.JobSeeker {
				s.JobSeekers += n
			}
		}
	}
	if !known {
		return Inventory{}, fmt.Errorf("%w: prescriber %s", core.ErrNotFound, prescriberID)
	}
	return s, nil
}
