// Package spreadsheet writes reports as XLSX workbooks (with excelize) that open
// correctly in a French spreadsheet: typed cells (euro amounts as numbers with the
// format `#,##0.00 "€"`, dates as dates shown dd/mm/yyyy, integers as numbers),
// French column headers in bold, the header row frozen, and a totals row that sums
// the amount and count columns. Amounts go in as domain.Money and are written with
// exactly two decimals, so that the file holds the same cents as the JSON.
package spreadsheet

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/passnumerique/passledger/domain"
)

// ContentType is the media type of an XLSX workbook.
const ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// EuroFormat is the number format of amount cells.
const EuroFormat = `#,##0.00 "€"`

// Kind is a column's cell type.
type Kind int

// The column kinds.
const (
	// Text cells take strings.
	Text Kind = iota
	// Euro cells take domain.Money (summed in the totals row).
	Euro
	// Date cells take domain.Date (a zero date leaves the cell empty) or
	// time.Time.
	Date
	// Int cells take int or int64 (summed in the totals row).
	Int
	// Number cells take decimals given as strings ("" leaves the cell
	// empty) or float64 (not summed): rates, needs, coefficients.
	Number
)

// Column is one column: its header and the kind of its cells.
type Column struct {
	Header string
	Kind   Kind
	Width  float64 // 0: by kind
}

// Sheet is one worksheet.
type Sheet struct {
	Name    string
	Columns []Column
	Rows    [][]any
	// Totals adds a row "Total" summing Euro and Int columns.
	Totals bool
}

// Write writes the sheets as one workbook to w.
func Write(w io.Writer, sheets ...Sheet) error {
	f := excelize.NewFile()
	defer f.Close()
	format := EuroFormat
	euro, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return err
	}
	dateFmt := "dd/mm/yyyy"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return err
	}
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE4EE"}}})
	if err != nil {
		return err
	}
	boldEuro, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, CustomNumFmt: &format})
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	for i, sh := range sheets {
		name := sh.Name
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		for c, col := range sh.Columns {
			cell, _ := excelize.CoordinatesToCellName(c+1, 1)
			if err := f.SetCellStr(name, cell, col.Header); err != nil {
				return err
			}
			width := col.Width
			if width == 0 {
				width = map[Kind]float64{Text: 24, Euro: 15, Date: 12, Int: 10, Number: 12}[col.Kind]
			}
			letter, _ := excelize.ColumnNumberToName(c + 1)
			if err := f.SetColWidth(name, letter, letter, width); err != nil {
				return err
			}
		}
		if len(sh.Columns) > 0 {
			last, _ := excelize.CoordinatesToCellName(len(sh.Columns), 1)
			if err := f.SetCellStyle(name, "A1", last, header); err != nil {
				return err
			}
		}
		sums := make([]domain.Money, len(sh.Columns))
		counts := make([]int64, len(sh.Columns))
		for r, row := range sh.Rows {
			if len(row) != len(sh.Columns) {
				return fmt.Errorf("spreadsheet: sheet %s row %d has %d cells for %d columns", name, r+1, len(row), len(sh.Columns))
			}
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
				if err := setCell(f, name, cell, sh.Columns[c].Kind, v, euro, date); err != nil {
					return fmt.Errorf("spreadsheet: sheet %s cell %s: %w", name, cell, err)
				}
				switch sh.Columns[c].Kind {
				case Euro:
					if m, ok := v.(domain.Money); ok {
						sums[c] = sums[c].Add(m)
					}
				case Int:
					counts[c] += toInt(v)
				}
			}
		}
		if sh.Totals && len(sh.Columns) > 0 {
			r := len(sh.Rows) + 2
			first, _ := excelize.CoordinatesToCellName(1, r)
			if err := f.SetCellStr(name, first, "Total"); err != nil {
				return err
			}
			if err := f.SetCellStyle(name, first, first, bold); err != nil {
				return err
			}
			for c, col := range sh.Columns {
				cell, _ := excelize.CoordinatesToCellName(c+1, r)
				switch col.Kind {
				case Euro:
					if err := setMoney(f, name, cell, sums[c]); err != nil {
						return err
					}
					if err := f.SetCellStyle(name, cell, cell, boldEuro); err != nil {
						return err
					}
				case Int:
					if c == 0 {
						continue
					}
					if err := f.SetCellInt(name, cell, counts[c]); err != nil {
						return err
					}
					if err := f.SetCellStyle(name, cell, cell, bold); err != nil {
						return err
					}
				}
			}
		}
		if err := f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
	}
	_, err = f.WriteTo(w)
	return err
}

func setMoney(f *excelize.File, sheet, cell string, m domain.Money) error {
	v, err := strconv.ParseFloat(m.String(), 64)
	if err != nil {
		return err
	}
	// Precision 2: the file holds the decimal written with two decimals.
	return f.SetCellFloat(sheet, cell, v, 2, 64)
}

func setCell(f *excelize.File, sheet, cell string, kind Kind, v any, euro, date int) error {
	switch kind {
	case Euro:
		m, ok := v.(domain.Money)
		if !ok {
			return fmt.Errorf("euro cell takes domain.Money, not %T", v)
		}
		if err := setMoney(f, sheet, cell, m); err != nil {
			return err
		}
		return f.SetCellStyle(sheet, cell, cell, euro)
	case Date:
		var t time.Time
		switch d := v.(type) {
		case domain.Date:
			if d.IsZero() {
				return nil
			}
			t = d.Time()
		case *domain.Date:
			if d == nil || d.IsZero() {
				return nil
			}
			t = d.Time()
		case time.Time:
			if d.IsZero() {
				return nil
			}
			t = d
		default:
			return fmt.Errorf("date cell takes domain.Date or time.Time, not %T", v)
		}
		if err := f.SetCellValue(sheet, cell, t); err != nil {
			return err
		}
		return f.SetCellStyle(sheet, cell, cell, date)
	case Int:
		return f.SetCellInt(sheet, cell, toInt(v))
	case Number:
		switch n := v.(type) {
		case string:
			if n == "" {
				return nil // no figure (a ratio without need data)
			}
			x, err := strconv.ParseFloat(n, 64)
			if err != nil {
				return err
			}
			return f.SetCellFloat(sheet, cell, x, -1, 64)
		case float64:
			return f.SetCellFloat(sheet, cell, n, -1, 64)
		case fmt.Stringer:
			x, err := strconv.ParseFloat(n.String(), 64)
			if err != nil {
				return err
			}
			return f.SetCellFloat(sheet, cell, x, -1, 64)
		}
		return fmt.Errorf("number cell takes a decimal string or float64, not %T", v)
	default:
		s, ok := v.(string)
		if !ok {
			s = fmt.Sprint(v)
		}
		return f.SetCellStr(sheet, cell, s)
	}
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	case int32:
		return int64(n)
	}
	return 0
}
