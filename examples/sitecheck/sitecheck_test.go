package sitecheck_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/gen/account"
	"github.com/solarhub/hubdb/hubtest"

	"example.com/sitecheck"
)

// TestOnboardIsolated runs twenty parallel tests that all onboard the same
// organisation slug, which is unique: on shared databases all but one
// would fail with a duplicate key. Each test sees only its own rows, with
// the ids a fresh database hands out.
func TestOnboardIsolated(t *testing.T) {
	for i := range 20 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			svc := sitecheck.Service{Hub: hubtest.Hub(t, gen.NameAccount, gen.NameSite)}
			siteName := fmt.Sprintf("roof %d", i)
			orgID, siteID, err := svc.Onboard(ctx, "acme", "Acme", siteName, decimal.RequireFromString("9.6"))
			if err != nil {
				t.Fatal(err)
			}
			if orgID != 1 || siteID != 1 {
				t.Errorf("ids %d, %d: another test's rows are in this test's databases", orgID, siteID)
			}
			names, err := svc.Sites(ctx, orgID)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names, []string{siteName}) {
				t.Errorf("sites %v, want only %q", names, siteName)
			}
		})
	}
}

// acme is a fixture: the organisation every test of sitecheckKit starts
// with, written through the generated queries.
func acme(ctx context.Context, hub *gen.Hub) error {
	return hub.Account.Write(ctx, func(ctx context.Context, q *account.Queries) error {
		_, err := q.CreateOrganization(ctx, account.CreateOrganizationParams{
			Slug: "acme", Name: "Acme", Plan: account.OrganizationsPlanPro, Settings: []byte("{}")})
		return err
	})
}

var sitecheckKit = hubtest.Kit{Fixtures: []hubtest.Fixture{acme}}

// TestOnboardTakenSlug starts from the fixture: the slug is taken.
func TestOnboardTakenSlug(t *testing.T) {
	t.Parallel()
	svc := sitecheck.Service{Hub: sitecheckKit.Hub(t, gen.NameAccount, gen.NameSite)}
	_, _, err := svc.Onboard(context.Background(), "acme", "Acme again", "roof", decimal.NewFromInt(5))
	if !errors.Is(err, dbx.ErrDuplicateKey) {
		t.Fatalf("onboarding a taken slug: %v, want an error matching dbx.ErrDuplicateKey", err)
	}
}

// TestDeliberateFailure fails when SITECHECK_FAIL is set: hubdb's own tests
// run it to see that a failed test keeps its databases and says where.
func TestDeliberateFailure(t *testing.T) {
	if os.Getenv("SITECHECK_FAIL") == "" {
		t.Skip("SITECHECK_FAIL is not set")
	}
	svc := sitecheck.Service{Hub: hubtest.Hub(t, gen.NameAccount, gen.NameSite)}
	if _, _, err := svc.Onboard(context.Background(), "acme", "Acme", "roof", decimal.NewFromInt(5)); err != nil {
		t.Fatal(err)
	}
	t.Fatal("failing on purpose")
}
