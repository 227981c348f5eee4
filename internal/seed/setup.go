package seed

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/gen/account"
	"github.com/solarhub/hubdb/gen/alarm"
	"github.com/solarhub/hubdb/gen/site"
	"github.com/solarhub/hubdb/gen/tariff"
)

// demoUsers are the organization's members; the first acknowledges the
// seeded alarms.
var demoUsers = []struct {
	local, name string
	role        account.MembershipsRole
}{
	{"operator", "Olivia Operator", account.MembershipsRoleOperator},
	{"owner", "Oscar Owner", account.MembershipsRoleOwner},
	{"viewer", "Vera Viewer", account.MembershipsRoleViewer},
}

// setup seeds the organization-level data and the sites.
func (r *run) setup(ctx context.Context) error {
	steps := []struct {
		name string
		fn   func(context.Context) (created, reused Counts, err error)
	}{
		{"organization", r.organization},
		{"tariffs", r.tariffDefs},
		{"alarm rules", r.alarmRules},
		{"sites", r.siteRows},
	}
	for _, s := range steps {
		c, u, err := s.fn(ctx)
		if err != nil {
			return fmt.Errorf("seed: %s: %w", s.name, err)
		}
		r.tally(s.name, c, u)
	}
	return nil
}

// organization finds or creates the organization and its users.
func (r *run) organization(ctx context.Context) (created, reused Counts, err error) {
	err = r.h.account.Write(ctx, func(ctx context.Context, q *account.Queries) error {
		created, reused = Counts{}, Counts{}
		org, err := q.GetOrganizationBySlug(ctx, r.cfg.OrgSlug)
		switch {
		case err == nil:
			r.orgID = org.ID
			reused.Organizations = 1
			members, err := q.ListOrganizationMembers(ctx, account.ListOrganizationMembersParams{
				OrgID: org.ID, Limit: int32(len(demoUsers)) + 100,
			})
			if err != nil {
				return err
			}
			byEmail := map[string]int64{}
			for _, m := range members {
				byEmail[m.Email] = m.UserID
			}
			r.userIDs = r.userIDs[:0]
			for _, u := range demoUsers {
				id, ok := byEmail[r.email(u.local)]
				if !ok {
					return fmt.Errorf("organization %q exists without member %s: not seeded by this package",
						r.cfg.OrgSlug, r.email(u.local))
				}
				r.userIDs = append(r.userIDs, id)
			}
			reused.Users = len(demoUsers)
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		settings, _ := json.Marshal(map[string]any{"demo": true, "seed": r.cfg.Seed})
		r.orgID, err = q.CreateOrganization(ctx, account.CreateOrganizationParams{
			Slug: r.cfg.OrgSlug, Name: "SolarHub Demo", Plan: account.OrganizationsPlanEnterprise, Settings: settings,
		})
		if err != nil {
			return err
		}
		created.Organizations = 1
		r.userIDs = r.userIDs[:0]
		for _, u := range demoUsers {
			id, err := q.CreateUser(ctx, account.CreateUserParams{Email: r.email(u.local), FullName: u.name})
			if err != nil {
				return err
			}
			if _, err := q.UpsertMembership(ctx, account.UpsertMembershipParams{OrgID: r.orgID, UserID: id, Role: u.role}); err != nil {
				return err
			}
			r.userIDs = append(r.userIDs, id)
		}
		created.Users = len(demoUsers)
		return nil
	}, writeOpts...)
	return created, reused, err
}

func (r *run) email(local string) string { return local + "@" + r.cfg.OrgSlug + ".example" }

// tariffDef is one demo tariff with its price periods.
type tariffDef struct {
	name     string
	kind     tariff.TariffsKind
	standing string
	periods  []tariff.AddPeriodParams
}

// The demo tariffs: a time-of-use import tariff and a fixed feed-in tariff.
const (
	tariffImport = "Demo time-of-use import"
	tariffExport = "Demo feed-in export"
)

var tariffDefs = []tariffDef{
	{tariffImport, tariff.TariffsKindTou, "0.4500", []tariff.AddPeriodParams{
		{Direction: tariff.TariffPeriodsDirectionImport, DayType: tariff.TariffPeriodsDayTypeAll, StartTime: "00:00:00", EndTime: "07:00:00", PricePerKwh: decimal.RequireFromString("0.220000")},
		{Direction: tariff.TariffPeriodsDirectionImport, DayType: tariff.TariffPeriodsDayTypeAll, StartTime: "07:00:00", EndTime: "17:00:00", PricePerKwh: decimal.RequireFromString("0.310000")},
		{Direction: tariff.TariffPeriodsDirectionImport, DayType: tariff.TariffPeriodsDayTypeAll, StartTime: "17:00:00", EndTime: "22:00:00", PricePerKwh: decimal.RequireFromString("0.420000")},
		{Direction: tariff.TariffPeriodsDirectionImport, DayType: tariff.TariffPeriodsDayTypeAll, StartTime: "22:00:00", EndTime: "24:00:00", PricePerKwh: decimal.RequireFromString("0.220000")},
	}},
	{tariffExport, tariff.TariffsKindFixed, "0.0000", []tariff.AddPeriodParams{
		{Direction: tariff.TariffPeriodsDirectionExport, DayType: tariff.TariffPeriodsDayTypeAll, StartTime: "00:00:00", EndTime: "24:00:00", PricePerKwh: decimal.RequireFromString("0.081000")},
	}},
}

// tariffDefs finds or creates the demo tariffs, each with its periods in
// the same transaction.
func (r *run) tariffDefs(ctx context.Context) (created, reused Counts, err error) {
	err = r.h.tariff.Write(ctx, func(ctx context.Context, q *tariff.Queries) error {
		created, reused = Counts{}, Counts{}
		r.tariffs = map[string]int64{}
		existing, err := q.ListTariffsByOrg(ctx, tariff.ListTariffsByOrgParams{OrgID: r.orgID, Limit: 1000})
		if err != nil {
			return err
		}
		for _, t := range existing {
			r.tariffs[t.Name] = t.ID
		}
		for _, d := range tariffDefs {
			if _, ok := r.tariffs[d.name]; ok {
				reused.Tariffs++
				reused.TariffPeriods += len(d.periods)
				continue
			}
			id, err := q.CreateTariff(ctx, tariff.CreateTariffParams{
				OrgID: r.orgID, Name: d.name, Currency: "EUR", Kind: d.kind,
				StandingChargePerDay: decimal.RequireFromString(d.standing),
			})
			if err != nil {
				return err
			}
			for _, p := range d.periods {
				p.TariffID = id
				if _, err := q.AddPeriod(ctx, p); err != nil {
					return err
				}
			}
			r.tariffs[d.name] = id
			created.Tariffs++
			created.TariffPeriods += len(d.periods)
		}
		return nil
	}, writeOpts...)
	return created, reused, err
}

// alarmRuleDef is a demo alarm rule; code is what alarms raised by it carry.
type alarmRuleDef struct {
	code, name, metric string
	comparator         alarm.AlarmRulesComparator
	threshold          string
	severity           alarm.AlarmRulesSeverity
	deviceKind         int // index into a site's devices of the first device the alarm may concern, -1 for the site
	message            string
}

var alarmRuleDefs = []alarmRuleDef{
	{"INVERTER_OVERTEMP", "Inverter over temperature", "inverter.temperature_c", alarm.AlarmRulesComparatorGt, "70", alarm.AlarmRulesSeverityMajor, 0, "Inverter temperature above 70 °C"},
	{"BATTERY_LOW_SOC", "Battery state of charge low", "battery.soc_pct", alarm.AlarmRulesComparatorLt, "12", alarm.AlarmRulesSeverityWarning, InvertersPerSite, "Battery state of charge below 12 %"},
	{"METER_COMM_LOSS", "Meter not reporting", "meter.silence_s", alarm.AlarmRulesComparatorGte, "300", alarm.AlarmRulesSeverityWarning, InvertersPerSite + BatteriesPerSite, "No meter reading for 5 minutes"},
	{"GRID_OUTAGE", "Grid outage", "grid.voltage_v", alarm.AlarmRulesComparatorLt, "180", alarm.AlarmRulesSeverityCritical, -1, "Grid voltage lost"},
}

// alarmRules finds or creates the demo alarm rules.
func (r *run) alarmRules(ctx context.Context) (created, reused Counts, err error) {
	err = r.h.alarm.Write(ctx, func(ctx context.Context, q *alarm.Queries) error {
		created, reused = Counts{}, Counts{}
		r.ruleIDs = map[string]int64{}
		existing, err := q.ListEnabledAlarmRules(ctx, alarm.ListEnabledAlarmRulesParams{OrgID: r.orgID, Limit: 1000})
		if err != nil {
			return err
		}
		byName := map[string]int64{}
		for _, e := range existing {
			byName[e.Name] = e.ID
		}
		for _, d := range alarmRuleDefs {
			if id, ok := byName[d.name]; ok {
				r.ruleIDs[d.code] = id
				reused.AlarmRules++
				continue
			}
			id, err := q.CreateAlarmRule(ctx, alarm.CreateAlarmRuleParams{
				OrgID: r.orgID, Name: d.name, Metric: d.metric, Comparator: d.comparator,
				Threshold: decimal.RequireFromString(d.threshold), Severity: d.severity, Enabled: true,
			})
			if err != nil {
				return err
			}
			r.ruleIDs[d.code] = id
			created.AlarmRules++
		}
		return nil
	}, writeOpts...)
	return created, reused, err
}

// siteRows finds the organization's sites by name and creates the missing
// ones, all in one transaction.
func (r *run) siteRows(ctx context.Context) (created, reused Counts, err error) {
	err = r.h.site.Write(ctx, func(ctx context.Context, q *site.Queries) error {
		created, reused = Counts{}, Counts{}
		byName := map[string]int64{}
		for after := int64(0); ; {
			page, err := q.ListOrganizationSites(ctx, site.ListOrganizationSitesParams{
				OrgID: r.orgID, AfterID: after, Limit: siteListPageLimit,
			})
			if err != nil {
				return err
			}
			for _, s := range page {
				byName[s.Name] = s.ID
			}
			if len(page) < siteListPageLimit {
				break
			}
			after = page[len(page)-1].ID
		}
		r.siteRefs = make([]siteRef, 0, r.cfg.Sites)
		for n := 1; n <= r.cfg.Sites; n++ {
			spec := specOf(r.cfg.Seed, n)
			if id, ok := byName[spec.name]; ok {
				r.siteRefs = append(r.siteRefs, siteRef{spec, id})
				reused.Sites++
				continue
			}
			id, err := q.CreateSite(ctx, site.CreateSiteParams{
				OrgID: r.orgID, Name: spec.name, Kind: spec.kind, Timezone: spec.timezone,
				Latitude: spec.lat, Longitude: spec.lon,
				CapacityKwp:    decimal.NewFromFloat(spec.capacityKWp).Round(3),
				CommissionedOn: sql.NullTime{Time: r.cfg.Day.AddDate(-1-n%3, 0, 0), Valid: true},
			})
			if err != nil {
				return err
			}
			r.siteRefs = append(r.siteRefs, siteRef{spec, id})
			created.Sites++
		}
		return nil
	}, writeOpts...)
	return created, reused, err
}
