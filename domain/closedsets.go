package domain

// The closed sets and identifier shapes of the domain, in one place, so that
// validation and the published contract (the OpenAPI document of the api
// package, which reads these lists and patterns) cannot disagree. Every
// Valid method of a closed set checks membership in its list; every pattern
// below accepts exactly what its Valid* function accepts (closedsets_test.go).

// Regular expressions (ECMA 262 and RE2 alike) of identifiers.
const (
	// IDPattern is what ValidID accepts: 1 to MaxIDLength of A-Z a-z 0-9 _ . -
	IDPattern = `^[A-Za-z0-9_.-]{1,64}$`
	// CarnetIDPattern is what ValidCarnetID accepts: 4 to 20 upper-case
	// letters and digits.
	CarnetIDPattern = `^[A-Z0-9]{4,20}$`
	// SerialPattern is the shape of a cheque serial ("K7Q2M9XA-0347": carnet
	// id, index, check); ParseSerial also verifies the index and the check.
	SerialPattern = `^[A-Z0-9]{4,20}-[0-9]{4}$`
	// CheckCodePattern is the shape of a cheque's check code.
	CheckCodePattern = `^[0-9]{6}$`
	// DepartementCodePattern is what ValidDepartementCode accepts.
	DepartementCodePattern = `^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-6])$`
	// SIRETPattern is the shape of a SIRET (ValidSIRET also runs the Luhn
	// check).
	SIRETPattern = `^[0-9]{14}$`
	// MoneyPattern is the JSON form of Money: euros with exactly two decimals.
	MoneyPattern = `^-?[0-9]+\.[0-9]{2}$`
)

func oneOf[T comparable](v T, set []T) bool {
	for _, x := range set {
		if v == x {
			return true
		}
	}
	return false
}
