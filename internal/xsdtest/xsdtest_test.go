package xsdtest_test

import (
	"strings"
	"testing"

	"github.com/passnumerique/passledger/internal/xsdtest"
)

// A document the schema refuses is refused: the check can fail. The valid
// documents are the ones the writers' and readers' own tests validate.
func TestCheckRefusesInvalid(t *testing.T) {
	for name, c := range map[string]struct {
		s   xsdtest.Schema
		doc string
	}{
		"pain no header": {xsdtest.Pain00100103, `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn/></Document>`},
		"pain wrong ns":  {xsdtest.Pain00100103, `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn/></Document>`},
		"camt no stmt":   {xsdtest.Camt05300108, `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt/></Document>`},
	} {
		err := xsdtest.Check([]byte(c.doc), c.s)
		if err == nil || !strings.Contains(err.Error(), "not valid against") {
			t.Errorf("%s: Check = %v, want a schema refusal", name, err)
		}
	}
}
