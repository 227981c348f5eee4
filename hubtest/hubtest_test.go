package hubtest_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/gen/account"
	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/internal/testdb"
)

// TestEveryDatabaseCopiesLikeMigrating: a copy of each database of the
// registry has exactly the structure (tables, columns, indexes, foreign
// keys, checks) that golang-migrate gives, and the same version row.
func TestEveryDatabaseCopiesLikeMigrating(t *testing.T) {
	copied := hubtest.New(t)
	migrated := (&hubtest.Kit{Migrate: true}).New(t)
	if !slices.Equal(copied.Names(), gen.Names) {
		t.Fatalf("New() made %v, the registry has %v", copied.Names(), gen.Names)
	}
	for _, name := range gen.Names {
		want := testdb.Snapshot(t, migrated.DB(name), migrated.Schema(name))
		got := testdb.Snapshot(t, copied.DB(name), copied.Schema(name))
		if len(want) == 0 {
			t.Fatalf("%s: the migrated database has no structure", name)
		}
		if diff := testdb.DiffSnapshots(want, got); diff != "" {
			t.Errorf("%s: the copy differs from a migrated database:%s", name, diff)
		}
		var wv, gv int
		var wd, gd bool
		_ = migrated.DB(name).QueryRow("SELECT version, dirty FROM schema_migrations").Scan(&wv, &wd)
		if err := copied.DB(name).QueryRow("SELECT version, dirty FROM schema_migrations").Scan(&gv, &gd); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if gv != wv || gd || gv == 0 {
			t.Errorf("%s: copy at version %d dirty=%v, migrated at %d", name, gv, gd, wv)
		}
	}
}

// TestParallelTestsAreIsolated: twenty parallel tests write the same keys
// into their own account databases; each reads back only its own rows.
func TestParallelTestsAreIsolated(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	for i := range 20 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			d := hubtest.New(t, gen.NameAccount)
			hub := d.Hub()
			ctx := context.Background()
			mu.Lock()
			if seen[d.Schema(gen.NameAccount)] {
				t.Errorf("database %s handed out twice", d.Schema(gen.NameAccount))
			}
			seen[d.Schema(gen.NameAccount)] = true
			mu.Unlock()
			name := fmt.Sprintf("org of test %d", i)
			err := hub.Account.Write(ctx, func(ctx context.Context, q *account.Queries) error {
				_, err := q.CreateOrganization(ctx, account.CreateOrganizationParams{
					Slug: "same-slug", Name: name, Plan: account.OrganizationsPlanFree, Settings: []byte("{}")})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			var orgs []account.ListOrganizationsRow
			err = hub.Account.Read(ctx, func(ctx context.Context, q account.Reader) error {
				var err error
				orgs, err = q.ListOrganizations(ctx, account.ListOrganizationsParams{Limit: 10})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(orgs) != 1 || orgs[0].Name != name || orgs[0].ID != 1 {
				t.Errorf("test %d sees %+v, want only its own organisation with id 1", i, orgs)
			}
		})
	}
}
