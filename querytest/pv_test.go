package querytest_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/solarhub/hubdb/gen/pv"
	"github.com/solarhub/hubdb/hubtest"
)

func TestPVQueries(t *testing.T) {
	ctx := context.Background()
	db := hubtest.New(t, "pv").DB("pv")
	q := pv.New(db)
	const (
		siteA, siteB = 100, 200
		inv1, inv2   = 1, 2 // site A
		inv3         = 3    // site B
	)
	old := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)

	reading := func(dev, site int64, ts time.Time, acW, energyWh string) pv.InsertInverterReadingParams {
		return pv.InsertInverterReadingParams{
			DeviceID: dev, Ts: ts, SiteID: site, AcPowerW: gaDec(acW), DcPowerW: gaDec(acW).Add(gaDec("100")),
			EnergyWh: gaDec(energyWh), AcVoltageV: 230.5, DcVoltageV: 610, TemperatureC: sql.NullFloat64{Float64: 40.5, Valid: true},
		}
	}

	t.Run("InsertInverterReading", func(t *testing.T) {
		seed := []pv.InsertInverterReadingParams{
			reading(inv1, siteA, gaAt(10, 0), "1000", "10000"),
			reading(inv1, siteA, gaAt(10, 15), "2000", "10250"),
			reading(inv1, siteA, gaAt(10, 30), "3000", "10750"),
			reading(inv1, siteA, gaAt(10, 45), "4000", "11500"),
			reading(inv1, siteA, gaAt(11, 0), "5000", "12500"),
			reading(inv1, siteA, gaAt(11, 15, 250), "6000", "13750.125"),
			reading(inv2, siteA, gaAt(10, 0), "500", "5000"),
			reading(inv2, siteA, gaAt(10, 30), "1500", "5300"),
			reading(inv2, siteA, gaAt(11, 0), "2500", "5900"),
			reading(inv3, siteB, gaAt(10, 0), "7000", "1"),
			reading(inv1, siteA, old, "100", "900"),
			reading(inv1, siteA, old.Add(15*time.Minute), "100", "925"),
			reading(inv2, siteA, old, "100", "400"),
		}
		seed[1].TemperatureC = sql.NullFloat64{}
		for _, r := range seed {
			n, err := q.InsertInverterReading(ctx, r)
			gaNoErr(t, err)
			gaRows(t, "insert "+r.Ts.String(), n, 1)
		}
		dup := reading(inv1, siteA, gaAt(10, 0), "9999", "1")
		n, err := q.InsertInverterReading(ctx, dup)
		gaNoErr(t, err)
		gaRows(t, "redelivered sample", n, 0)
		var ac string
		gaNoErr(t, db.QueryRowContext(ctx, "SELECT ac_power_w FROM inverter_readings WHERE device_id = ? AND ts = ?", inv1, gaAt(10, 0)).Scan(&ac))
		if ac != "1000.0" {
			t.Errorf("redelivery overwrote the sample: ac_power_w = %s", ac)
		}
	})

	t.Run("GetLatestInverterReading", func(t *testing.T) {
		r, err := q.GetLatestInverterReading(ctx, inv1)
		gaNoErr(t, err)
		gaTimeEq(t, "ts", r.Ts, gaAt(11, 15, 250))
		if r.DeviceID != inv1 || r.SiteID != siteA || r.AcVoltageV != 230.5 || r.DcVoltageV != 610 ||
			r.TemperatureC != (sql.NullFloat64{Float64: 40.5, Valid: true}) {
			t.Errorf("got %+v", r)
		}
		gaDecEq(t, "ac_power_w", r.AcPowerW, "6000")
		gaDecEq(t, "dc_power_w", r.DcPowerW, "6100")
		gaDecEq(t, "energy_wh", r.EnergyWh, "13750.125")
		_, err = q.GetLatestInverterReading(ctx, 999)
		gaNoRows(t, err)
	})

	t.Run("ListLatestInverterReadings", func(t *testing.T) {
		rows, err := q.ListLatestInverterReadings(ctx, []int64{inv3, inv1, inv2, 999})
		gaNoErr(t, err)
		if len(rows) != 3 {
			t.Fatalf("got %d rows, want 3: %+v", len(rows), rows)
		}
		want := []struct {
			dev    int64
			ts     time.Time
			ac, wh string
		}{
			{inv1, gaAt(11, 15, 250), "6000", "13750.125"},
			{inv2, gaAt(11, 0), "2500", "5900"},
			{inv3, gaAt(10, 0), "7000", "1"},
		}
		for i, w := range want {
			if rows[i].DeviceID != w.dev {
				t.Errorf("row %d device = %d, want %d", i, rows[i].DeviceID, w.dev)
			}
			gaTimeEq(t, "ts", rows[i].Ts, w.ts)
			gaDecEq(t, "ac_power_w", rows[i].AcPowerW, w.ac)
			gaDecEq(t, "energy_wh", rows[i].EnergyWh, w.wh)
		}
		rows, err = q.ListLatestInverterReadings(ctx, []int64{inv2})
		gaNoErr(t, err)
		if len(rows) != 1 || rows[0].DeviceID != inv2 {
			t.Errorf("one device: %+v", rows)
		}
		rows, err = q.ListLatestInverterReadings(ctx, nil)
		gaNoErr(t, err)
		if len(rows) != 0 {
			t.Errorf("empty slice: %d rows", len(rows))
		}
	})

	t.Run("ListInverterReadings", func(t *testing.T) {
		tsOf := func(rows []pv.ListInverterReadingsRow) []time.Time {
			out := []time.Time{}
			for _, r := range rows {
				out = append(out, r.Ts)
			}
			return out
		}
		eqTimes := func(what string, got, want []time.Time) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: got %v, want %v", what, got, want)
				return
			}
			for i := range want {
				if !got[i].Equal(want[i]) {
					t.Errorf("%s: got %v, want %v", what, got, want)
					return
				}
			}
		}
		p1, err := q.ListInverterReadings(ctx, pv.ListInverterReadingsParams{DeviceID: inv1, AfterTs: gaAt(10, 0).Add(-time.Microsecond), ToTs: gaAt(11, 0), Limit: 3})
		gaNoErr(t, err)
		eqTimes("page 1", tsOf(p1), []time.Time{gaAt(10, 0), gaAt(10, 15), gaAt(10, 30)})
		if len(p1) == 3 {
			gaDecEq(t, "ac_power_w", p1[2].AcPowerW, "3000")
			gaDecEq(t, "dc_power_w", p1[2].DcPowerW, "3100")
			gaDecEq(t, "energy_wh", p1[2].EnergyWh, "10750")
			if p1[1].TemperatureC.Valid || !p1[0].TemperatureC.Valid {
				t.Errorf("temperature NULL/value mixed up: %v %v", p1[0].TemperatureC, p1[1].TemperatureC)
			}
		}
		p2, err := q.ListInverterReadings(ctx, pv.ListInverterReadingsParams{DeviceID: inv1, AfterTs: gaAt(10, 30), ToTs: gaAt(11, 0), Limit: 3})
		gaNoErr(t, err)
		eqTimes("page 2 (to_ts exclusive)", tsOf(p2), []time.Time{gaAt(10, 45)})
		p3, err := q.ListInverterReadings(ctx, pv.ListInverterReadingsParams{DeviceID: inv1, AfterTs: gaAt(10, 0), ToTs: gaAt(10, 30), Limit: 3})
		gaNoErr(t, err)
		eqTimes("after_ts exclusive", tsOf(p3), []time.Time{gaAt(10, 15)})
		p4, err := q.ListInverterReadings(ctx, pv.ListInverterReadingsParams{DeviceID: inv2, AfterTs: gaAt(0, 0), ToTs: gaAt(23, 0), Limit: 10})
		gaNoErr(t, err)
		eqTimes("other device", tsOf(p4), []time.Time{gaAt(10, 0), gaAt(10, 30), gaAt(11, 0)})
	})

	t.Run("InverterEnergyBetween", func(t *testing.T) {
		check := func(what string, from, to time.Time, samples int64, wh, peak, mean string) {
			t.Helper()
			r, err := q.InverterEnergyBetween(ctx, pv.InverterEnergyBetweenParams{DeviceID: inv1, FromTs: from, ToTs: to})
			gaNoErr(t, err)
			if r.Samples != samples {
				t.Errorf("%s: samples = %d, want %d", what, r.Samples, samples)
			}
			gaDecEq(t, what+" energy", r.EnergyWh, wh)
			gaDecEq(t, what+" peak", r.PeakPowerW, peak)
			gaDecEq(t, what+" mean", r.MeanPowerW, mean)
		}
		check("first hour", gaAt(10, 0), gaAt(11, 0), 4, "1500", "4000", "2500")
		check("morning", gaAt(10, 0), gaAt(12, 0), 6, "3750.125", "6000", "3500")
		check("no samples", gaAt(12, 0), gaAt(13, 0), 0, "0", "0", "0")
	})

	t.Run("SiteHourlyACPower", func(t *testing.T) {
		rows, err := q.SiteHourlyACPower(ctx, pv.SiteHourlyACPowerParams{SiteID: siteA, FromTs: gaAt(10, 0), ToTs: gaAt(12, 0)})
		gaNoErr(t, err)
		if len(rows) != 2 {
			t.Fatalf("got %+v, want 2 hours", rows)
		}
		// 10:00: inv1 mean(1000..4000)=2500 + inv2 mean(500,1500)=1000; 11:00: inv1 5500 + inv2 2500.
		gaTimeEq(t, "hour 1", rows[0].Hour, gaAt(10, 0))
		gaDecEq(t, "hour 1 power", rows[0].AcPowerW, "3500")
		gaTimeEq(t, "hour 2", rows[1].Hour, gaAt(11, 0))
		gaDecEq(t, "hour 2 power", rows[1].AcPowerW, "8000")

		rows, err = q.SiteHourlyACPower(ctx, pv.SiteHourlyACPowerParams{SiteID: siteA, FromTs: gaAt(10, 30), ToTs: gaAt(11, 0)})
		gaNoErr(t, err)
		if len(rows) != 1 {
			t.Fatalf("half hour: got %+v", rows)
		}
		gaDecEq(t, "10:30-11:00 power", rows[0].AcPowerW, "5000") // inv1 mean(3000,4000) + inv2 1500
		rows, err = q.SiteHourlyACPower(ctx, pv.SiteHourlyACPowerParams{SiteID: siteB, FromTs: gaAt(0, 0), ToTs: gaAt(23, 0)})
		gaNoErr(t, err)
		if len(rows) != 1 || !rows[0].AcPowerW.Equal(gaDec("7000")) {
			t.Errorf("site B: %+v", rows)
		}
	})

	may31, jun1 := gaDay(2025, 5, 31), gaDay(2025, 6, 1)
	t.Run("UpsertDailyYield", func(t *testing.T) {
		y := pv.UpsertDailyYieldParams{DeviceID: inv1, Day: may31, SiteID: siteA, EnergyWh: gaDec("20000.5"), PeakPowerW: gaDec("5000.5"), Samples: 40}
		n, err := q.UpsertDailyYield(ctx, y)
		gaNoErr(t, err)
		gaRows(t, "insert", n, 1)
		y.EnergyWh, y.Samples = gaDec("21000"), 41
		n, err = q.UpsertDailyYield(ctx, y)
		gaNoErr(t, err)
		gaRows(t, "update", n, 2)
		n, err = q.UpsertDailyYield(ctx, pv.UpsertDailyYieldParams{DeviceID: inv2, Day: may31, SiteID: siteA, EnergyWh: gaDec("8000"), PeakPowerW: gaDec("2000"), Samples: 40})
		gaNoErr(t, err)
		gaRows(t, "insert inv2", n, 1)
		var wh string
		var samples int
		gaNoErr(t, db.QueryRowContext(ctx, "SELECT energy_wh, samples FROM daily_yields WHERE device_id = ? AND day = '2025-05-31'", inv1).Scan(&wh, &samples))
		if wh != "21000.000" || samples != 41 {
			t.Errorf("stored %s, %d", wh, samples)
		}
	})

	t.Run("RollupDailyYields", func(t *testing.T) {
		p := pv.RollupDailyYieldsParams{Day: jun1, SiteID: siteA, FromTs: jun1, ToTs: jun1.AddDate(0, 0, 1)}
		n, err := q.RollupDailyYields(ctx, p)
		gaNoErr(t, err)
		gaRows(t, "two new days", n, 2)
		n, err = q.RollupDailyYields(ctx, p)
		gaNoErr(t, err)
		gaRows(t, "rerun unchanged", n, 0)
		late := reading(inv2, siteA, gaAt(12, 0), "3000", "6400")
		_, err = q.InsertInverterReading(ctx, late)
		gaNoErr(t, err)
		n, err = q.RollupDailyYields(ctx, p)
		gaNoErr(t, err)
		gaRows(t, "rerun after a late sample (one update)", n, 2)

		type yield struct {
			wh, peak string
			samples  int
		}
		read := func(dev int64) yield {
			var y yield
			gaNoErr(t, db.QueryRowContext(ctx, "SELECT energy_wh, peak_power_w, samples FROM daily_yields WHERE device_id = ? AND day = '2025-06-01'", dev).Scan(&y.wh, &y.peak, &y.samples))
			return y
		}
		if got, want := read(inv1), (yield{"3750.125", "6000.0", 6}); got != want {
			t.Errorf("inv1 = %+v, want %+v", got, want)
		}
		if got, want := read(inv2), (yield{"1400.000", "3000.0", 4}); got != want {
			t.Errorf("inv2 = %+v, want %+v", got, want)
		}
		var others int
		gaNoErr(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM daily_yields WHERE device_id = ?", inv3).Scan(&others))
		if others != 0 {
			t.Errorf("rollup of site A wrote %d rows of site B's inverter", others)
		}
	})

	t.Run("ListSiteDailyYields", func(t *testing.T) {
		rows, err := q.ListSiteDailyYields(ctx, pv.ListSiteDailyYieldsParams{SiteID: siteA, FromDay: may31, ToDay: jun1})
		gaNoErr(t, err)
		if len(rows) != 2 {
			t.Fatalf("got %+v, want 2 days", rows)
		}
		gaTimeEq(t, "day 1", rows[0].Day, may31)
		gaDecEq(t, "day 1 energy", rows[0].EnergyWh, "29000") // 21000 + 8000
		gaTimeEq(t, "day 2", rows[1].Day, jun1)
		gaDecEq(t, "day 2 energy", rows[1].EnergyWh, "5150.125") // 3750.125 + 1400
		if rows[0].Inverters != 2 || rows[1].Inverters != 2 {
			t.Errorf("inverters = %d, %d", rows[0].Inverters, rows[1].Inverters)
		}
		rows, err = q.ListSiteDailyYields(ctx, pv.ListSiteDailyYieldsParams{SiteID: siteA, FromDay: jun1, ToDay: gaDay(2025, 6, 30)})
		gaNoErr(t, err)
		if len(rows) != 1 || !rows[0].Day.Equal(jun1) {
			t.Errorf("from jun 1: %+v", rows)
		}
		rows, err = q.ListSiteDailyYields(ctx, pv.ListSiteDailyYieldsParams{SiteID: siteB, FromDay: may31, ToDay: jun1})
		gaNoErr(t, err)
		if len(rows) != 0 {
			t.Errorf("site B: %+v", rows)
		}
	})

	t.Run("DeleteInverterReadingsBefore", func(t *testing.T) {
		for i, want := range []int64{2, 1, 0} {
			n, err := q.DeleteInverterReadingsBefore(ctx, pv.DeleteInverterReadingsBeforeParams{BeforeTs: jun1, Limit: 2})
			gaNoErr(t, err)
			gaRows(t, "batch "+string(rune('1'+i)), n, want)
		}
		r, err := q.InverterEnergyBetween(ctx, pv.InverterEnergyBetweenParams{DeviceID: inv1, FromTs: gaDay(2025, 1, 1), ToTs: gaDay(2026, 1, 1)})
		gaNoErr(t, err)
		if r.Samples != 6 {
			t.Errorf("inv1 samples after delete = %d, want 6 (only May's removed)", r.Samples)
		}
	})
}
