package seed

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/gen/alarm"
	"github.com/solarhub/hubdb/gen/analysis"
	"github.com/solarhub/hubdb/gen/schedule"
	"github.com/solarhub/hubdb/gen/tariff"
)

// planName is the name of a site's seeded schedule plan.
func (cfg Config) planName() string { return "Day-ahead " + cfg.Day.Format(time.DateOnly) }

// schedule writes a day-ahead plan with 15-minute slots for each battery:
// charge around midday, discharge in the evening, idle otherwise.
func (r *run) schedule(ctx context.Context, s siteRef, d siteDevices) (created, reused Counts, err error) {
	want := Counts{Plans: 1, Slots: len(d.batteries) * slotsPerBattery}
	err = r.h.schedule.Write(ctx, func(ctx context.Context, q *schedule.Queries) error {
		created, reused = Counts{}, Counts{}
		plans, err := q.ListPlansBySite(ctx, schedule.ListPlansBySiteParams{SiteID: s.id, Limit: 1000})
		if err != nil {
			return err
		}
		for _, p := range plans {
			if p.Name == r.cfg.planName() {
				reused = want
				return nil
			}
		}
		planID, err := q.CreatePlan(ctx, schedule.CreatePlanParams{
			SiteID: s.id, Name: r.cfg.planName(), ValidFrom: r.cfg.Day, ValidTo: r.cfg.dayEnd(),
			CreatedBy: sql.NullInt64{Int64: r.userIDs[0], Valid: true},
		})
		if err != nil {
			return err
		}
		capW := s.capacityKWp * 1000 * 0.2
		for _, dev := range d.batteries {
			for i := range slotsPerBattery {
				start := r.cfg.Day.Add(time.Duration(i*SlotMinutes) * time.Minute)
				hs := float64(i*SlotMinutes)/60 + s.lon/15
				p := schedule.UpsertSlotParams{
					DeviceID: dev, SlotStart: start, PlanID: planID, SiteID: s.id, SlotMinutes: SlotMinutes,
					Mode: schedule.ScheduleSlotsModeIdle, PowerW: decimal.Zero, UpdatedAt: r.cfg.Day.Add(-time.Hour),
				}
				switch {
				case hs >= 10 && hs < 15:
					p.Mode, p.PowerW = schedule.ScheduleSlotsModeCharge, decimal.NewFromFloat(capW*0.25).Round(1)
					p.TargetSocPct = sql.NullFloat64{Float64: 95, Valid: true}
				case hs >= 17 && hs < 22:
					p.Mode, p.PowerW = schedule.ScheduleSlotsModeDischarge, decimal.NewFromFloat(capW*0.2).Round(1)
					p.TargetSocPct = sql.NullFloat64{Float64: 20, Valid: true}
				}
				if _, err := q.UpsertSlot(ctx, p); err != nil {
					return err
				}
			}
		}
		if _, err := q.ActivatePlan(ctx, planID); err != nil {
			return err
		}
		created = want
		return nil
	}, writeOpts...)
	return created, reused, err
}

// assignTariffs assigns the demo import and export tariffs to the site
// from KPIDays before Config.Day on.
func (r *run) assignTariffs(ctx context.Context, s siteRef) (created, reused Counts, err error) {
	from := r.cfg.Day.AddDate(0, 0, -KPIDays)
	err = r.h.tariff.Write(ctx, func(ctx context.Context, q *tariff.Queries) error {
		created, reused = Counts{}, Counts{}
		for _, a := range []struct {
			name string
			dir  tariff.SiteTariffsDirection
		}{{tariffImport, tariff.SiteTariffsDirectionImport}, {tariffExport, tariff.SiteTariffsDirectionExport}} {
			n, err := q.AssignTariff(ctx, tariff.AssignTariffParams{
				SiteID: s.id, TariffID: r.tariffs[a.name], Direction: a.dir, ValidFrom: from,
			})
			if err != nil {
				return err
			}
			if n == 1 {
				created.TariffAssignments++
			} else {
				reused.TariffAssignments++
			}
		}
		return nil
	}, writeOpts...)
	return created, reused, err
}

// plannedAlarm is one alarm to raise, and what happens to it afterwards.
type plannedAlarm struct {
	def           alarmRuleDef
	device        sql.NullInt64
	raised, later time.Time
	outcome       int // 0 stays active, 1 acknowledged, 2 cleared
}

// planAlarms draws one to four alarms of distinct rules for the site.
func planAlarms(cfg Config, s siteRef, d siteDevices) []plannedAlarm {
	rng := rngFor(cfg.Seed, s.n, saltAlarms)
	count := 1 + rng.IntN(len(alarmRuleDefs))
	out := make([]plannedAlarm, 0, count)
	for _, i := range rng.Perm(len(alarmRuleDefs))[:count] {
		a := plannedAlarm{def: alarmRuleDefs[i]}
		var pick []int64
		switch k := a.def.deviceKind; {
		case k == 0:
			pick = d.inverters
		case k == InvertersPerSite:
			pick = d.batteries
		case k > 0:
			pick = d.mets
		}
		if pick != nil {
			a.device = sql.NullInt64{Int64: pick[rng.IntN(len(pick))], Valid: true}
		}
		a.raised = cfg.Day.Add(time.Duration(rng.IntN(24*60)) * time.Minute)
		a.later = a.raised.Add(time.Duration(5+rng.IntN(120)) * time.Minute)
		a.outcome = rng.IntN(3)
		out = append(out, a)
	}
	return out
}

// alarms raises the site's planned alarms, acknowledging (by the
// operator) or clearing some, unless the site has alarms already.
func (r *run) alarms(ctx context.Context, s siteRef, d siteDevices) (created, reused Counts, err error) {
	plan := planAlarms(r.cfg, s, d)
	want := Counts{Alarms: len(plan)}
	err = r.h.alarm.Write(ctx, func(ctx context.Context, q *alarm.Queries) error {
		created, reused = Counts{}, Counts{}
		have, err := q.ListSiteAlarms(ctx, alarm.ListSiteAlarmsParams{SiteID: s.id, Limit: 1})
		if err != nil {
			return err
		}
		if len(have) > 0 {
			reused = want
			return nil
		}
		for _, a := range plan {
			key := sql.NullString{String: fmt.Sprintf("site:%d:%s:%d", s.id, a.def.code, a.device.Int64), Valid: true}
			details, _ := json.Marshal(map[string]any{"metric": a.def.metric, "threshold": a.def.threshold})
			if _, err := q.RaiseAlarm(ctx, alarm.RaiseAlarmParams{
				RuleID: sql.NullInt64{Int64: r.ruleIDs[a.def.code], Valid: true}, OrgID: r.orgID, SiteID: s.id,
				DeviceID: a.device, Code: a.def.code, DedupKey: key, Severity: alarm.AlarmsSeverity(a.def.severity),
				Message: a.def.message, Details: details, RaisedAt: a.raised,
			}); err != nil {
				return err
			}
			row, err := q.GetOpenAlarmByDedupKey(ctx, key)
			if err != nil {
				return err
			}
			switch a.outcome {
			case 1:
				_, err = q.AcknowledgeAlarm(ctx, alarm.AcknowledgeAlarmParams{AcknowledgedAt: a.later, UserID: r.userIDs[0], ID: row.ID})
			case 2:
				_, err = q.ClearAlarm(ctx, alarm.ClearAlarmParams{ClearedAt: a.later, ID: row.ID})
			}
			if err != nil {
				return err
			}
		}
		created = want
		return nil
	}, writeOpts...)
	return created, reused, err
}

// kpis writes KPIDays days of KPIs ending on Config.Day: that day's from
// the telemetry, the days before scaled by a random weather and load
// factor per day.
func (r *run) kpis(ctx context.Context, s siteRef, ser *siteSeries) (created, reused Counts, err error) {
	want := Counts{KPIs: KPIDays}
	rows := kpiRows(r.cfg, s, r.orgID, ser)
	err = r.h.analysis.Write(ctx, func(ctx context.Context, q *analysis.Queries) error {
		created, reused = Counts{}, Counts{}
		_, err := q.GetDailyKPI(ctx, analysis.GetDailyKPIParams{SiteID: s.id, Day: r.cfg.Day})
		switch {
		case err == nil:
			reused = want
			return nil
		case !notFound(err):
			return err
		}
		for _, row := range rows {
			if _, err := q.UpsertDailyKPI(ctx, row); err != nil {
				return err
			}
		}
		created = want
		return nil
	}, writeOpts...)
	return created, reused, err
}

// kpiRows computes the site's KPI rows, oldest day first.
func kpiRows(cfg Config, s siteRef, orgID int64, ser *siteSeries) []analysis.UpsertDailyKPIParams {
	rng := rngFor(cfg.Seed, s.n, saltKPIs)
	kwh := func(mwh int64) float64 { return float64(mwh) / 1e6 }
	pv, load, imp, exp := kwh(ser.pvMWh), kwh(ser.loadMWh), kwh(ser.importMWh), kwh(ser.exportMWh)
	pr := 0.0
	if ser.irradiation > 0 {
		pr = pv / (s.capacityKWp * ser.irradiation)
	}
	rows := make([]analysis.UpsertDailyKPIParams, KPIDays)
	for i := range KPIDays {
		day := cfg.Day.AddDate(0, 0, i-(KPIDays-1))
		dpv, dload, dimp, dexp, dpr := pv, load, imp, exp, pr
		if i < KPIDays-1 { // an earlier day: other weather, other load
			f, g := 0.45+0.6*rng.Float64(), 0.85+0.3*rng.Float64()
			dpv, dload, dexp = pv*f, load*g, exp*f*f
			dimp = math.Max(dload-(dpv-dexp), imp*0.2)
			dpr = pr * (0.97 + 0.06*rng.Float64())
		}
		dpv, dload, dimp, dexp = round(dpv, 3), round(dload, 3), round(dimp, 3), round(dexp, 3)
		row := analysis.UpsertDailyKPIParams{
			SiteID: s.id, Day: day, OrgID: orgID,
			PvEnergyKwh: decimal.NewFromFloat(dpv), LoadEnergyKwh: decimal.NewFromFloat(dload),
			GridImportKwh: decimal.NewFromFloat(dimp), GridExportKwh: decimal.NewFromFloat(dexp),
			ComputedAt: day.Add(25 * time.Hour),
		}
		if dpv > 0 {
			row.SelfConsumptionPct = round(min(max((dpv-dexp)/dpv*100, 0), 100), 2)
			row.PerformanceRatio = sql.NullFloat64{Float64: round(dpr, 4), Valid: true}
			row.SpecificYield = decimal.NullDecimal{Decimal: decimal.NewFromFloat(dpv / s.capacityKWp).Round(4), Valid: true}
		}
		if dload > 0 {
			row.AutarkyPct = round(min(max((dload-dimp)/dload*100, 0), 100), 2)
		}
		rows[i] = row
	}
	return rows
}
