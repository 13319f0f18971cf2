package reference

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/passnumerique/passledger/domain"
)

func TestDepartementsCount(t *testing.T) {
	if n := len(Departements()); n != 101 {
		t.Fatalf("Departements() has %d rows, want 101", n)
	}
}

func TestDepartementsCodesUniqueAndValid(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range Departements() {
		if seen[d.Code] {
			t.Errorf("duplicate code %q", d.Code)
		}
		seen[d.Code] = true
		if !domain.ValidDepartementCode(d.Code) {
			t.Errorf("code %q (%s) is not valid per domain.ValidDepartementCode", d.Code, d.Name)
		}
		if d.Name == "" || d.Region == "" {
			t.Errorf("code %q has an empty name or region: %+v", d.Code, d)
		}
		got, ok := Departement(d.Code)
		if !ok || got != d {
			t.Errorf("Departement(%q) = %+v, %v; want %+v, true", d.Code, got, ok, d)
		}
	}
}

func TestDepartementsInINSEEOrder(t *testing.T) {
	// INSEE order: 01..19, 2A, 2B, 21..95, 971..976 (Corsica sorts where 20 was).
	key := func(code string) string {
		switch code {
		case "2A":
			return "20A"
		case "2B":
			return "20B"
		}
		return code
	}
	list := Departements()
	for i := 1; i < len(list); i++ {
		if key(list[i-1].Code) >= key(list[i].Code) {
			t.Errorf("%q comes before %q", list[i-1].Code, list[i].Code)
		}
	}
	if first, last := list[0].Code, list[len(list)-1].Code; first != "01" || last != "976" {
		t.Errorf("first/last codes = %q/%q, want 01/976", first, last)
	}
}

func TestDepartementPuyDeDome(t *testing.T) {
	d, ok := Departement("63")
	if !ok {
		t.Fatal(`Departement("63") not found`)
	}
	if d.Name != "Puy-de-Dôme" || d.Region != "Auvergne-Rhône-Alpes" {
		t.Errorf(`Departement("63") = %q in %q, want "Puy-de-Dôme" in "Auvergne-Rhône-Alpes"`, d.Name, d.Region)
	}
}

func TestDepartementUnknownCode(t *testing.T) {
	for _, code := range []string{"", "20", "1", "2a", "975", "99", " 63"} {
		if d, ok := Departement(code); ok || d != (DepartementInfo{}) {
			t.Errorf("Departement(%q) = %+v, %v; want zero, false", code, d, ok)
		}
	}
}

func TestDepartementsPopulation(t *testing.T) {
	var total int64
	for _, d := range Departements() {
		if d.Population <= 0 {
			t.Errorf("%s (%s) population %d, want > 0", d.Code, d.Name, d.Population)
		}
		total += d.Population
	}
	if total < 65_000_000 || total > 69_000_000 {
		t.Errorf("total population %d, want between 65,000,000 and 69,000,000", total)
	}
}

func TestDepartementsReturnsCopy(t *testing.T) {
	a := Departements()
	a[0].Name = "changed"
	if b := Departements(); b[0].Name == "changed" {
		t.Error("Departements() exposes its internal slice")
	}
}

func TestParseDepartementsRejectsBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"empty":           "",
		"bad header":      "code;nom;region;population\n01;Ain;Auvergne-Rhône-Alpes;1\n",
		"short row":       "code;name;region;population\n01;Ain;1\n",
		"bad population":  "code;name;region;population\n01;Ain;Auvergne-Rhône-Alpes;x\n",
		"zero population": "code;name;region;population\n01;Ain;Auvergne-Rhône-Alpes;0\n",
		"duplicate code":  "code;name;region;population\n01;Ain;A;1\n01;Ain;A;2\n",
	} {
		if _, err := parseDepartements([]byte(in)); err == nil {
			t.Errorf("%s: parseDepartements accepted %q", name, in)
		}
	}
}

func TestDepartementJSON(t *testing.T) {
	d, _ := Departement("2A")
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"code":"2A","name":"Corse-du-Sud","region":"Corse","population":` + strconv.FormatInt(d.Population, 10) + `}`
	if string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
}
