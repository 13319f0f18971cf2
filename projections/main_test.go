package projections_test

import (
	"os"
	"testing"

	"github.com/passnumerique/passledger/internal/pgtest"
)

var db *pgtest.DB

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &db)) }
