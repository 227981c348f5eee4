package querytest_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/hubtest"
)

func TestESSQueries(t *testing.T) {
	ctx := context.Background()
	db := hubtest.New(t, "ess").DB("ess")
	q := ess.New(db)
	const (
		siteA, siteB = 100, 200
		bat1, bat2   = 11, 12 // site A
		bat3         = 13     // site B
	)
	old := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)

	reading := func(dev int64, ts time.Time, soc float64, powerW, inWh, outWh string) ess.InsertBatteryReadingParams {
		return ess.InsertBatteryReadingParams{
			DeviceID: dev, Ts: ts, SiteID: siteA, SocPct: soc, PowerW: gaDec(powerW), TemperatureC: 24.5,
			EnergyInWh: gaDec(inWh), EnergyOutWh: gaDec(outWh),
		}
	}

	t.Run("InsertBatteryReading", func(t *testing.T) {
		for _, r := range []ess.InsertBatteryReadingParams{
			reading(bat1, gaAt(10, 0), 50, "-2000", "1000", "800"),
			reading(bat1, gaAt(10, 15), 55, "-2000", "1500", "800"),
			reading(bat1, gaAt(10, 30), 60, "-1000", "2000", "800"),
			reading(bat1, gaAt(10, 45), 58, "800", "2250.5", "1000"),
			reading(bat2, gaAt(10, 5), 20, "0", "10", "10"),
			reading(bat1, old, 40, "0", "500", "400"),
		} {
			gaNoErr(t, q.InsertBatteryReading(ctx, r))
		}
		gaErr(t, q.InsertBatteryReading(ctx, reading(bat1, gaAt(10, 0), 1, "1", "1", "1")), "duplicate (device_id, ts)")
	})

	t.Run("GetLatestBatteryReading", func(t *testing.T) {
		r, err := q.GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: bat1, AtTs: gaAt(10, 40)})
		gaNoErr(t, err)
		gaTimeEq(t, "at 10:40", r.Ts, gaAt(10, 30))
		if r.DeviceID != bat1 || r.SiteID != siteA || r.SocPct != 60 || r.TemperatureC != 24.5 {
			t.Errorf("got %+v", r)
		}
		gaDecEq(t, "power_w", r.PowerW, "-1000")
		gaDecEq(t, "energy_in_wh", r.EnergyInWh, "2000")
		gaDecEq(t, "energy_out_wh", r.EnergyOutWh, "800")
		r, err = q.GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: bat1, AtTs: gaAt(10, 30)})
		gaNoErr(t, err)
		gaTimeEq(t, "at exactly 10:30 (inclusive)", r.Ts, gaAt(10, 30))
		r, err = q.GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: bat1, AtTs: gaAt(23, 0)})
		gaNoErr(t, err)
		gaTimeEq(t, "at 23:00", r.Ts, gaAt(10, 45))
		r, err = q.GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: bat1, AtTs: gaAt(9, 0)})
		gaNoErr(t, err)
		gaTimeEq(t, "at 09:00", r.Ts, old)
		_, err = q.GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: bat1, AtTs: gaDay(2025, 1, 1)})
		gaNoRows(t, err)
	})

	t.Run("ListBatteryReadings", func(t *testing.T) {
		rows, err := q.ListBatteryReadings(ctx, ess.ListBatteryReadingsParams{DeviceID: bat1, FromTs: gaAt(10, 0), ToTs: gaAt(10, 45), Limit: 10})
		gaNoErr(t, err)
		if len(rows) != 3 {
			t.Fatalf("got %d rows, want 3", len(rows))
		}
		for i, want := range []struct {
			ts  time.Time
			soc float64
			pw  string
		}{{gaAt(10, 0), 50, "-2000"}, {gaAt(10, 15), 55, "-2000"}, {gaAt(10, 30), 60, "-1000"}} {
			gaTimeEq(t, "ts", rows[i].Ts, want.ts)
			if rows[i].SocPct != want.soc || rows[i].TemperatureC != 24.5 {
				t.Errorf("row %d = %+v", i, rows[i])
			}
			gaDecEq(t, "power_w", rows[i].PowerW, want.pw)
		}
		rows, err = q.ListBatteryReadings(ctx, ess.ListBatteryReadingsParams{DeviceID: bat1, FromTs: gaAt(10, 0), ToTs: gaAt(11, 0), Limit: 2})
		gaNoErr(t, err)
		if len(rows) != 2 || !rows[1].Ts.Equal(gaAt(10, 15)) {
			t.Errorf("limit 2: %+v", rows)
		}
		rows, err = q.ListBatteryReadings(ctx, ess.ListBatteryReadingsParams{DeviceID: bat2, FromTs: gaAt(10, 5).Add(time.Microsecond), ToTs: gaAt(11, 0), Limit: 10})
		gaNoErr(t, err)
		if len(rows) != 0 {
			t.Errorf("from_ts after the only sample: %+v", rows)
		}
	})

	t.Run("BatteryEnergyBetween", func(t *testing.T) {
		r, err := q.BatteryEnergyBetween(ctx, ess.BatteryEnergyBetweenParams{DeviceID: bat1, FromTs: gaAt(10, 0), ToTs: gaAt(11, 0)})
		gaNoErr(t, err)
		if r.Samples != 4 || r.MinSocPct != 50 || r.MaxSocPct != 60 {
			t.Errorf("got %+v", r)
		}
		gaDecEq(t, "energy_in_wh", r.EnergyInWh, "1250.5")
		gaDecEq(t, "energy_out_wh", r.EnergyOutWh, "200")
		r, err = q.BatteryEnergyBetween(ctx, ess.BatteryEnergyBetweenParams{DeviceID: bat1, FromTs: gaAt(10, 15), ToTs: gaAt(10, 45)})
		gaNoErr(t, err)
		if r.Samples != 2 || r.MinSocPct != 55 || r.MaxSocPct != 60 {
			t.Errorf("10:15-10:45: %+v", r)
		}
		gaDecEq(t, "10:15-10:45 energy_in_wh", r.EnergyInWh, "500")
		gaDecEq(t, "10:15-10:45 energy_out_wh", r.EnergyOutWh, "0")
		r, err = q.BatteryEnergyBetween(ctx, ess.BatteryEnergyBetweenParams{DeviceID: bat3, FromTs: gaAt(0, 0), ToTs: gaAt(23, 0)})
		gaNoErr(t, err)
		if r.Samples != 0 || r.MinSocPct != 0 || r.MaxSocPct != 0 || !r.EnergyInWh.IsZero() || !r.EnergyOutWh.IsZero() {
			t.Errorf("no samples: %+v", r)
		}
	})

	t.Run("DeleteBatteryReadingsBefore", func(t *testing.T) {
		n, err := q.DeleteBatteryReadingsBefore(ctx, ess.DeleteBatteryReadingsBeforeParams{BeforeTs: gaDay(2025, 6, 1), Limit: 10})
		gaNoErr(t, err)
		gaRows(t, "delete May", n, 1)
		n, err = q.DeleteBatteryReadingsBefore(ctx, ess.DeleteBatteryReadingsBeforeParams{BeforeTs: gaDay(2025, 6, 1), Limit: 10})
		gaNoErr(t, err)
		gaRows(t, "again", n, 0)
		// Older than 10:20: bat1 10:00, bat2 10:05, bat1 10:15; a batch of 1 takes the oldest.
		n, err = q.DeleteBatteryReadingsBefore(ctx, ess.DeleteBatteryReadingsBeforeParams{BeforeTs: gaAt(10, 20), Limit: 1})
		gaNoErr(t, err)
		gaRows(t, "limit 1", n, 1)
		_, err = q.GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: bat1, AtTs: gaAt(10, 10)})
		gaNoRows(t, err)
		r, err := q.GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: bat2, AtTs: gaAt(10, 10)})
		gaNoErr(t, err)
		gaTimeEq(t, "bat2 kept", r.Ts, gaAt(10, 5))
		r, err = q.GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: bat1, AtTs: gaAt(10, 15)})
		gaNoErr(t, err)
		gaTimeEq(t, "bat1 10:15 kept", r.Ts, gaAt(10, 15))
	})

	updated := gaAt(11, 0, 7)
	state := func(dev, site int64, mode ess.BatteryStatesMode, soc float64, capWh, faults string) ess.UpsertBatteryStateParams {
		return ess.UpsertBatteryStateParams{DeviceID: dev, SiteID: site, Mode: mode, SocPct: soc, SohPct: 98.5,
			CapacityWh: gaDec(capWh), FaultCodes: json.RawMessage(faults), UpdatedAt: updated}
	}
	t.Run("UpsertBatteryState", func(t *testing.T) {
		up := func(p ess.UpsertBatteryStateParams) int64 {
			n, err := q.UpsertBatteryState(ctx, p)
			gaNoErr(t, err)
			return n
		}
		gaRows(t, "bat1", up(state(bat1, siteA, ess.BatteryStatesModeCharging, 60, "10000", `[]`)), 1)
		gaRows(t, "bat2", up(state(bat2, siteA, ess.BatteryStatesModeFault, 20, "5000", `["E12","W3"]`)), 1)
		gaRows(t, "bat3", up(state(bat3, siteB, ess.BatteryStatesModeIdle, 80, "13500", `[]`)), 1)
		gaRows(t, "bat1 unchanged", up(state(bat1, siteA, ess.BatteryStatesModeCharging, 60, "10000", `[]`)), 0)
		gaRows(t, "bat1 discharging", up(state(bat1, siteA, ess.BatteryStatesModeDischarging, 58, "10000", `[]`)), 2)
	})

	t.Run("GetBatteryState", func(t *testing.T) {
		s, err := q.GetBatteryState(ctx, bat1)
		gaNoErr(t, err)
		if s.DeviceID != bat1 || s.SiteID != siteA || s.Mode != ess.BatteryStatesModeDischarging || s.SocPct != 58 || s.SohPct != 98.5 {
			t.Errorf("got %+v", s)
		}
		gaDecEq(t, "capacity_wh", s.CapacityWh, "10000")
		gaJSONEq(t, "fault_codes", s.FaultCodes, `[]`)
		gaTimeEq(t, "updated_at", s.UpdatedAt, updated)
		s, err = q.GetBatteryState(ctx, bat2)
		gaNoErr(t, err)
		gaJSONEq(t, "bat2 fault_codes", s.FaultCodes, `["E12","W3"]`)
		_, err = q.GetBatteryState(ctx, 999)
		gaNoRows(t, err)
	})

	t.Run("ListSiteBatteryStates", func(t *testing.T) {
		id := func(r ess.ListSiteBatteryStatesRow) int64 { return r.DeviceID }
		list := func(p ess.ListSiteBatteryStatesParams) []ess.ListSiteBatteryStatesRow {
			t.Helper()
			rows, err := q.ListSiteBatteryStates(ctx, p)
			gaNoErr(t, err)
			return rows
		}
		p1 := list(ess.ListSiteBatteryStatesParams{SiteID: siteA, Limit: 1})
		gaIDsEq(t, "page 1", gaIDs(p1, id), []int64{bat1})
		if len(p1) == 1 {
			if p1[0].Mode != ess.BatteryStatesModeDischarging || p1[0].SocPct != 58 {
				t.Errorf("bat1 = %+v", p1[0])
			}
			gaDecEq(t, "capacity", p1[0].CapacityWh, "10000")
			gaTimeEq(t, "updated_at", p1[0].UpdatedAt, updated)
		}
		gaIDsEq(t, "page 2", gaIDs(list(ess.ListSiteBatteryStatesParams{SiteID: siteA, AfterDeviceID: bat1, Limit: 1}), id), []int64{bat2})
		gaIDsEq(t, "page 3", gaIDs(list(ess.ListSiteBatteryStatesParams{SiteID: siteA, AfterDeviceID: bat2, Limit: 1}), id), nil)
		fault := ess.NullBatteryStatesMode{BatteryStatesMode: ess.BatteryStatesModeFault, Valid: true}
		idle := ess.NullBatteryStatesMode{BatteryStatesMode: ess.BatteryStatesModeIdle, Valid: true}
		gaIDsEq(t, "fault", gaIDs(list(ess.ListSiteBatteryStatesParams{SiteID: siteA, Mode: fault, Limit: 10}), id), []int64{bat2})
		gaIDsEq(t, "idle on site A", gaIDs(list(ess.ListSiteBatteryStatesParams{SiteID: siteA, Mode: idle, Limit: 10}), id), nil)
		gaIDsEq(t, "site B", gaIDs(list(ess.ListSiteBatteryStatesParams{SiteID: siteB, Limit: 10}), id), []int64{bat3})
	})

	t.Run("SiteStoredEnergy", func(t *testing.T) {
		s, err := q.SiteStoredEnergy(ctx, siteA)
		gaNoErr(t, err)
		if s.Batteries != 2 || s.Faulted != 1 {
			t.Errorf("got %+v", s)
		}
		gaDecEq(t, "stored_wh", s.StoredWh, "6800") // 10000*58% + 5000*20%
		s, err = q.SiteStoredEnergy(ctx, siteB)
		gaNoErr(t, err)
		if s.Batteries != 1 || s.Faulted != 0 {
			t.Errorf("site B: %+v", s)
		}
		gaDecEq(t, "site B stored_wh", s.StoredWh, "10800")
		s, err = q.SiteStoredEnergy(ctx, 999)
		gaNoErr(t, err)
		if s.Batteries != 0 || s.Faulted != 0 || !s.StoredWh.IsZero() {
			t.Errorf("unknown site: %+v", s)
		}
	})

	t.Run("UpsertDailyCycles", func(t *testing.T) {
		c := ess.UpsertDailyCyclesParams{DeviceID: bat1, Day: gaDay(2025, 6, 1), Cycles: gaDec("0.125"),
			EnergyInWh: gaDec("1250.5"), EnergyOutWh: gaDec("200"), MinSocPct: 50, MaxSocPct: 60}
		n, err := q.UpsertDailyCycles(ctx, c)
		gaNoErr(t, err)
		gaRows(t, "insert", n, 1)
		c.Cycles, c.EnergyOutWh = gaDec("0.25"), gaDec("2500")
		n, err = q.UpsertDailyCycles(ctx, c)
		gaNoErr(t, err)
		gaRows(t, "update", n, 2)
		n, err = q.UpsertDailyCycles(ctx, ess.UpsertDailyCyclesParams{DeviceID: bat1, Day: gaDay(2025, 5, 31), Cycles: gaDec("1.5"),
			EnergyInWh: gaDec("15000"), EnergyOutWh: gaDec("14000"), MinSocPct: 10, MaxSocPct: 100})
		gaNoErr(t, err)
		gaRows(t, "previous day", n, 1)
		n, err = q.UpsertDailyCycles(ctx, ess.UpsertDailyCyclesParams{DeviceID: bat3, Day: gaDay(2025, 6, 1), Cycles: gaDec("0.5"),
			EnergyInWh: gaDec("1"), EnergyOutWh: gaDec("1"), MinSocPct: 1, MaxSocPct: 2})
		gaNoErr(t, err)
		gaRows(t, "bat3", n, 1)
		_, err = q.UpsertDailyCycles(ctx, ess.UpsertDailyCyclesParams{DeviceID: 999, Day: gaDay(2025, 6, 1), Cycles: gaDec("1"),
			EnergyInWh: gaDec("1"), EnergyOutWh: gaDec("1")})
		gaErr(t, err, "cycles of a battery without state")
	})

	t.Run("ListDailyCycles", func(t *testing.T) {
		rows, err := q.ListDailyCycles(ctx, ess.ListDailyCyclesParams{DeviceID: bat1, FromDay: gaDay(2025, 5, 31), ToDay: gaDay(2025, 6, 1)})
		gaNoErr(t, err)
		if len(rows) != 2 {
			t.Fatalf("got %+v, want 2 days", rows)
		}
		gaTimeEq(t, "day 1", rows[0].Day, gaDay(2025, 5, 31))
		gaDecEq(t, "day 1 cycles", rows[0].Cycles, "1.5")
		if rows[0].MinSocPct != 10 || rows[0].MaxSocPct != 100 {
			t.Errorf("day 1 = %+v", rows[0])
		}
		gaTimeEq(t, "day 2", rows[1].Day, gaDay(2025, 6, 1))
		gaDecEq(t, "day 2 cycles (updated)", rows[1].Cycles, "0.25")
		gaDecEq(t, "day 2 energy_in_wh", rows[1].EnergyInWh, "1250.5")
		gaDecEq(t, "day 2 energy_out_wh", rows[1].EnergyOutWh, "2500")
		rows, err = q.ListDailyCycles(ctx, ess.ListDailyCyclesParams{DeviceID: bat1, FromDay: gaDay(2025, 6, 1), ToDay: gaDay(2025, 6, 1)})
		gaNoErr(t, err)
		if len(rows) != 1 || !rows[0].Day.Equal(gaDay(2025, 6, 1)) {
			t.Errorf("single day: %+v", rows)
		}
		rows, err = q.ListDailyCycles(ctx, ess.ListDailyCyclesParams{DeviceID: bat1, FromDay: gaDay(2025, 6, 2), ToDay: gaDay(2025, 6, 30)})
		gaNoErr(t, err)
		if len(rows) != 0 {
			t.Errorf("later days: %+v", rows)
		}
	})
}
