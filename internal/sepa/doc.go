// Package sepa writes SEPA credit transfer initiation files (ISO 20022
// pain.001): pain.001.001.09, the version of the EPC SCT rulebook that French
// banks accept today, and pain.001.001.03 for the older portals that still ask
// for it. A reimbursement batch becomes one message, one payment instruction
// (batch booking: the bank debits the total once), and one transfer per place,
// with the place's IBAN and BIC and remittance information naming the batch and
// its cheque count.
//
// The XML is written from typed structs with encoding/xml (moov-io/iso20022 has no
// pain.001.001.09 nor .03 types). Amounts are domain.Money, never floats; every
// text is reduced to the SEPA character set. The package's tests validate what it
// writes in pain.001.001.03 against the official ISO 20022 schema (internal/xsdtest)
// and check pain.001.001.09 for well-formedness only (its official XSD cannot be
// had here: README), and re-count the sums with a parser of their own.
//
// It does no I/O beyond the io.Writer it is given and reads no clock: the
// creation time and execution date are passed in.
package sepa
