package api

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/domain"
)

// ErrBankStatement reports a malformed statement.
var ErrBankStatement = errors.New("bank statement")

// ParseBankStatement parses a statement as French banks export it: `;`-separated
// columns date;amount;reference;label, an optional header row, an optional UTF-8
// byte-order mark (Windows-1252 text is accepted too), dates as YYYY-MM-DD or
// DD/MM/YYYY, amounts with a decimal comma or point, spaces as thousands
// separators, at most two decimals, money in positive and money out negative.
// Any malformed line rejects the whole statement, naming the line; so does a NUL,
// a control character (TAB, LF and CR included: no text field of the ledger
// accepts one) or a byte neither UTF-8 nor Windows-1252 in a cell, naming its
// line and column.
func ParseBankStatement(body []byte) ([]app.BankLineInput, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	cp1252 := false
	if !utf8.Valid(body) {
		cp1252 = true
		decoded, err := charmap.Windows1252.NewDecoder().Bytes(body)
		if err != nil {
			return nil, fmt.Errorf("%w: not UTF-8 nor Windows-1252 text", ErrBankStatement)
		}
		body = decoded
	}
	cr := csv.NewReader(bytes.NewReader(body))
	cr.Comma = ';'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var out []app.BankLineInput
	for n := 1; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrBankStatement, n, err)
		}
		for i, cell := range rec {
			why := badText(cell)
			if cp1252 && why == "" && strings.ContainsRune(cell, utf8.RuneError) {
				// The decoder's mark for the 5 bytes Windows-1252 leaves undefined.
				why = "a byte that is neither UTF-8 nor Windows-1252"
			}
			if why != "" {
				line, _ := cr.FieldPos(i)
				return nil, fmt.Errorf("%w: line %d, column %d (%s): %s", ErrBankStatement, line, i+1, bankColumn(i), why)
			}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != 4 {
			return nil, fmt.Errorf("%w: line %d: %d columns, want 4 (date;amount;reference;label)", ErrBankStatement, n, len(rec))
		}
		if n == 1 && strings.EqualFold(strings.TrimSpace(rec[0]), "date") {
			continue
		}
		d, err := parseBankDate(strings.TrimSpace(rec[0]))
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: date %q: %v", ErrBankStatement, n, rec[0], err)
		}
		amt, err := domain.ParseMoneyFR(rec[1])
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: amount %q: %v", ErrBankStatement, n, rec[1], err)
		}
		if amt.IsZero() {
			return nil, fmt.Errorf("%w: line %d: amount is zero", ErrBankStatement, n)
		}
		ref, label := strings.TrimSpace(rec[2]), strings.TrimSpace(rec[3])
		if utf8.RuneCountInString(ref) > 140 || utf8.RuneCountInString(label) > 500 {
			return nil, fmt.Errorf("%w: line %d: reference or label too long", ErrBankStatement, n)
		}
		out = append(out, app.BankLineInput{Date: d, Amount: amt, Reference: ref, Label: label})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no line", ErrBankStatement)
	}
	return out, nil
}

// bankColumn names a statement column.
func bankColumn(i int) string {
	if names := []string{"date", "amount", "reference", "label"}; i < len(names) {
		return names[i]
	}
	return "extra"
}

func parseBankDate(s string) (domain.Date, error) {
	if strings.Contains(s, "/") {
		t, err := time.Parse("02/01/2006", s)
		if err != nil {
			return domain.Date{}, err
		}
		return domain.DateOf(t), nil
	}
	return domain.ParseDate(s)
}
