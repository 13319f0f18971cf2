// Built-in reference data: the 101 French départements.
//
// Source of the populations: INSEE populations légales 2021 (population municipale), transcribed; check against insee.fr before official use.
//
// The figures are the populations légales millésimées 2021 (statistical
// reference date 1 January 2021, in force from 1 January 2024, authenticated
// by décret n° 2023-1256), per département in the territorial limits of
// 1 January 2023. Mayotte (976) is not covered by those populations légales;
// its row carries the population municipale of the 2017 Mayotte census, the
// latest legal population for Mayotte at that date. Names and regions are
// those of the Code officiel géographique (regions as of 2016).

package reference

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"strconv"
	"sync"
)

// departementsCSV is the embedded reference table: UTF-8, ';'-separated,
// header "code;name;region;population", one row per département in INSEE
// code order.
//
//go:embed departements.csv
var departementsCSV []byte

// DepartementInfo is one of France's 101 départements: built-in reference
// data, read from the embedded departements.csv. GET /v1/territories encodes
// it as JSON with the lower-case keys of its field tags.
//
// The type is not called Departement because that name is taken by the
// lookup function Departement (Go forbids a type and a function of the same
// name in one package).
type DepartementInfo struct {
	// Code is the INSEE code: "01" to "95" except "20", "2A" and "2B" for
	// Corsica, and "971" to "974" and "976" overseas. Every code satisfies
	// domain.ValidDepartementCode.
	Code string `json:"code"`
	// Name is the official name, with accents and hyphens as INSEE writes it
	// (e.g. "Puy-de-Dôme", "Côtes-d'Armor").
	Name string `json:"name"`
	// Region is the name of the région the département belongs to, in the
	// regions of 2016 (e.g. "Auvergne-Rhône-Alpes"); an overseas département
	// is its own région (e.g. "La Réunion").
	Region string `json:"region"`
	// Population is the INSEE population municipale of the populations
	// légales 2021 (Mayotte: 2017 census); see the file header.
	Population int64 `json:"population"`
}

// departementTable is the parsed, immutable form of departementsCSV.
type departementTable struct {
	list   []DepartementInfo
	byCode map[string]int // index into list
}

// loadDepartements parses the embedded CSV exactly once, on first use. The
// CSV ships with the binary and is checked by the tests, so a malformed file
// is a build defect: parsing it panics rather than returning an error.
var loadDepartements = sync.OnceValue(func() departementTable {
	t, err := parseDepartements(departementsCSV)
	if err != nil {
		panic("api: embedded departements.csv: " + err.Error())
	}
	return t
})

// parseDepartements reads the ';'-separated table with encoding/csv: a header
// "code;name;region;population", then one row of four fields per
// département. Codes must be unique and populations positive integers.
func parseDepartements(data []byte) (departementTable, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = ';'
	r.FieldsPerRecord = 4
	rows, err := r.ReadAll()
	if err != nil {
		return departementTable{}, err
	}
	if len(rows) == 0 {
		return departementTable{}, fmt.Errorf("empty file")
	}
	if h := rows[0]; h[0] != "code" || h[1] != "name" || h[2] != "region" || h[3] != "population" {
		return departementTable{}, fmt.Errorf("unexpected header %q", h)
	}
	t := departementTable{
		list:   make([]DepartementInfo, 0, len(rows)-1),
		byCode: make(map[string]int, len(rows)-1),
	}
	for i, row := range rows[1:] {
		line := i + 2
		pop, err := strconv.ParseInt(row[3], 10, 64)
		if err != nil || pop <= 0 {
			return departementTable{}, fmt.Errorf("line %d: population %q is not a positive integer", line, row[3])
		}
		if row[0] == "" || row[1] == "" || row[2] == "" {
			return departementTable{}, fmt.Errorf("line %d: empty field in %q", line, row)
		}
		if _, dup := t.byCode[row[0]]; dup {
			return departementTable{}, fmt.Errorf("line %d: duplicate code %q", line, row[0])
		}
		t.byCode[row[0]] = len(t.list)
		t.list = append(t.list, DepartementInfo{Code: row[0], Name: row[1], Region: row[2], Population: pop})
	}
	return t, nil
}

// Departements returns all 101 départements in INSEE code order ("01" to
// "19", "2A", "2B", "21" to "95", then "971" to "976"), parsed once from the
// embedded CSV with encoding/csv (Comma ';'). The result is a fresh copy on
// each call: the caller may modify or keep it without affecting later calls.
func Departements() []DepartementInfo {
	list := loadDepartements().list
	out := make([]DepartementInfo, len(list))
	copy(out, list)
	return out
}

// Departement returns the département with that code, and true; or the zero
// DepartementInfo and false when no département has that code. The code must
// be written exactly as INSEE writes it: two digits with a leading zero
// ("01", not "1"), upper-case "2A"/"2B", or three digits overseas ("974");
// it is not trimmed or case-folded.
func Departement(code string) (DepartementInfo, bool) {
	t := loadDepartements()
	i, ok := t.byCode[code]
	if !ok {
		return DepartementInfo{}, false
	}
	return t.list[i], true
}
