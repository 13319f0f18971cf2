package web

import (
	"github.com/passnumerique/passledger/internal/reference"
	"testing"
)

// Every one of the 101 départements has a tile, no two share one, and no tile
// names an unknown code.
func TestTileGridPlacesEveryDepartementOnce(t *testing.T) {
	deps := reference.Departements()
	if len(deps) != 101 {
		t.Fatalf("%d départements", len(deps))
	}
	placed := map[string]Tile{}
	cells := map[[2]int]string{}
	for _, tile := range Tiles {
		if _, ok := reference.Departement(tile.Code); !ok {
			t.Errorf("tile %s: unknown département", tile)
		}
		if prev, dup := placed[tile.Code]; dup {
			t.Errorf("%s placed twice: %s and %s", tile.Code, prev, tile)
		}
		placed[tile.Code] = tile
		cell := [2]int{tile.Col, tile.Row}
		if other, taken := cells[cell]; taken {
			t.Errorf("tile %s on the same square as %s", tile, other)
		}
		cells[cell] = tile.Code
		if overseas := len(tile.Code) == 3; overseas != tile.Inset {
			t.Errorf("tile %s: inset %v", tile, tile.Inset)
		}
	}
	for _, d := range deps {
		if _, ok := placed[d.Code]; !ok {
			t.Errorf("%s (%s) has no tile", d.Code, d.Name)
		}
	}
	if len(Tiles) != 101 {
		t.Errorf("%d tiles, want 101", len(Tiles))
	}
}
