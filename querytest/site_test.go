package querytest_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/solarhub/hubdb/gen/site"
	"github.com/solarhub/hubdb/hubtest"
)

func TestSiteQueries(t *testing.T) {
	ctx := context.Background()
	q := site.New(hubtest.New(t, "site").DB("site"))
	const org, otherOrg = 10, 11
	commissioned := gaDay(2024, 3, 15)

	ids := map[string]int64{}
	t.Run("CreateSite", func(t *testing.T) {
		for _, s := range []struct {
			name string
			org  int64
			kind site.SitesKind
			kwp  string
			comm sql.NullTime
		}{
			{"home", org, site.SitesKindResidential, "9.870", sql.NullTime{Time: commissioned, Valid: true}},
			{"depot", org, site.SitesKindCommercial, "250.5", sql.NullTime{}},
			{"cabin", org, site.SitesKindResidential, "5", sql.NullTime{}},
			{"farm", otherOrg, site.SitesKindUtility, "1000", sql.NullTime{}},
		} {
			id, err := q.CreateSite(ctx, site.CreateSiteParams{
				OrgID: s.org, Name: s.name, Kind: s.kind, Timezone: "Europe/Berlin",
				Latitude: 52.52, Longitude: 13.405, CapacityKwp: gaDec(s.kwp), CommissionedOn: s.comm,
			})
			gaNoErr(t, err)
			ids[s.name] = id
		}
		if !(0 < ids["home"] && ids["home"] < ids["depot"] && ids["depot"] < ids["cabin"] && ids["cabin"] < ids["farm"]) {
			t.Fatalf("ids not increasing: %v", ids)
		}
	})

	t.Run("GetSite", func(t *testing.T) {
		s, err := q.GetSite(ctx, ids["home"])
		gaNoErr(t, err)
		if s.ID != ids["home"] || s.OrgID != org || s.Name != "home" || s.Kind != site.SitesKindResidential ||
			s.Timezone != "Europe/Berlin" || s.Latitude != 52.52 || s.Longitude != 13.405 {
			t.Errorf("got %+v", s)
		}
		gaDecEq(t, "capacity_kwp", s.CapacityKwp, "9.87")
		gaNullTimeEq(t, "commissioned_on", s.CommissionedOn, &commissioned)
		gaNullTimeEq(t, "archived_at", s.ArchivedAt, nil)
		gaRecent(t, "created_at", s.CreatedAt)
		d, err := q.GetSite(ctx, ids["depot"])
		gaNoErr(t, err)
		gaNullTimeEq(t, "depot commissioned_on", d.CommissionedOn, nil)
		_, err = q.GetSite(ctx, 999999)
		gaNoRows(t, err)
	})

	listIDs := func(t *testing.T, p site.ListOrganizationSitesParams) []int64 {
		t.Helper()
		rows, err := q.ListOrganizationSites(ctx, p)
		gaNoErr(t, err)
		return gaIDs(rows, func(r site.ListOrganizationSitesRow) int64 { return r.ID })
	}
	t.Run("ListOrganizationSites", func(t *testing.T) {
		p1, err := q.ListOrganizationSites(ctx, site.ListOrganizationSitesParams{OrgID: org, Limit: 2})
		gaNoErr(t, err)
		gaIDsEq(t, "page 1", gaIDs(p1, func(r site.ListOrganizationSitesRow) int64 { return r.ID }), []int64{ids["home"], ids["depot"]})
		if len(p1) == 2 {
			if p1[1].Name != "depot" || p1[1].Kind != site.SitesKindCommercial || p1[1].Timezone != "Europe/Berlin" {
				t.Errorf("depot = %+v", p1[1])
			}
			gaDecEq(t, "depot capacity", p1[1].CapacityKwp, "250.5")
		}
		gaIDsEq(t, "page 2", listIDs(t, site.ListOrganizationSitesParams{OrgID: org, AfterID: ids["depot"], Limit: 2}), []int64{ids["cabin"]})
		gaIDsEq(t, "page 3", listIDs(t, site.ListOrganizationSitesParams{OrgID: org, AfterID: ids["cabin"], Limit: 2}), nil)
		residential := site.NullSitesKind{SitesKind: site.SitesKindResidential, Valid: true}
		gaIDsEq(t, "residential", listIDs(t, site.ListOrganizationSitesParams{OrgID: org, Kind: residential, Limit: 10}), []int64{ids["home"], ids["cabin"]})
		gaIDsEq(t, "other org", listIDs(t, site.ListOrganizationSitesParams{OrgID: otherOrg, Limit: 10}), []int64{ids["farm"]})
		gaIDsEq(t, "other org residential", listIDs(t, site.ListOrganizationSitesParams{OrgID: otherOrg, Kind: residential, Limit: 10}), nil)
	})

	t.Run("ListSitesByIDs", func(t *testing.T) {
		rows, err := q.ListSitesByIDs(ctx, []int64{ids["farm"], ids["home"], 999999})
		gaNoErr(t, err)
		gaIDsEq(t, "ids", gaIDs(rows, func(r site.ListSitesByIDsRow) int64 { return r.ID }), []int64{ids["home"], ids["farm"]})
		if len(rows) == 2 {
			if rows[1].OrgID != otherOrg || rows[1].Name != "farm" {
				t.Errorf("farm = %+v", rows[1])
			}
			gaDecEq(t, "farm capacity", rows[1].CapacityKwp, "1000")
		}
		rows, err = q.ListSitesByIDs(ctx, []int64{})
		gaNoErr(t, err)
		if len(rows) != 0 {
			t.Errorf("empty slice: %d rows", len(rows))
		}
	})

	t.Run("UpdateSiteCapacity", func(t *testing.T) {
		n, err := q.UpdateSiteCapacity(ctx, site.UpdateSiteCapacityParams{CapacityKwp: gaDec("10.5"), ID: ids["home"]})
		gaNoErr(t, err)
		gaRows(t, "update", n, 1)
		n, err = q.UpdateSiteCapacity(ctx, site.UpdateSiteCapacityParams{CapacityKwp: gaDec("10.500"), ID: ids["home"]})
		gaNoErr(t, err)
		gaRows(t, "same value", n, 0)
		n, err = q.UpdateSiteCapacity(ctx, site.UpdateSiteCapacityParams{CapacityKwp: gaDec("1"), ID: 999999})
		gaNoErr(t, err)
		gaRows(t, "unknown site", n, 0)
		s, err := q.GetSite(ctx, ids["home"])
		gaNoErr(t, err)
		gaDecEq(t, "capacity_kwp", s.CapacityKwp, "10.5")
	})

	t.Run("OrganizationCapacity", func(t *testing.T) {
		c, err := q.OrganizationCapacity(ctx, org)
		gaNoErr(t, err)
		if c.Sites != 3 {
			t.Errorf("sites = %d, want 3", c.Sites)
		}
		gaDecEq(t, "capacity", c.CapacityKwp, "266") // 10.5 + 250.5 + 5
		c, err = q.OrganizationCapacity(ctx, 999999)
		gaNoErr(t, err)
		if c.Sites != 0 {
			t.Errorf("unknown org: sites = %d", c.Sites)
		}
		gaDecEq(t, "unknown org capacity", c.CapacityKwp, "0")
	})

	t.Run("ArchiveSite", func(t *testing.T) {
		at := gaAt(9, 15, 42)
		n, err := q.ArchiveSite(ctx, site.ArchiveSiteParams{ArchivedAt: at, ID: ids["cabin"]})
		gaNoErr(t, err)
		gaRows(t, "archive", n, 1)
		n, err = q.ArchiveSite(ctx, site.ArchiveSiteParams{ArchivedAt: at.Add(time.Hour), ID: ids["cabin"]})
		gaNoErr(t, err)
		gaRows(t, "archive again", n, 0)
		s, err := q.GetSite(ctx, ids["cabin"])
		gaNoErr(t, err)
		gaNullTimeEq(t, "archived_at", s.ArchivedAt, &at)
		gaIDsEq(t, "list skips archived", listIDs(t, site.ListOrganizationSitesParams{OrgID: org, Limit: 10}), []int64{ids["home"], ids["depot"]})
		c, err := q.OrganizationCapacity(ctx, org)
		gaNoErr(t, err)
		if c.Sites != 2 {
			t.Errorf("sites = %d, want 2", c.Sites)
		}
		gaDecEq(t, "capacity without archived", c.CapacityKwp, "261")
		n, err = q.UpdateSiteCapacity(ctx, site.UpdateSiteCapacityParams{CapacityKwp: gaDec("7"), ID: ids["cabin"]})
		gaNoErr(t, err)
		gaRows(t, "capacity of an archived site", n, 0)
		rows, err := q.ListSitesByIDs(ctx, []int64{ids["cabin"]})
		gaNoErr(t, err)
		if len(rows) != 1 {
			t.Errorf("ListSitesByIDs must include archived sites, got %d rows", len(rows))
		}
	})

	contacts := map[string]int64{}
	t.Run("AddSiteContact", func(t *testing.T) {
		for _, c := range []struct {
			name  string
			site  int64
			phone sql.NullString
			role  site.SiteContactsRole
		}{
			{"olga", ids["home"], sql.NullString{String: "+49 30 1234", Valid: true}, site.SiteContactsRoleOwner},
			{"ivan", ids["home"], sql.NullString{}, site.SiteContactsRoleInstaller},
			{"bea", ids["depot"], sql.NullString{}, site.SiteContactsRoleBilling},
		} {
			id, err := q.AddSiteContact(ctx, site.AddSiteContactParams{SiteID: c.site, Name: c.name, Email: c.name + "@example.com", Phone: c.phone, Role: c.role})
			gaNoErr(t, err)
			contacts[c.name] = id
		}
		if !(0 < contacts["olga"] && contacts["olga"] < contacts["ivan"] && contacts["ivan"] < contacts["bea"]) {
			t.Errorf("ids not increasing: %v", contacts)
		}
		_, err := q.AddSiteContact(ctx, site.AddSiteContactParams{SiteID: 999999, Name: "x", Email: "x@example.com", Role: site.SiteContactsRoleOwner})
		gaErr(t, err, "contact of an unknown site")
	})

	listContacts := func(t *testing.T, siteID int64) []site.ListSiteContactsRow {
		t.Helper()
		rows, err := q.ListSiteContacts(ctx, siteID)
		gaNoErr(t, err)
		return rows
	}
	contactID := func(r site.ListSiteContactsRow) int64 { return r.ID }

	t.Run("ListSiteContacts", func(t *testing.T) {
		rows := listContacts(t, ids["home"])
		gaIDsEq(t, "home", gaIDs(rows, contactID), []int64{contacts["olga"], contacts["ivan"]})
		if len(rows) == 2 {
			if rows[0].Name != "olga" || rows[0].Email != "olga@example.com" || rows[0].Phone != (sql.NullString{String: "+49 30 1234", Valid: true}) ||
				rows[0].Role != site.SiteContactsRoleOwner || rows[0].IsPrimary {
				t.Errorf("olga = %+v", rows[0])
			}
			if rows[1].Phone.Valid || rows[1].Role != site.SiteContactsRoleInstaller {
				t.Errorf("ivan = %+v", rows[1])
			}
		}
		gaIDsEq(t, "farm", gaIDs(listContacts(t, ids["farm"]), contactID), nil)
	})

	t.Run("SetPrimarySiteContact", func(t *testing.T) {
		n, err := q.SetPrimarySiteContact(ctx, site.SetPrimarySiteContactParams{ContactID: contacts["ivan"], SiteID: ids["home"]})
		gaNoErr(t, err)
		gaRows(t, "ivan primary", n, 1) // only ivan changes
		rows := listContacts(t, ids["home"])
		gaIDsEq(t, "primary first", gaIDs(rows, contactID), []int64{contacts["ivan"], contacts["olga"]})
		if len(rows) == 2 && (!rows[0].IsPrimary || rows[1].IsPrimary) {
			t.Errorf("flags = %v, %v", rows[0].IsPrimary, rows[1].IsPrimary)
		}
		n, err = q.SetPrimarySiteContact(ctx, site.SetPrimarySiteContactParams{ContactID: contacts["olga"], SiteID: ids["home"]})
		gaNoErr(t, err)
		gaRows(t, "olga primary", n, 2) // olga set, ivan cleared
		n, err = q.SetPrimarySiteContact(ctx, site.SetPrimarySiteContactParams{ContactID: contacts["olga"], SiteID: ids["home"]})
		gaNoErr(t, err)
		gaRows(t, "olga again", n, 0)
		rows = listContacts(t, ids["home"])
		gaIDsEq(t, "olga first", gaIDs(rows, contactID), []int64{contacts["olga"], contacts["ivan"]})
		depot := listContacts(t, ids["depot"])
		if len(depot) != 1 || depot[0].IsPrimary {
			t.Errorf("another site's contact changed: %+v", depot)
		}
	})
}
