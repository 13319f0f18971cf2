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

// Apply records prescribers and folds carnet events (minted into a prescriber's
// stock, issued, cancelled) onto one row per carnet (new carnets with a binary COPY,
// carnets read back with an upsert).
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	var ids []string
	for _, ev := range events {
		switch e := ev.Data.(type) {
		case domain.CarnetIssued:
			ids = append(ids, e.CarnetID)
		case domain.CarnetCancelled:
			ids = append(ids, e.CarnetID)
		}
	}
	carnets, err := load(ctx, tx, ids)
	if err != nil {
		return err
	}
	var dirty []string
	var info [][4]string
	for _, ev := range events {
		switch e := ev.Data.(type) {
		case domain.PrescriberRegistered:
			info = append(info, [4]string{e.PrescriberID, e.Name, string(e.Kind), e.Territory})
		case domain.CarnetMinted:
			carnets[e.CarnetID] = &carnetRow{id: e.CarnetID, prescriber: e.PrescriberID, programme: e.ProgrammeID,
				count: len(e.Serials), value: core.CentsOf(e.ChequeValue) * int64(len(e.Serials)), status: CarnetInStock, mintedAt: e.MintedAt}
			dirty = append(dirty, e.CarnetID)
		case domain.CarnetIssued:
			c := carnets[e.CarnetID]
			if c == nil {
				return fmt.Errorf("prescribers: CarnetIssued at position %d for unknown carnet %s", ev.Position, e.CarnetID)
			}
			c.status, c.wasIssued, c.need, c.jobSeeker, c.issuedAt = CarnetIssued, true, string(e.NeedLevel), e.JobSeeker, e.IssuedAt
			dirty = append(dirty, e.CarnetID)
		case domain.CarnetCancelled:
			c := carnets[e.CarnetID]
			if c == nil {
				return fmt.Errorf("prescribers: CarnetCancelled at position %d for unknown carnet %s", ev.Position, e.CarnetID)
			}
			c.status, c.cancelledAt = CarnetCancelled, e.CancelledAt
			dirty = append(dirty, e.CarnetID)
		}
	}
	b := &pgx.Batch{}
	if n := len(info); n > 0 {
		id, name, kind, territory := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		for i, r := range info {
			id[i], name[i], kind[i], territory[i] = r[0], r[1], r[2], r[3]
		}
		b.Queue(`INSERT INTO prescriber_info (prescriber_id, name, kind, territory)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
ON CONFLICT (prescriber_id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, territory = EXCLUDED.territory`, id, name, kind, territory)
	}
	seen := map[string]bool{}
	var keys, fresh []string
	for _, id := range dirty {
		if !seen[id] {
			seen[id] = true
			if carnets[id].stored {
				keys = append(keys, id)
			} else {
				fresh = append(fresh, id)
			}
		}
	}
	if n := len(keys); n > 0 {
		id, pr, pg, status, need := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		count, value := make([]int32, n), make([]int64, n)
		was, js := make([]bool, n), make([]bool, n)
		minted, issued, cancelled := make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
		for i, k := range keys {
			c := carnets[k]
			id[i], pr[i], pg[i], status[i], need[i] = c.id, c.prescriber, c.programme, c.status, c.need
			count[i], value[i], was[i], js[i] = int32(c.count), c.value, c.wasIssued, c.jobSeeker
			minted[i], issued[i], cancelled[i] = core.PgTime(c.mintedAt), core.PgTime(c.issuedAt), core.PgTime(c.cancelledAt)
		}
		b.Queue(`INSERT INTO prescriber_carnets (carnet_id, prescriber_id, programme_id, cheque_count, value, status, was_issued,
need_level, job_seeker, minted_at, issued_at, cancelled_at)
SELECT id, pr, pg, c, v::numeric / 100, s, w, nl, js, m, i, ca
FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::text[], $7::bool[], $8::text[], $9::bool[],
            $10::timestamptz[], $11::timestamptz[], $12::timestamptz[]) AS u(id, pr, pg, c, v, s, w, nl, js, m, i, ca)
ON CONFLICT (carnet_id) DO UPDATE SET status = EXCLUDED.status, was_issued = EXCLUDED.was_issued,
  need_level = EXCLUDED.need_level, job_seeker = EXCLUDED.job_seeker, issued_at = EXCLUDED.issued_at,
  cancelled_at = EXCLUDED.cancelled_at`, id, pr, pg, count, value, status, was, need, js, minted, issued, cancelled)
	}
	if err := core.SendBatch(ctx, tx, b); err != nil {
		return fmt.Errorf("prescribers: %w", err)
	}
	if len(fresh) == 0 {
		return nil
	}
	w := core.NewCopyWriter(12)
	for _, id := range fresh {
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
	if err := w.Send(ctx, tx, "prescriber_carnets", []string{"carnet_id", "prescriber_id", "programme_id",
		"cheque_count", "value", "status", "was_issued", "need_level", "job_seeker", "minted_at", "issued_at", "cancelled_at"}); err != nil {
		return fmt.Errorf("prescribers: %w", err)
	}
	return nil
}

func load(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*carnetRow, error) {
	out := map[string]*carnetRow{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT carnet_id, prescriber_id, programme_id, cheque_count, value, status, was_issued,
need_level, job_seeker, minted_at, issued_at, cancelled_at
FROM unnest($1::text[]) AS k(id) JOIN prescriber_carnets ON carnet_id = k.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("prescribers: load: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c carnetRow
		var value domain.Money
		var issued, cancelled pgtype.Timestamptz
		if err := rows.Scan(&c.id, &c.prescriber, &c.programme, &c.count, core.ScanMoney(&value), &c.status, &c.wasIssued,
			&c.need, &c.jobSeeker, &c.mintedAt, &issued, &cancelled); err != nil {
			return nil, err
		}
		c.value, c.issuedAt, c.cancelledAt, c.stored = core.CentsOf(value), core.TimeOf(issued), core.TimeOf(cancelled), true
		out[c.id] = &c
	}
	return out, rows.Err()
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
	err := q.QueryRow(ctx, `SELECT name, kind, territory FROM prescriber_info WHERE prescriber_id = $1`, prescriberID).Scan(&s.Name, &s.Kind, &s.Territory)
	known := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Inventory{}, fmt.Errorf("prescribers: %w", err)
	}
	rows, err := q.Query(ctx, `SELECT programme_id, status, was_issued, need_level, job_seeker, count(*), sum(value)
FROM prescriber_carnets WHERE prescriber_id = $1
GROUP BY programme_id, status, was_issued, need_level, job_seeker ORDER BY programme_id`, prescriberID)
	if err != nil {
		return Inventory{}, fmt.Errorf("prescribers: %w", err)
	}
	defer rows.Close()
	byProg := map[string]int{}
	for rows.Next() {
		var programme, status, need string
		var was, js bool
		var n int
		var value domain.Money
		if err := rows.Scan(&programme, &status, &was, &need, &js, &n, core.ScanMoney(&value)); err != nil {
			return Inventory{}, fmt.Errorf("prescribers: %w", err)
		}
		known = true
		i, ok := byProg[programme]
		if !ok {
			i = len(s.ByProgramme)
			byProg[programme] = i
			s.ByProgramme = append(s.ByProgramme, ProgrammeStock{ProgrammeID: programme})
		}
		p := &s.ByProgramme[i]
		switch status {
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
		if was {
			s.EverIssued += n
			p.EverIssued += n
			s.ByNeedLevel[need] += n
			if js {
				s.JobSeekers += n
			}
		}
	}
	if err := rows.Err(); err != nil {
		return Inventory{}, fmt.Errorf("prescribers: %w", err)
	}
	if !known {
		return Inventory{}, fmt.Errorf("%w: prescriber %s", core.ErrNotFound, prescriberID)
	}
	return s, nil
}
