package web

import (
	"fmt"
	"strings"
)

// Tile places one département on the equity map's tile grid.
type Tile struct {
	Code     string
	Col, Row int
	// Inset marks the overseas départements, drawn in a framed inset (Outre-mer)
	// off the Atlantic coast rather than at their place on the globe.
	Inset bool
}

// tileGrid is the map of metropolitan France, one square per département in its
// rough geographic place (row 0 is the north, column 0 the west), drawn as text so
// that the layout reads like the map: each cell is three characters, "." is sea
// or abroad. Corsica sits south-east of the Alpes-Maritimes; the overseas
// départements are in the inset on the left (insetTiles).
const tileGrid = `
 .  .  .  .  .  . 62 59  .  .  .  .  .  .
 .  .  .  .  . 76 80 60 02 08  .  .  .  .
 .  .  . 50 14 27 95 93 51 55 57  .  .  .
 . 29 22 35 61 78 92 75 94 77 54 67  .  .
 .  . 56 53 72 28 91 45 89 10 52 88 68  .
 .  .  . 44 49 37 41 18 58 21 70 25 90  .
 .  .  . 85 79 86 36 23 03 71 39  .  .  .
 .  .  .  . 17 16 87 63 42 69 01 74  .  .
 .  .  .  .  . 24 19 15 43 07 38 73  .  .
 .  .  .  . 33 47 46 12 48 26 05  .  .  .
 .  .  .  . 40 32 82 81 30 84 04 06  .  .
 .  .  .  . 64 65 31 11 34 13 83  . 2B  .
 .  .  .  .  .  . 09 66  .  .  .  . 2A  .
`

// insetTiles are the overseas départements, in a column off the Atlantic coast.
var insetTiles = []Tile{
	{Code: "971", Col: 0, Row: 8, Inset: true},
	{Code: "972", Col: 0, Row: 9, Inset: true},
	{Code: "973", Col: 0, Row: 10, Inset: true},
	{Code: "974", Col: 0, Row: 11, Inset: true},
	{Code: "976", Col: 0, Row: 12, Inset: true},
}

// Tiles is the layout of the 101 départements (metropolitan grid, then insets).
var Tiles = func() []Tile {
	var out []Tile
	for row, line := range strings.Split(strings.Trim(tileGrid, "\n"), "\n") {
		for col := 0; 3*col < len(line); col++ {
			cell := strings.TrimSpace(line[3*col : min(3*col+3, len(line))])
			if cell != "." && cell != "" {
				out = append(out, Tile{Code: cell, Col: col, Row: row})
			}
		}
	}
	return append(out, insetTiles...)
}()

// gridSize is the number of columns and rows the tiles span.
func gridSize() (cols, rows int) {
	for _, t := range Tiles {
		cols, rows = max(cols, t.Col+1), max(rows, t.Row+1)
	}
	return cols, rows
}

func (t Tile) String() string { return fmt.Sprintf("%s@%d,%d", t.Code, t.Col, t.Row) }
