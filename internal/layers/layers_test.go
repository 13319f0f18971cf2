package layers_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/passnumerique/passledger/"

// rules lists, for each package of the module (a pattern: "x/..." is x and every
// package below it), the packages of the module it may import. The order matters:
// the first pattern that matches a package gives its rule. A package that no rule
// names fails the test, so that a new package is placed in docs/architecture.md
// before it lands.
var rules = []struct {
	pkg   string
	may   []string
	about string
}{
	{"domain", nil, "pure: the rules of the ledger, no I/O"},
	{"eventstore", []string{"eventstore/internal/dbsqlc"}, "the events table; knows no event's meaning"},
	{"eventstore/internal/dbsqlc", nil, "the event store's SQL, compiled by sqlc"},
	{"eventstore/storetest", []string{"app", "eventstore"}, "the conformance suite of app.Store"},
	{"migrations", nil, "the embedded schema"},
	{"app", []string{"domain", "eventstore"}, "commands: read, decide (domain), append"},
	{"projections/core", []string{"domain", "eventstore", "projections/internal/dbsqlc"}, "what every projection shares"},
	{"projections/internal/dbsqlc", nil, "the checkpoints' SQL, compiled by sqlc"},
	{"projections", []string{"domain", "eventstore", "projections/...", "internal/ledgerdb"}, "the live service, rebuilds, transports"},
	{"projections/cheques", []string{"domain", "eventstore", "projections/core", "projections/cheques/internal/dbsqlc"}, "cheque status"},
	{"projections/cheques/internal/dbsqlc", nil, "the cheques projection's SQL, compiled by sqlc"},
	{"projections/places", []string{"domain", "eventstore", "projections/core", "projections/places/internal/dbsqlc"}, "place statements"},
	{"projections/places/internal/dbsqlc", nil, "the places projection's SQL, compiled by sqlc"},
	{"projections/prescribers", []string{"domain", "eventstore", "projections/core", "projections/prescribers/internal/dbsqlc"}, "prescriber stock"},
	{"projections/prescribers/internal/dbsqlc", nil, "the prescribers projection's SQL, compiled by sqlc"},
	{"projections/audit", []string{"domain", "eventstore", "projections/core", "projections/audit/internal/dbsqlc"}, "one read model, its SQL compiled by sqlc"},
	{"projections/audit/internal/dbsqlc", nil, "the audit projection's SQL, compiled by sqlc"},
	{"projections/balances", []string{"domain", "eventstore", "projections/core", "projections/balances/internal/dbsqlc"}, "one read model, its SQL compiled by sqlc"},
	{"projections/balances/internal/dbsqlc", nil, "the balances projection's SQL, compiled by sqlc"},
	{"projections/equity", []string{"domain", "eventstore", "projections/core", "projections/equity/internal/dbsqlc"}, "one read model, its SQL compiled by sqlc"},
	{"projections/equity/internal/dbsqlc", nil, "the equity projection's SQL, compiled by sqlc"},
	{"projections/treasury", []string{"domain", "eventstore", "projections/core", "projections/treasury/internal/dbsqlc"}, "one read model, its SQL compiled by sqlc"},
	{"projections/treasury/internal/dbsqlc", nil, "the treasury projection's SQL, compiled by sqlc"},
	{"projections/projectiontest", []string{"projections/core"}, "tests only: compares projection tables"},
	{"projections/...", []string{"domain", "eventstore", "projections/core"}, "one read model each"},
	{"internal/receipt", nil, "signed receipts, pure"},
	{"internal/reference", nil, "built-in reference data"},
	{"internal/pgserver", nil, "finds or starts PostgreSQL"},
	{"internal/ledgerdb", []string{"internal/pgserver", "migrations"}, "opens the database"},
	{"internal/pgtest", []string{"internal/ledgerdb", "internal/pgserver", "migrations"}, "test databases"},
	{"internal/credentials", []string{"app", "internal/credentials/internal/dbsqlc"}, "tokens and server secrets in PostgreSQL"},
	{"internal/credentials/internal/dbsqlc", nil, "the credentials' SQL, compiled by sqlc"},
	{"internal/camt", []string{"domain"}, "ISO 20022 camt.053 reader"},
	{"internal/sepa", []string{"domain", "projections/places"}, "ISO 20022 pain.001 writer"},
	{"internal/spreadsheet", []string{"domain"}, "XLSX writer"},
	{"internal/xsdtest", nil, "tests only: validation against the official ISO 20022 schemas"},
	{"internal/simulate", []string{"app", "domain", "eventstore", "internal/reference"}, "the one world generator"},
	{"internal/layers", nil, "this test"},
	{"api/client", nil, "generated client"},
	{"api", []string{"app", "domain", "eventstore", "projections/...", "internal/camt", "internal/credentials",
		"internal/receipt", "internal/reference", "internal/sepa", "internal/spreadsheet"}, "the HTTP JSON port"},
	{"web", []string{"api", "app", "domain", "eventstore", "projections/...", "internal/credentials",
		"internal/receipt", "internal/reference", "internal/spreadsheet"}, "the HTML port"},
	{"cmd/...", []string{"api", "app", "domain", "eventstore", "projections/...", "web", "migrations", "internal/..."}, "binaries"},
}

func matches(pattern, pkg string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

// Every package imports only what its layer may: domain nothing, app the domain
// and the store, no internal package the HTTP or HTML ports, nothing a binary.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, ok := strings.CutPrefix(fields[0], module)
		if !ok {
			continue
		}
		rule := -1
		for i, r := range rules {
			if matches(r.pkg, pkg) {
				rule = i
				break
			}
		}
		if rule < 0 {
			t.Errorf("package %s has no import rule: add it to rules and to docs/architecture.md", pkg)
			continue
		}
		checked++
		for _, imp := range fields[1:] {
			dep, ours := strings.CutPrefix(imp, module)
			if !ours {
				continue
			}
			allowed := false
			for _, may := range rules[rule].may {
				if matches(may, dep) {
					allowed = true
				}
			}
			if strings.HasPrefix(dep, "cmd/") || dep == "internal/layers" {
				allowed = false
			}
			if !allowed {
				t.Errorf("%s (%s) imports %s: not allowed (may: %v)", pkg, rules[rule].about, dep, rules[rule].may)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d packages checked: go list found too little", checked)
	}
}
