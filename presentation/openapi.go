package presentation

import _ "embed"

// openAPIDocument is the OpenAPI 3.1 description of every /api route,
// served at /openapi.json. Tests validate real responses against it.
//
//go:embed openapi.json
var openAPIDocument []byte
