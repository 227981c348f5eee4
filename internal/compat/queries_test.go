package compat_test

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/gen/account"
	"github.com/solarhub/hubdb/gen/alarm"
	"github.com/solarhub/hubdb/gen/analysis"
	"github.com/solarhub/hubdb/gen/audit"
	"github.com/solarhub/hubdb/gen/billing"
	"github.com/solarhub/hubdb/gen/device"
	"github.com/solarhub/hubdb/gen/dispatch"
	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/gen/ev"
	"github.com/solarhub/hubdb/gen/forecast"
	"github.com/solarhub/hubdb/gen/maintenance"
	"github.com/solarhub/hubdb/gen/meter"
	"github.com/solarhub/hubdb/gen/notification"
	"github.com/solarhub/hubdb/gen/pv"
	"github.com/solarhub/hubdb/gen/schedule"
	"github.com/solarhub/hubdb/gen/site"
	"github.com/solarhub/hubdb/gen/tariff"
	"github.com/solarhub/hubdb/gen/weather"
	"github.com/solarhub/hubdb/internal/compat"
)

// queriers are sqlc's Querier interfaces of the registry's databases: one
// method per query of queries/<db>.
var queriers = map[string]reflect.Type{
	gen.NameAccount:      reflect.TypeFor[account.Querier](),
	gen.NameAlarm:        reflect.TypeFor[alarm.Querier](),
	gen.NameAnalysis:     reflect.TypeFor[analysis.Querier](),
	gen.NameAudit:        reflect.TypeFor[audit.Querier](),
	gen.NameBilling:      reflect.TypeFor[billing.Querier](),
	gen.NameDevice:       reflect.TypeFor[device.Querier](),
	gen.NameDispatch:     reflect.TypeFor[dispatch.Querier](),
	gen.NameESS:          reflect.TypeFor[ess.Querier](),
	gen.NameEV:           reflect.TypeFor[ev.Querier](),
	gen.NameForecast:     reflect.TypeFor[forecast.Querier](),
	gen.NameMaintenance:  reflect.TypeFor[maintenance.Querier](),
	gen.NameMeter:        reflect.TypeFor[meter.Querier](),
	gen.NameNotification: reflect.TypeFor[notification.Querier](),
	gen.NamePV:           reflect.TypeFor[pv.Querier](),
	gen.NameSchedule:     reflect.TypeFor[schedule.Querier](),
	gen.NameSite:         reflect.TypeFor[site.Querier](),
	gen.NameTariff:       reflect.TypeFor[tariff.Querier](),
	gen.NameWeather:      reflect.TypeFor[weather.Querier](),
}

// headQueries are the queries of this checkout's gen/.
func headQueries(t *testing.T) []compat.Query {
	t.Helper()
	qs, err := compat.ReadQueries(os.DirFS("../.."))
	if err != nil {
		t.Fatal(err)
	}
	return qs
}

// TestReadQueriesMatchesTheRegistry: the parser finds exactly the queries
// of every database of the registry, by name (the methods of its sqlc
// Querier), with their SQL.
func TestReadQueriesMatchesTheRegistry(t *testing.T) {
	qs := headQueries(t)
	byDB := map[string][]string{}
	for _, q := range qs {
		byDB[q.DB] = append(byDB[q.DB], q.Name)
		if !strings.HasPrefix(q.SQL, "-- name: "+q.Name+" :"+q.Kind+"\n") {
			t.Errorf("%s: SQL %q does not begin with its name line", q.ID(), q.SQL)
		}
		if !strings.HasPrefix(q.File, "gen/"+q.DB+"/") || !strings.HasSuffix(q.File, ".sql.go") {
			t.Errorf("%s: file %s", q.ID(), q.File)
		}
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range queriers {
			if !yield(k) {
				return
			}
		}
	})
	if !slices.Equal(keys, gen.Names) {
		t.Fatalf("the test's queriers cover %v, the registry has %v: add the new database's Querier", keys, gen.Names)
	}
	total := 0
	for _, db := range gen.Names {
		typ := queriers[db]
		var want []string
		for i := range typ.NumMethod() {
			want = append(want, typ.Method(i).Name)
		}
		got := byDB[db]
		if !slices.Equal(got, want) { // both sorted by name
			t.Errorf("%s: the parser found %v, its Querier has %v", db, got, want)
		}
		total += len(want)
	}
	if len(qs) != total || total == 0 {
		t.Errorf("the parser found %d queries, the registry has %d", len(qs), total)
	}
	t.Logf("%d queries of %d databases", total, len(gen.Names))
}

// TestReadQueriesShapes: what older or hand-edited generated code may
// hold is read or skipped, never guessed.
func TestReadQueriesShapes(t *testing.T) {
	tree := fstest.MapFS{
		"gen/a/x.sql.go": {Data: []byte("package a\n\n" +
			"const getX = `-- name: GetX :one\nSELECT id FROM x WHERE id = ?\n`\n\n" +
			"const (\n\tlistX = \"-- name: ListX :many\\nSELECT id FROM x WHERE id IN (/*SLICE:ids*/?)\\n\"\n" +
			"\tnotAQuery = `SELECT 1`\n\tanInt = 3\n\tnoKind = `-- name: NoKind\nSELECT 2`\n)\n\n" +
			"const bad = `-- name: has space :one\nSELECT 3`\n\n" +
			"var notConst = `-- name: Var :one\nSELECT 4`\n\n" +
			"func f() { const inner = `-- name: Inner :one\nSELECT 5` }\n")},
		"gen/a/batch.go":  {Data: []byte("package a\n\nconst headBatch = \"-- name: XBatch :exec\\nINSERT INTO x VALUES \"\n")},
		"gen/a/models.go": {Data: []byte("package a\n")},
		"gen/b/y.sql.go":  {Data: []byte("package b\n\nconst createY = `-- name: CreateY :execlastid\nINSERT INTO y (a) VALUES (?)\n`\n")},
		"gen/c/doc.go":    {Data: []byte("package c\n")},
		"gen/hub.go":      {Data: []byte("package gen\n")},
	}
	qs, err := compat.ReadQueries(tree)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, q := range qs {
		got = append(got, q.ID()+" :"+q.Kind+" "+q.File)
	}
	want := []string{
		"a.GetX :one gen/a/x.sql.go",
		"a.ListX :many gen/a/x.sql.go",
		"a.NoKind : gen/a/x.sql.go",
		"b.CreateY :execlastid gen/b/y.sql.go",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	if len(qs) > 1 && qs[1].SQL != "-- name: ListX :many\nSELECT id FROM x WHERE id IN (/*SLICE:ids*/?)\n" {
		t.Errorf("ListX's SQL: %q", qs[1].SQL)
	}

	// A tree without gen/ (a revision before the generated code) has no queries.
	qs, err = compat.ReadQueries(fstest.MapFS{"go.mod": {Data: []byte("module x\n")}})
	if err != nil || len(qs) != 0 {
		t.Errorf("no gen/: %v, %v", qs, err)
	}

	// Go that does not parse is an error naming the file.
	_, err = compat.ReadQueries(fstest.MapFS{"gen/a/x.sql.go": {Data: []byte("package a\nconst = \n")}})
	if err == nil || !strings.Contains(err.Error(), "gen/a/x.sql.go") {
		t.Errorf("a file that does not parse: %v", err)
	}

	// A name twice in one database is an error naming both files.
	_, err = compat.ReadQueries(fstest.MapFS{
		"gen/a/x.sql.go": {Data: []byte("package a\nconst q = `-- name: Q :one\nSELECT 1`\n")},
		"gen/a/y.sql.go": {Data: []byte("package a\nconst q2 = `-- name: Q :one\nSELECT 2`\n")},
	})
	if err == nil || !strings.Contains(err.Error(), "a.Q") || !strings.Contains(err.Error(), "gen/a/y.sql.go") {
		t.Errorf("a name twice: %v", err)
	}
}
