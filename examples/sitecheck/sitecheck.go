// Package sitecheck is a small service of an application team, written the
// way a team new to hubdb would: it onboards an organisation with its first
// site (two of the SolarHub databases, account and site) through hubdb's
// generated queries. Its tests use the test kit, package hubtest; this
// module lives outside hubdb's own and imports hubdb like any other.
package sitecheck

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/gen/account"
	"github.com/solarhub/hubdb/gen/site"
)

// Service onboards organisations and their sites.
type Service struct {
	Hub *gen.Hub
}

// Onboard creates the organisation slug and its first site, and returns
// their ids. The organisation's slug is unique.
func (s *Service) Onboard(ctx context.Context, slug, org, siteName string, kwp decimal.Decimal) (orgID, siteID int64, err error) {
	err = s.Hub.Account.Write(ctx, func(ctx context.Context, q *account.Queries) error {
		orgID, err = q.CreateOrganization(ctx, account.CreateOrganizationParams{
			Slug: slug, Name: org, Plan: account.OrganizationsPlanFree, Settings: []byte("{}")})
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("onboard %s: %w", slug, err)
	}
	err = s.Hub.Site.Write(ctx, func(ctx context.Context, q *site.Queries) error {
		siteID, err = q.CreateSite(ctx, site.CreateSiteParams{
			OrgID: orgID, Name: siteName, Kind: site.SitesKindResidential, Timezone: "Europe/Berlin",
			Latitude: 52.5, Longitude: 13.4, CapacityKwp: kwp})
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("onboard %s: first site: %w", slug, err)
	}
	return orgID, siteID, nil
}

// Sites lists the names of an organisation's sites.
func (s *Service) Sites(ctx context.Context, orgID int64) ([]string, error) {
	var names []string
	err := s.Hub.Site.Read(ctx, func(ctx context.Context, q site.Reader) error {
		rows, err := q.ListOrganizationSites(ctx, site.ListOrganizationSitesParams{OrgID: orgID, Limit: 100})
		for _, r := range rows {
			names = append(names, r.Name)
		}
		return err
	})
	return names, err
}
