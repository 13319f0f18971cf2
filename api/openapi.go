package api

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/domain"
)

// OpenAPI builds the OpenAPI 3.1 document of the routes: paths, parameters, request
// and response schemas (reflected from the Go types the handlers decode and encode,
// so the document cannot drift from the code), security, and the problem schema.
func OpenAPI(routes []Route) ([]byte, error) {
	g := &schemaGen{components: map[string]any{}}
	paths := map[string]map[string]any{}
	pathParam := regexp.MustCompile(`\{([a-z_]+)\}`)
	for _, rt := range routes {
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": operationID(rt),
		}
		if len(rt.Roles) > 0 {
			roles := make([]string, len(rt.Roles))
			for i, r := range rt.Roles {
				roles[i] = string(r)
			}
			op["description"] = "Roles: " + strings.Join(roles, ", ") + "."
			op["x-roles"] = roles
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": pathParamShape(rt.Path, m[1])})
		}
		qnames := make([]string, 0, len(rt.Query))
		for q := range rt.Query {
			qnames = append(qnames, q)
		}
		sort.Strings(qnames)
		for _, q := range qnames {
			params = append(params, map[string]any{"name": q, "in": "query", "required": false, "description": rt.Query[q], "schema": g.queryParamSchema(q)})
		}
		if rt.Method == "GET" && rt.Projection != "" {
			params = append(params, map[string]any{"name": "min_position", "in": "query", "required": false,
				"description": "Wait (bounded, then 503) until the read model has applied this global position.",
				"schema":      map[string]any{"type": "string", "pattern": "^[0-9]+$"}})
		}
		if rt.Method == "POST" && !rt.Public {
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
				"description": "Same key and body: the first response is replayed. Same key, other body: 422.",
				"schema":      map[string]any{"type": "string", "maxLength": 200}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.Request), true)}}}
		}
		if len(rt.Consumes) > 0 {
			files := map[string]any{}
			for ct, about := range rt.Consumes {
				files[ct] = map[string]any{"schema": map[string]any{"type": "string", "description": about}}
			}
			op["requestBody"] = map[string]any{"required": true, "content": files}
		}
		content := map[string]any{}
		if rt.Response != nil {
			content["application/json"] = map[string]any{"schema": g.schema(reflect.TypeOf(rt.Response), false)}
		}
		for _, ct := range rt.Produces {
			content[ct] = map[string]any{"schema": map[string]any{"type": "string"}}
		}
		status := rt.Status
		if status == 0 {
			status = 200
		}
		responses := map[string]any{
			itoa(status): map[string]any{"description": "Success", "content": content},
			"default":    map[string]any{"description": "Problem (RFC 9457)", "content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}},
		}
		op["responses"] = responses
		if rt.Public {
			op["security"] = []any{}
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}
	g.components["Problem"] = map[string]any{
		"type": "object", "required": []string{"type", "title", "status"},
		"properties": map[string]any{
			"type":     map[string]any{"type": "string", "format": "uri", "description": "Stable problem type, one per rule: " + ProblemBase + "{slug}; slugs: " + strings.Join(ProblemTypes(), ", ")},
			"title":    map[string]any{"type": "string"},
			"status":   map[string]any{"type": "integer"},
			"detail":   map[string]any{"type": "string"},
			"instance": map[string]any{"type": "string"},
		},
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "passledger — Pass numérique ledger",
			"version":     "1.0.0",
			"description": "System of record for Pass numérique cheques and the funds behind them. Amounts are strings with two decimals (\"10.00\", euros); dates are YYYY-MM-DD.",
		},
		"paths":      paths,
		"security":   []any{map[string]any{"bearer": []any{}}},
		"components": map[string]any{"schemas": g.components, "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}},
	}
	if g.err != "" {
		return nil, errors.New("openapi: " + g.err)
	}
	return json.MarshalIndent(doc, "", "  ")
}

func operationID(rt Route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.Method))
	for _, part := range strings.Split(rt.Path, "/") {
		part = strings.Trim(part, "{}")
		for _, w := range strings.FieldsFunc(part, func(r rune) bool { return r == '-' || r == '_' }) {
			if w == "v1" {
				continue
			}
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

type schemaGen struct {
	components map[string]any
	err        string // the first error met
}

var (
	moneyType   = reflect.TypeOf(domain.Money{})
	dateType    = reflect.TypeOf(domain.Date{})
	timeType    = reflect.TypeOf(time.Time{})
	decimalType = reflect.TypeOf(decimal.Decimal{})
	rawType     = reflect.TypeOf(json.RawMessage{})
)

// schema returns the JSON Schema of t; named structs become components. Request
// schemas refuse unknown properties (as the server does).
func (g *schemaGen) schema(t reflect.Type, request bool) map[string]any {
	return g.fieldSchema(t, nil, request)
}

// fieldSchema is schema for the type of field f (nil: not a field), whose tags
// and JSON name give strings their enum, pattern or format.
func (g *schemaGen) fieldSchema(t reflect.Type, f *reflect.StructField, request bool) map[string]any {
	switch t {
	case moneyType:
		return shapes["money"].schema()
	case dateType:
		return map[string]any{"type": "string", "format": "date"}
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case decimalType:
		if request {
			// The server also accepts a JSON number.
			return map[string]any{"anyOf": []any{shapes["decimal"].schema(), map[string]any{"type": "number"}}, "description": "Exact decimal."}
		}
		return shapes["decimal"].schema()
	case eventViewType:
		return g.eventView()
	case rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		if request {
			return g.fieldSchema(t.Elem(), f, request)
		}
		return map[string]any{"anyOf": []any{g.fieldSchema(t.Elem(), f, request), map[string]any{"type": "null"}}}
	case reflect.String:
		return g.stringSchema(t, f)
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int64, reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if !request && t.Kind() == reflect.Slice {
			// A nil slice encodes as null.
			return map[string]any{"type": []string{"array", "null"}, "items": g.fieldSchema(t.Elem(), f, request)}
		}
		return map[string]any{"type": "array", "items": g.fieldSchema(t.Elem(), f, request)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem(), request)}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := componentName(t)
		if request && !strings.HasSuffix(name, "Request") {
			name += "Request"
		}
		if name != "" && name != "Request" {
			if _, done := g.components[name]; !done {
				g.components[name] = map[string]any{} // break cycles
				g.components[name] = g.object(t, request)
			}
			return map[string]any{"$ref": "#/components/schemas/" + name}
		}
		return g.object(t, request)
	}
	return map[string]any{}
}

func (g *schemaGen) object(t reflect.Type, request bool) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
				walk(f.Type)
				continue
			}
			name := jsonName(f)
			if name == "" {
				continue
			}
			s := g.fieldSchema(f.Type, &f, request)
			if d := f.Tag.Get("doc"); d != "" {
				s = map[string]any{"allOf": []any{s}, "description": d}
			}
			props[name] = s
			omit := strings.Contains(f.Tag.Get("json"), "omitempty")
			if request && f.Tag.Get("required") == "true" || !request && !omit {
				required = append(required, name)
			}
		}
	}
	walk(t)
	obj := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		sort.Strings(required)
		obj["required"] = required
	}
	if request {
		obj["additionalProperties"] = false
	}
	return obj
}

// componentName names a struct's schema: its Go name, prefixed by its package
// unless it is the api package's own (places.Batch → PlacesBatch), so that types of
// the same name in two packages never share a schema.
func componentName(t reflect.Type) string {
	if t.Name() == "" {
		return ""
	}
	pkg := t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	if pkg == "api" || pkg == "" {
		return t.Name()
	}
	return strings.ToUpper(pkg[:1]) + pkg[1:] + t.Name()
}

// Document returns the OpenAPI document the server serves at /openapi.json,
// without a server (go generate, documentation): the route table does not
// depend on the server's state.
func Document() ([]byte, error) { return OpenAPI((&Server{}).buildRoutes()) }
