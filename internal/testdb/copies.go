package testdb

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/solarhub/hubdb/migration"
	"github.com/solarhub/hubdb/schema"
)

// How a Set's databases are made.
type Mode int

const (
	// Copied databases replay their template's tables (one round trip for
	// the whole set): the default, and the fastest (see BENCHMARKS.md).
	Copied Mode = iota
	// Migrated databases are migrated one by one with golang-migrate, as
	// `hubdb migrate up` would: slower, for migrations the copy cannot
	// reproduce (views, triggers, routines).
	Migrated
	// Empty databases are created with the schemas' character set and
	// nothing in them, for tests of the migrations themselves.
	Empty
	// Reserved names are the set's, but nothing is created: for tests of
	// what creates a database (hubdb migrate up) or of a missing one. Drop
	// drops whichever of them exist.
	Reserved
)

// Set is the databases of one test: copies of logical databases under one
// prefix that belongs to this process.
type Set struct {
	// Prefix is shared by every database of the set, e.g. _hubtest_1a2b3c4d_7_.
	Prefix string
	// Schemas maps each logical name to its physical database.
	Schemas map[string]string
	// Names are the logical names, in the order asked for.
	Names []string

	e *Engine
}

// Create makes a new Set of the logical databases names (each a directory
// of source; nil source is [schema.FS]) on the engine's server. A name that
// is not a database of source is an error that lists those that are. On an
// error nothing is left on the server.
func (e *Engine) Create(ctx context.Context, source fs.FS, mode Mode, names ...string) (*Set, error) {
	if source == nil {
		source = schema.FS
	}
	if err := checkNames(source, names); err != nil {
		return nil, err
	}
	s := &Set{Prefix: setPrefix(e.owner, e.sets.Add(1)), Schemas: make(map[string]string, len(names)), Names: slices.Clone(names), e: e}
	for _, n := range names {
		name, err := copyName(s.Prefix, n)
		if err != nil {
			return nil, err
		}
		s.Schemas[n] = name
	}
	var err error
	switch mode {
	case Copied:
		err = s.copy(ctx, source)
	case Migrated:
		err = s.migrate(ctx, source)
	case Empty:
		var b strings.Builder
		for _, n := range names {
			fmt.Fprintf(&b, "CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n", quoteIdent(s.Schemas[n]))
		}
		_, err = e.admin.ExecContext(ctx, b.String())
	case Reserved:
	default:
		err = fmt.Errorf("unknown mode %d", mode)
	}
	if err != nil {
		_ = s.Drop(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("testdb: create %s: %w", strings.Join(names, ", "), err)
	}
	return s, nil
}

func checkNames(source fs.FS, names []string) error {
	if len(names) == 0 {
		return fmt.Errorf("testdb: no database named")
	}
	valid, err := schema.Databases(source)
	if err != nil {
		return fmt.Errorf("testdb: read the migrations: %w", err)
	}
	for i, n := range names {
		if !slices.Contains(valid, n) {
			return fmt.Errorf("testdb: %q is not a database (valid: %s)", n, strings.Join(valid, ", "))
		}
		if slices.Contains(names[:i], n) {
			return fmt.Errorf("testdb: %q is named twice", n)
		}
	}
	return nil
}

// copy replays the templates into the set's databases in one round trip.
func (s *Set) copy(ctx context.Context, source fs.FS) error {
	tpls, err := s.e.templatesOf(ctx, source, s.Names)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("SET foreign_key_checks = 0;\n")
	for i, n := range s.Names {
		tpls[i].script(&b, s.Schemas[n])
	}
	b.WriteString("SET foreign_key_checks = 1")
	conn, err := s.e.admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, b.String())
	return err
}

// templatesOf returns the templates of names, building the missing ones
// (at most four at a time).
func (e *Engine) templatesOf(ctx context.Context, source fs.FS, names []string) ([]*template, error) {
	out := make([]*template, len(names))
	errs := make([]error, len(names))
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = e.template(ctx, source, n)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// migrate migrates each database of the set with golang-migrate.
func (s *Set) migrate(ctx context.Context, source fs.FS) error {
	m := migration.Migrator{Source: source}
	for _, n := range s.Names {
		if err := m.Up(ctx, migration.Target{Name: n, Schema: s.Schemas[n], Server: s.e.server}); err != nil {
			return err
		}
	}
	return nil
}

// Target is the migration target of the logical database name in the set.
func (s *Set) Target(name string) migration.Target {
	return migration.Target{Name: name, Schema: s.Schemas[name], Server: s.e.server.Clone()}
}

// Drop drops every database of the set, in one round trip.
func (s *Set) Drop(ctx context.Context) error {
	return dropCopies(ctx, s.e.admin, s.physical())
}

func (s *Set) physical() []string {
	out := make([]string, 0, len(s.Names))
	for _, n := range s.Names {
		out = append(out, s.Schemas[n])
	}
	return out
}

// Keep marks the set's databases that exist (a Reserved set's may not) as
// kept for the test named test, so that no sweep drops them (`hubdb testdb
// drop` does), and returns their names.
func (s *Set) Keep(ctx context.Context, test string) ([]string, error) {
	existing, err := queryStrings(ctx, s.e.admin, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ? ORDER BY SCHEMA_NAME",
		likePrefix(s.Prefix))
	if err != nil || len(existing) == 0 {
		return nil, err
	}
	var b strings.Builder
	args := make([]any, 0, 2*len(existing))
	b.WriteString("REPLACE INTO " + quoteIdent(metaSchema) + ".kept (name, test, kept_at) VALUES ")
	for i, name := range existing {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, UTC_TIMESTAMP(6))")
		args = append(args, name, test)
	}
	_, err = s.e.admin.ExecContext(ctx, b.String(), args...)
	return existing, err
}
