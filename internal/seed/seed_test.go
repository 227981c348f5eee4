package seed_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/internal/seed"
)

// small is the configuration the tests seed: 3 sites, 15-minute samples.
var small = seed.Config{Sites: 3, Interval: 15 * time.Minute, Workers: 2, OrgSlug: "seedtest"}

const smallSamples = 96

// structural is what a run of small writes, alarms aside (their number is
// drawn per site).
func structural(sites, samples int) seed.Counts {
	return seed.Counts{
		Organizations: 1, Users: 3, Sites: sites, Devices: sites * seed.DevicesPerSite,
		InverterReadings: sites * seed.InvertersPerSite * samples,
		BatteryReadings:  sites * seed.BatteriesPerSite * samples,
		MeterReadings:    sites * seed.MetersPerSite * samples,
		BatteryStates:    sites * seed.BatteriesPerSite, MeterProfiles: sites * seed.MetersPerSite,
		DailyYields: sites * seed.InvertersPerSite,
		Plans:       sites, Slots: sites * seed.BatteriesPerSite * 24 * 60 / seed.SlotMinutes,
		Tariffs: 2, TariffPeriods: 5, TariffAssignments: 2 * sites,
		AlarmRules: 4, KPIs: sites * seed.KPIDays,
	}
}

// tableCounts counts the rows of every seeded table.
func tableCounts(t *testing.T, f fixture) seed.Counts {
	return seed.Counts{
		Organizations: f.count(t, "account", "organizations"), Users: f.count(t, "account", "users"),
		Sites: f.count(t, "site", "sites"), Devices: f.count(t, "device", "devices"),
		InverterReadings: f.count(t, "pv", "inverter_readings"), BatteryReadings: f.count(t, "ess", "battery_readings"),
		MeterReadings: f.count(t, "meter", "meter_readings"), BatteryStates: f.count(t, "ess", "battery_states"),
		MeterProfiles: f.count(t, "meter", "meter_profiles"), DailyYields: f.count(t, "pv", "daily_yields"),
		Plans: f.count(t, "schedule", "schedule_plans"), Slots: f.count(t, "schedule", "schedule_slots"),
		Tariffs: f.count(t, "tariff", "tariffs"), TariffPeriods: f.count(t, "tariff", "tariff_periods"),
		TariffAssignments: f.count(t, "tariff", "site_tariffs"), AlarmRules: f.count(t, "alarm", "alarm_rules"),
		Alarms: f.count(t, "alarm", "alarms"), KPIs: f.count(t, "analysis", "site_daily_kpis"),
	}
}

func TestRunSeedsThenReuses(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var mu sync.Mutex
	var progress []seed.Progress
	cfg := small
	cfg.Progress = func(p seed.Progress) {
		mu.Lock() // Run promises serialized calls; the lock lets -race check it
		progress = append(progress, p)
		mu.Unlock()
	}
	first, err := seed.Run(ctx, f.m, cfg)
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	t.Logf("first run: %d rows in %v", first.Created.Rows(), first.Elapsed)

	want := structural(3, smallSamples)
	want.Alarms = first.Created.Alarms
	if first.Created != want {
		t.Errorf("first run created\n%+v\nwant\n%+v", first.Created, want)
	}
	if first.Reused != (seed.Counts{}) {
		t.Errorf("first run reused %+v, want nothing", first.Reused)
	}
	if a := first.Created.Alarms; a < 3 || a > 12 {
		t.Errorf("alarms = %d, want 1 to 4 per site", a)
	}
	if got := tableCounts(t, f); got != want {
		t.Errorf("table counts\n%+v\nwant\n%+v", got, want)
	}
	if len(first.SiteIDs) != 3 || first.OrgID == 0 {
		t.Errorf("report ids: org %d, sites %v", first.OrgID, first.SiteIDs)
	}

	total := 4 + 8*3
	if len(progress) != total {
		t.Fatalf("%d progress calls, want %d", len(progress), total)
	}
	for i, p := range progress {
		if p.Done != i+1 || p.Total != total || p.Step == "" {
			t.Fatalf("progress[%d] = %+v, want Done %d of %d", i, p, i+1, total)
		}
	}

	second, err := seed.Run(ctx, f.m, small)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	t.Logf("second run: reused %d rows in %v", second.Reused.Rows(), second.Elapsed)
	if second.Created != (seed.Counts{}) {
		t.Errorf("second run created %+v, want nothing", second.Created)
	}
	if second.Reused != want {
		t.Errorf("second run reused\n%+v\nwant\n%+v", second.Reused, want)
	}
	if got := tableCounts(t, f); got != want {
		t.Errorf("table counts after the second run\n%+v\nwant\n%+v", got, want)
	}
	if second.OrgID != first.OrgID || !equalIDs(second.SiteIDs, first.SiteIDs) {
		t.Errorf("second run ids org %d sites %v, want %d %v", second.OrgID, second.SiteIDs, first.OrgID, first.SiteIDs)
	}
}

// TestKPIsMatchTelemetry checks that the seeded day's KPIs are the
// telemetry's counter differences and that energy balances at the site.
func TestKPIsMatchTelemetry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rep, err := seed.Run(ctx, f.m, small)
	if err != nil {
		t.Fatal(err)
	}
	day, end := seed.DefaultDay, seed.DefaultDay.Add(24*time.Hour)
	for _, siteID := range rep.SiteIDs {
		var pvKWh, loadKWh, impKWh, expKWh decimal.Decimal
		err := f.sql["analysis"].QueryRow(`SELECT pv_energy_kwh, load_energy_kwh, grid_import_kwh, grid_export_kwh
			FROM site_daily_kpis WHERE site_id = ? AND day = ?`, siteID, day).Scan(&pvKWh, &loadKWh, &impKWh, &expKWh)
		if err != nil {
			t.Fatal(err)
		}
		var invWh decimal.Decimal
		err = f.sql["pv"].QueryRow(`SELECT SUM(e) FROM (SELECT MAX(energy_wh) - MIN(energy_wh) AS e
			FROM inverter_readings WHERE site_id = ? AND ts >= ? AND ts < ? GROUP BY device_id) d`, siteID, day, end).Scan(&invWh)
		if err != nil {
			t.Fatal(err)
		}
		if !invWh.Shift(-3).Round(3).Equal(pvKWh) {
			t.Errorf("site %d: KPI pv %s kWh, inverter counters %s Wh", siteID, pvKWh, invWh)
		}
		meters := meterIDs(t, f, siteID) // grid, pv, load
		var gridImp, gridExp, loadImp decimal.Decimal
		q := `SELECT MAX(import_energy_wh) - MIN(import_energy_wh), MAX(export_energy_wh) - MIN(export_energy_wh)
			FROM meter_readings WHERE device_id = ? AND ts >= ? AND ts < ?`
		var skip decimal.Decimal
		if err := f.sql["meter"].QueryRow(q, meters[0], day, end).Scan(&gridImp, &gridExp); err != nil {
			t.Fatal(err)
		}
		if err := f.sql["meter"].QueryRow(q, meters[2], day, end).Scan(&loadImp, &skip); err != nil {
			t.Fatal(err)
		}
		if !gridImp.Shift(-3).Round(3).Equal(impKWh) || !gridExp.Shift(-3).Round(3).Equal(expKWh) {
			t.Errorf("site %d: KPI import/export %s/%s kWh, grid meter %s/%s Wh", siteID, impKWh, expKWh, gridImp, gridExp)
		}
		if !loadImp.Shift(-3).Round(3).Equal(loadKWh) {
			t.Errorf("site %d: KPI load %s kWh, load meter %s Wh", siteID, loadKWh, loadImp)
		}
		var batIn, batOut decimal.Decimal
		err = f.sql["ess"].QueryRow(`SELECT SUM(i), SUM(o) FROM (SELECT MAX(energy_in_wh) - MIN(energy_in_wh) AS i,
			MAX(energy_out_wh) - MIN(energy_out_wh) AS o FROM battery_readings WHERE site_id = ? AND ts >= ? AND ts < ?
			GROUP BY device_id) d`, siteID, day, end).Scan(&batIn, &batOut)
		if err != nil {
			t.Fatal(err)
		}
		// load = pv + import - export + battery out - battery in, up to the
		// rounding of each sample's energy to 1 mWh (9 series x 96 samples).
		balance := invWh.Add(gridImp).Sub(gridExp).Add(batOut).Sub(batIn).Sub(loadImp)
		if balance.Abs().GreaterThan(decimal.RequireFromString("1")) {
			t.Errorf("site %d: energy balance off by %s Wh", siteID, balance)
		}
		t.Logf("site %d: pv %s kWh, load %s, import %s, export %s, battery in %s Wh out %s Wh",
			siteID, pvKWh, loadKWh, impKWh, expKWh, batIn, batOut)
		if pvKWh.Sign() <= 0 || loadKWh.Sign() <= 0 || impKWh.Sign() <= 0 || expKWh.Sign() <= 0 {
			t.Errorf("site %d: pv %s, load %s kWh: import %s, export %s kWh: want all positive", siteID, pvKWh, loadKWh, impKWh, expKWh)
		}
	}
}

func meterIDs(t *testing.T, f fixture, siteID int64) []int64 {
	t.Helper()
	rows, err := f.sql["meter"].Query(`SELECT device_id FROM meter_profiles WHERE site_id = ?
		ORDER BY FIELD(position, 'grid', 'pv', 'load')`, siteID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(ids) != 3 {
		t.Fatalf("site %d has %d meters, want 3", siteID, len(ids))
	}
	return ids
}

// TestRunIsDeterministic seeds two sets of databases with the same
// configuration and a third with another seed.
func TestRunIsDeterministic(t *testing.T) {
	ctx := context.Background()
	// One worker, so that fresh databases hand out the same auto-increment ids.
	cfg := seed.Config{Sites: 2, Interval: time.Hour, OrgSlug: "det", Workers: 1}
	snapshot := func(seedValue uint64) string {
		f := newFixture(t)
		c := cfg
		c.Seed = seedValue
		if _, err := seed.Run(ctx, f.m, c); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, q := range []struct{ db, sql string }{
			{"site", "SELECT name, kind, latitude, longitude, capacity_kwp FROM sites ORDER BY id"},
			{"pv", "SELECT ts, ac_power_w, dc_power_w, energy_wh, ac_voltage_v, temperature_c FROM inverter_readings ORDER BY device_id, ts"},
			{"ess", "SELECT ts, soc_pct, power_w, energy_in_wh, energy_out_wh FROM battery_readings ORDER BY device_id, ts"},
			{"meter", "SELECT ts, power_w, import_energy_wh, export_energy_wh, voltage_v FROM meter_readings ORDER BY device_id, ts"},
			{"alarm", "SELECT code, severity, state, raised_at FROM alarms ORDER BY id"},
			{"analysis", "SELECT day, pv_energy_kwh, load_energy_kwh, autarky_pct, performance_ratio FROM site_daily_kpis ORDER BY site_id, day"},
		} {
			rows, err := f.sql[q.db].Query(q.sql)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for _, v := range vals {
					if bs, ok := v.([]byte); ok {
						v = string(bs)
					}
					b.WriteString(strings.TrimSpace(strings.ReplaceAll(fmt.Sprint(v), "\n", " ")))
					b.WriteByte('|')
				}
				b.WriteByte('\n')
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
		}
		return b.String()
	}
	a, b, other := snapshot(7), snapshot(7), snapshot(8)
	if a != b {
		t.Errorf("two runs with seed 7 differ")
	}
	if a == other {
		t.Errorf("seeds 7 and 8 gave the same data")
	}
	if len(a) < 1000 {
		t.Errorf("snapshot is only %d bytes: the queries found no data", len(a))
	}
}

// TestRunResumesAfterInterruption stops a run halfway and checks that the
// next run completes it without duplicates.
func TestRunResumesAfterInterruption(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := small
	cfg.Progress = func(p seed.Progress) {
		if p.Done == 12 { // organization-level data, the sites and some of their parts
			cancel()
		}
	}
	partial, err := seed.Run(ctx, f.m, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err %v, want context.Canceled", err)
	}
	_ = partial
	mid := tableCounts(t, f)
	want := structural(3, smallSamples)
	if mid.Readings() >= want.Readings() {
		t.Fatalf("the interrupted run wrote all %d readings; interrupt earlier", mid.Readings())
	}
	rep, err := seed.Run(context.Background(), f.m, small)
	if err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	sum := rep.Created.Add(rep.Reused)
	want.Alarms = sum.Alarms
	if sum != want {
		t.Errorf("resumed run created+reused\n%+v\nwant\n%+v", sum, want)
	}
	if rep.Created.Readings() == 0 || rep.Reused.Sites != 3 {
		t.Errorf("resumed run created %d readings and reused %d sites; want some readings and all 3 sites",
			rep.Created.Readings(), rep.Reused.Sites)
	}
	if got := tableCounts(t, f); got != want {
		t.Errorf("table counts\n%+v\nwant\n%+v", got, want)
	}
}

func TestConfigRejectsBadValues(t *testing.T) {
	for _, cfg := range []seed.Config{
		{Interval: 7 * time.Minute},
		{Interval: time.Millisecond},
		{Sites: -1},
		{OrgSlug: strings.Repeat("x", 33)},
	} {
		if _, err := seed.Run(context.Background(), nil, cfg); err == nil || !strings.Contains(err.Error(), "invalid config") {
			t.Errorf("Run(%+v) = %v, want an invalid config error", cfg, err)
		}
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
