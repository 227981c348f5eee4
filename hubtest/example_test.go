package hubtest_test

import (
	"context"
	"testing"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/gen/account"
	"github.com/solarhub/hubdb/gen/site"
	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/migration"
)

// A test gets a hub on its own copies of the databases it names; under
// t.Parallel() no other test sees its rows.
func ExampleHub() {
	testListSites := func(t *testing.T) {
		t.Parallel()
		hub := hubtest.Hub(t, gen.NameSite)
		ctx := context.Background()
		err := hub.Site.Read(ctx, func(ctx context.Context, q site.Reader) error {
			sites, err := q.ListOrganizationSites(ctx, site.ListOrganizationSitesParams{OrgID: 1, Limit: 10})
			if len(sites) != 0 {
				t.Errorf("a fresh database has sites: %v", sites)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	_ = testListSites
}

// A Kit with fixtures seeds every hub it hands out through the generated
// queries.
func ExampleKit_fixtures() {
	kit := hubtest.Kit{Fixtures: []hubtest.Fixture{
		func(ctx context.Context, hub *gen.Hub) error {
			return hub.Account.Write(ctx, func(ctx context.Context, q *account.Queries) error {
				_, err := q.CreateOrganization(ctx, account.CreateOrganizationParams{
					Slug: "acme", Name: "Acme", Plan: account.OrganizationsPlanPro, Settings: []byte("{}")})
				return err
			})
		},
	}}
	testWithAcme := func(t *testing.T) {
		hub := kit.Hub(t, gen.NameAccount)
		_ = hub // organisation 1 is Acme
	}
	_ = testWithAcme
}

// New returns the databases themselves: a dbx configuration to change, the
// environment for hubdb's config loader, plain handles.
func ExampleNew() {
	testWiring := func(t *testing.T) {
		d := hubtest.New(t, gen.NameESS, gen.NameSite)
		cfg, err := config.Load("", d.Env()) // as the service's main loads it
		if err != nil {
			t.Fatal(err)
		}
		hub, err := gen.Open(context.Background(), cfg.DBX(), gen.NameESS, gen.NameSite)
		if err != nil {
			t.Fatal(err)
		}
		defer hub.Close()
		var n int
		if err := d.DB(gen.NameSite).QueryRow("SELECT COUNT(*) FROM sites").Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	_ = testWiring
}

// Reserve names databases the code under test creates, such as a
// migration run; they are dropped at the end like the others.
func ExampleReserve() {
	testMigrateUp := func(t *testing.T) {
		d := hubtest.Reserve(t, gen.NameESS)
		var m migration.Migrator
		if err := m.Up(context.Background(), d.Target(gen.NameESS)); err != nil {
			t.Fatal(err)
		}
	}
	_ = testMigrateUp
}
