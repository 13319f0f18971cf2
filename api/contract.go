package api

import (
	"reflect"
	"strings"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/receipt"
	"github.com/passnumerique/passledger/projections/cheques"
	"github.com/passnumerique/passledger/projections/places"
)

// The closed sets and identifier shapes of the contract. The values come from
// the packages that validate or produce them (the domain for the domain's
// sets), never from a copy here, so the document cannot drift from the code.
//
// A string field is an enum when its Go type is registered in enumOfType
// (domain.FunderKind, …) or when it carries the tag `enum:"Name"` naming a set
// of closedSets; each set is one component schema (#/components/schemas/Name),
// so a client generator makes one named type per set. A string field gets the
// pattern or format its tag names (`pattern:"id"`, `format:"uuid"`), else the
// one its JSON name implies (fieldShapes: "place_id" is an id, "serial" a
// serial, …); `pattern:"-"` says "free text".

// closedSet is one enum of the document.
type closedSet struct {
	description string
	values      func() []string
}

var closedSets = map[string]closedSet{
	"FunderKind":     {"Public category of a funder.", func() []string { return strs(domain.FunderKinds) }},
	"PrescriberKind": {"Public category of a prescriber.", func() []string { return strs(domain.PrescriberKinds) }},
	"NeedLevel":      {"A beneficiary's public category of need.", func() []string { return strs(domain.NeedLevels) }},
	"LabelAction":    {"A change of a place's label.", func() []string { return strs(domain.LabelActions) }},
	"LabelStatus":    {"The state of a place's label.", func() []string { return strs(domain.LabelStatuses) }},
	"CancelReason":   {"Why a carnet was cancelled.", func() []string { return strs(domain.CancelReasons) }},
	"MovementKind":   {"Kind of an expected bank movement.", func() []string { return strs(domain.MovementKinds) }},
	"AgeingBucket":   {"Ageing bucket of a treasury advance (days since granted).", func() []string { return domain.AgeingBuckets }},
	"EventType":      {"Type of an event of the log.", domain.EventTypes},
	"Role":           {"What a token may do.", func() []string { return strs(Roles) }},
	"AdvanceFilter":  {"Which advances GET /v1/advances lists.", func() []string { return advanceFilters }},
	"ChequeStatus":   {"Status of a cheque.", func() []string { return cheques.Statuses }},
	"CarnetStatus":   {"Status of a carnet.", func() []string { return cheques.CarnetStatuses }},
	"ReimbursementStatus": {"Reimbursement of a redeemed cheque: claimed by a batch, or paid.",
		func() []string { return cheques.ReimbursementStatuses }},
	"StatementStatus":  {"Status of a redemption on a place's statement.", func() []string { return places.Statuses }},
	"ReceiptAlgorithm": {"Signature algorithm of redemption receipts.", func() []string { return []string{receipt.Algorithm} }},
}

// advanceFilters are the values of GET /v1/advances?status= (and of its
// answer's status).
var advanceFilters = []string{"outstanding", "all"}

// enumOfType names the closed set of a named string type.
var enumOfType = map[reflect.Type]string{
	reflect.TypeOf(domain.FunderKind("")):     "FunderKind",
	reflect.TypeOf(domain.PrescriberKind("")): "PrescriberKind",
	reflect.TypeOf(domain.NeedLevel("")):      "NeedLevel",
	reflect.TypeOf(domain.LabelAction("")):    "LabelAction",
	reflect.TypeOf(domain.LabelStatus("")):    "LabelStatus",
	reflect.TypeOf(domain.CancelReason("")):   "CancelReason",
	reflect.TypeOf(domain.MovementKind("")):   "MovementKind",
	reflect.TypeOf(Role("")):                  "Role",
}

// shape is the pattern or format of a string.
type shape struct {
	pattern, format, description string
}

func (s shape) schema() map[string]any {
	m := map[string]any{"type": "string"}
	if s.pattern != "" {
		m["pattern"] = s.pattern
	}
	if s.format != "" {
		m["format"] = s.format
	}
	if s.description != "" {
		m["description"] = s.description
	}
	return m
}

// shapes are the named identifier shapes (`pattern:"name"`).
var shapes = map[string]shape{
	"id":          {pattern: domain.IDPattern},
	"carnet":      {pattern: domain.CarnetIDPattern, description: "Carnet id: 4 to 20 upper-case letters and digits."},
	"serial":      {pattern: domain.SerialPattern, description: "Cheque serial: carnet id, dash, 2-digit index, 2-digit MOD 97 check."},
	"check_code":  {pattern: domain.CheckCodePattern},
	"departement": {pattern: domain.DepartementCodePattern, description: "INSEE code of a French département."},
	"siret":       {pattern: domain.SIRETPattern, description: "SIRET: 14 digits (Luhn)."},
	"sha256":      {pattern: `^[0-9a-f]{64}$`, description: "SHA-256, lower-case hex."},
	"cursor":      {pattern: `^[0-9]+/[0-9]+$`, description: "Transaction id / position: the gap-free reading order."},
	"uuid":        {format: "uuid"},
	"timestamp":   {format: "date-time"},
	"date":        {format: "date"},
	"money":       {pattern: domain.MoneyPattern, description: "Euros with exactly two decimals."},
	"key_id":      {pattern: `^ed25519-[0-9a-f]{16}$`},
	"decimal":     {pattern: `^-?[0-9]+(\.[0-9]+)?$`, description: "Exact decimal."},
}

// fieldShapes gives the shape a string field has by its JSON name, unless
// its tags say otherwise.
var fieldShapes = map[string]string{
	"id": "id", "funder_id": "id", "fund_id": "id", "programme_id": "id", "prescriber_id": "id", "place_id": "id",
	"contribution_id": "id", "receipt_id": "id", "advance_id": "id", "repayment_id": "id", "redemption_id": "id",
	"batch_id": "id", "bank_line_id": "id", "run_id": "id", "movement_id": "id", "org_id": "id",
	"beneficiary_org_id": "id", "funder_ids": "id", "redemption_ids": "id", "carnet_ids": "carnet",
	"carnet_id": "carnet", "serial": "serial", "serials": "serial", "blocked_serials": "serial", "expired_serials": "serial",
	"check_code": "check_code", "siret": "siret",
	"territory": "departement", "territories": "departement", "place_territory": "departement", "programme_territory": "departement", "code": "departement",
	"event_id": "uuid",
}

// strs turns a list of a string type into strings.
func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// stringSchema is the schema of a string field: its enum, or its shape.
func (g *schemaGen) stringSchema(t reflect.Type, f *reflect.StructField) map[string]any {
	set := enumOfType[t]
	var tagShape, tagFormat, name string
	if f != nil {
		if e := f.Tag.Get("enum"); e != "" {
			set = e
		}
		tagShape, tagFormat, name = f.Tag.Get("pattern"), f.Tag.Get("format"), jsonName(*f)
	}
	if set != "" {
		return g.enumRef(set)
	}
	switch {
	case tagShape == "-":
		return map[string]any{"type": "string"}
	case tagShape != "":
		s, ok := shapes[tagShape]
		if !ok {
			g.fail("field " + name + ": unknown pattern " + tagShape)
		}
		return s.schema()
	case tagFormat != "":
		return map[string]any{"type": "string", "format": tagFormat}
	}
	if s, ok := fieldShapes[name]; ok {
		return shapes[s].schema()
	}
	return map[string]any{"type": "string"}
}

// enumRef returns a reference to the component of a closed set.
func (g *schemaGen) enumRef(set string) map[string]any {
	cs, ok := closedSets[set]
	if !ok {
		g.fail("unknown closed set " + set)
		return map[string]any{"type": "string"}
	}
	if _, done := g.components[set]; !done {
		g.components[set] = map[string]any{"type": "string", "enum": cs.values(), "description": cs.description}
	}
	return map[string]any{"$ref": "#/components/schemas/" + set}
}

func (g *schemaGen) fail(msg string) {
	if g.err == "" {
		g.err = msg
	}
}

var (
	eventViewType = reflect.TypeOf(EventView{})
	metadataType  = reflect.TypeOf(eventstore.Metadata{})
	entryType     = reflect.TypeOf(domain.Entry{})
)

// eventView is the schema of an event of the log: one variant per event type,
// chosen by "type", each with its payload's schema (reflected from the Go type
// the domain registered for it) and its postings.
func (g *schemaGen) eventView() map[string]any {
	const name = "EventView"
	if _, done := g.components[name]; !done {
		g.components[name] = map[string]any{}
		base := g.object(eventViewType, false)
		var variants []any
		mapping := map[string]any{}
		for _, et := range domain.EventTypes() {
			props := map[string]any{}
			for k, v := range base["properties"].(map[string]any) {
				props[k] = v
			}
			props["type"] = map[string]any{"type": "string", "enum": []string{et}}
			props["payload"] = g.schema(domain.EventGoType(et), false)
			props["metadata"] = g.schema(metadataType, false)
			props["postings"] = map[string]any{"type": "array", "items": g.schema(entryType, false),
				"description": "The event's movements: amount debited to debit, credited to credit (domain.Entries)."}
			variant := map[string]any{"type": "object", "properties": props, "required": base["required"],
				"description": "A " + et + " event."}
			vname := et + "Event"
			g.components[vname] = variant
			ref := "#/components/schemas/" + vname
			variants = append(variants, map[string]any{"$ref": ref})
			mapping[et] = ref
		}
		g.components[name] = map[string]any{
			"description":   "One stored event, with the double-entry postings it makes (computed from the payload by the domain; none for an event that moves no money).",
			"oneOf":         variants,
			"discriminator": map[string]any{"propertyName": "type", "mapping": mapping},
		}
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// pathParamShape is the shape of a path parameter.
func pathParamShape(path, param string) map[string]any {
	switch {
	case param == "code":
		return shapes["departement"].schema()
	case param == "serial":
		return shapes["serial"].schema()
	case strings.HasPrefix(path, "/v1/carnets/"):
		return shapes["carnet"].schema()
	}
	return shapes["id"].schema()
}

// queryParamSchema is the schema of a query parameter.
func (g *schemaGen) queryParamSchema(name string) map[string]any {
	switch name {
	case "as_of":
		return shapes["date"].schema()
	case "after":
		return map[string]any{"type": "integer", "format": "int64", "minimum": 0}
	case "limit":
		return map[string]any{"type": "integer", "minimum": 1, "maximum": 1000}
	case "fund_id":
		return shapes["id"].schema()
	case "status":
		return g.enumRef("AdvanceFilter")
	}
	return map[string]any{"type": "string"}
}
