package spreadsheet_test

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/internal/spreadsheet"
)

func TestWriteReadBack(t *testing.T) {
	var b bytes.Buffer
	err := spreadsheet.Write(&b, spreadsheet.Sheet{
		Name:    "Lot",
		Columns: []spreadsheet.Column{{Header: "Lieu", Kind: spreadsheet.Text}, {Header: "Date", Kind: spreadsheet.Date}, {Header: "Chèques", Kind: spreadsheet.Int}, {Header: "Montant", Kind: spreadsheet.Euro}},
		Rows: [][]any{
			{"Médiathèque", domain.MustDate("2026-03-05"), 12, domain.MustMoney("120.10")},
			{"EPN", domain.Date{}, 1, domain.MustMoney("0.20")},
		},
		Totals: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("Lot", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][2] != "Chèques" || rows[1][3] != "120.10" || rows[3][0] != "Total" || rows[3][2] != "13" || rows[3][3] != "120.30" {
		t.Fatalf("%q", rows)
	}
	if typ, _ := f.GetCellType("Lot", "D2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Fatalf("amount cell type %v", typ)
	}
	shown, _ := f.GetCellValue("Lot", "B2")
	if shown != "05/03/2026" {
		t.Fatalf("date shown %q", shown)
	}
	st, _ := f.GetCellStyle("Lot", "D2")
	style, _ := f.GetStyle(st)
	if style.CustomNumFmt == nil || *style.CustomNumFmt != spreadsheet.EuroFormat {
		t.Fatalf("euro format %+v", style)
	}
	panes, err := f.GetPanes("Lot")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Fatalf("panes %+v %v", panes, err)
	}
}
