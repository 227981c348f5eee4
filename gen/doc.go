// Package gen holds the code generated from schema/ and queries/: one sqlc
// package per database (gen/<db>) and, in hub.go, the typed registry that
// opens all of them through package dbx. Each gen/<db>/reader.go holds the
// database's Reader, the read-only part of its Querier, which the
// registry's Read hands to its function (see dbx.ReadView).
//
// Nothing here is edited by hand. Regenerate with `make generate` or
// `go generate ./...`; `make check` fails when gen/ is stale.
package gen

//go:generate go run ../internal/cmd/generate -root ..
