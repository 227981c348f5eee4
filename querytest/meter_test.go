package querytest_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/solarhub/hubdb/gen/meter"
	"github.com/solarhub/hubdb/hubtest"
)

func TestMeterQueries(t *testing.T) {
	ctx := context.Background()
	db := hubtest.New(t, "meter").DB("meter")
	q := meter.New(db)
	const (
		siteA, siteB  = 100, 200
		grid, pvMeter = 21, 22 // site A
		load          = 23     // site B
	)
	old := time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)

	profile := func(dev, site int64, pos meter.MeterProfilesPosition, phases int8, ct, cfg string) meter.UpsertMeterProfileParams {
		return meter.UpsertMeterProfileParams{DeviceID: dev, SiteID: site, Position: pos, Phases: phases, CtRatio: gaDec(ct), Config: json.RawMessage(cfg)}
	}
	t.Run("UpsertMeterProfile", func(t *testing.T) {
		up := func(p meter.UpsertMeterProfileParams) int64 {
			n, err := q.UpsertMeterProfile(ctx, p)
			gaNoErr(t, err)
			return n
		}
		gaRows(t, "grid", up(profile(grid, siteA, meter.MeterProfilesPositionGrid, 3, "1", `{"modbus_id":1}`)), 1)
		gaRows(t, "pv", up(profile(pvMeter, siteA, meter.MeterProfilesPositionPv, 1, "50", `{"modbus_id":2}`)), 1)
		gaRows(t, "load", up(profile(load, siteB, meter.MeterProfilesPositionLoad, 3, "1", `{}`)), 1)
		gaRows(t, "grid unchanged", up(profile(grid, siteA, meter.MeterProfilesPositionGrid, 3, "1.00", `{"modbus_id":1}`)), 0)
		gaRows(t, "grid new ct ratio", up(profile(grid, siteA, meter.MeterProfilesPositionGrid, 3, "2.5", `{"modbus_id":1,"baud":9600}`)), 2)
	})

	t.Run("GetMeterProfile", func(t *testing.T) {
		p, err := q.GetMeterProfile(ctx, grid)
		gaNoErr(t, err)
		if p.DeviceID != grid || p.SiteID != siteA || p.Position != meter.MeterProfilesPositionGrid || p.Phases != 3 {
			t.Errorf("got %+v", p)
		}
		gaDecEq(t, "ct_ratio", p.CtRatio, "2.5")
		gaJSONEq(t, "config", p.Config, `{"modbus_id":1,"baud":9600}`)
		gaRecent(t, "updated_at", p.UpdatedAt)
		_, err = q.GetMeterProfile(ctx, 999)
		gaNoRows(t, err)
	})

	t.Run("ListSiteMeterProfiles", func(t *testing.T) {
		id := func(r meter.ListSiteMeterProfilesRow) int64 { return r.DeviceID }
		list := func(site int64, pos meter.NullMeterProfilesPosition) []meter.ListSiteMeterProfilesRow {
			t.Helper()
			rows, err := q.ListSiteMeterProfiles(ctx, meter.ListSiteMeterProfilesParams{SiteID: site, Position: pos})
			gaNoErr(t, err)
			return rows
		}
		all := list(siteA, meter.NullMeterProfilesPosition{})
		gaIDsEq(t, "site A", gaIDs(all, id), []int64{grid, pvMeter})
		if len(all) == 2 {
			if all[1].Position != meter.MeterProfilesPositionPv || all[1].Phases != 1 {
				t.Errorf("pv = %+v", all[1])
			}
			gaDecEq(t, "pv ct_ratio", all[1].CtRatio, "50")
		}
		pos := func(p meter.MeterProfilesPosition) meter.NullMeterProfilesPosition {
			return meter.NullMeterProfilesPosition{MeterProfilesPosition: p, Valid: true}
		}
		gaIDsEq(t, "site A pv", gaIDs(list(siteA, pos(meter.MeterProfilesPositionPv)), id), []int64{pvMeter})
		gaIDsEq(t, "site A load", gaIDs(list(siteA, pos(meter.MeterProfilesPositionLoad)), id), nil)
		gaIDsEq(t, "site B", gaIDs(list(siteB, meter.NullMeterProfilesPosition{}), id), []int64{load})
	})

	volts := func(v float64) sql.NullFloat64 { return sql.NullFloat64{Float64: v, Valid: true} }
	reading := func(dev int64, ts time.Time, imp, exp, pw string, v sql.NullFloat64) meter.InsertMeterReadingParams {
		return meter.InsertMeterReadingParams{DeviceID: dev, Ts: ts, ImportEnergyWh: gaDec(imp), ExportEnergyWh: gaDec(exp), PowerW: gaDec(pw), VoltageV: v}
	}
	t.Run("InsertMeterReading", func(t *testing.T) {
		for _, r := range []meter.InsertMeterReadingParams{
			reading(grid, gaAt(10, 0), "1000", "500", "800", volts(230.1)),
			reading(grid, gaAt(10, 15), "1200", "500", "400", sql.NullFloat64{}),
			reading(grid, gaAt(10, 30), "1300", "600", "-400", volts(231)),
			reading(grid, gaAt(10, 45), "1300", "900.25", "-1200", volts(232)),
			reading(pvMeter, gaAt(10, 5), "0", "7000", "-3000", volts(229)),
			reading(grid, old, "10", "5", "0", sql.NullFloat64{}),
			reading(pvMeter, old, "0", "6000", "0", sql.NullFloat64{}),
		} {
			gaNoErr(t, q.InsertMeterReading(ctx, r))
		}
		gaErr(t, q.InsertMeterReading(ctx, reading(grid, gaAt(10, 0), "1", "1", "1", sql.NullFloat64{})), "duplicate (device_id, ts)")
	})

	t.Run("ListLatestMeterReadings", func(t *testing.T) {
		rows, err := q.ListLatestMeterReadings(ctx, []int64{pvMeter, grid, 999})
		gaNoErr(t, err)
		if len(rows) != 2 {
			t.Fatalf("got %+v, want 2 rows", rows)
		}
		if rows[0].DeviceID != grid || rows[1].DeviceID != pvMeter {
			t.Errorf("order: %d, %d", rows[0].DeviceID, rows[1].DeviceID)
		}
		gaTimeEq(t, "grid ts", rows[0].Ts, gaAt(10, 45))
		gaDecEq(t, "grid import", rows[0].ImportEnergyWh, "1300")
		gaDecEq(t, "grid export", rows[0].ExportEnergyWh, "900.25")
		gaDecEq(t, "grid power", rows[0].PowerW, "-1200")
		gaTimeEq(t, "pv ts", rows[1].Ts, gaAt(10, 5))
		gaDecEq(t, "pv export", rows[1].ExportEnergyWh, "7000")
		rows, err = q.ListLatestMeterReadings(ctx, []int64{})
		gaNoErr(t, err)
		if len(rows) != 0 {
			t.Errorf("empty slice: %d rows", len(rows))
		}
	})

	t.Run("ListMeterReadings", func(t *testing.T) {
		p1, err := q.ListMeterReadings(ctx, meter.ListMeterReadingsParams{DeviceID: grid, AfterTs: gaAt(10, 0), ToTs: gaAt(11, 0), Limit: 2})
		gaNoErr(t, err)
		if len(p1) != 2 {
			t.Fatalf("page 1: %+v", p1)
		}
		gaTimeEq(t, "page 1 row 1", p1[0].Ts, gaAt(10, 15))
		gaTimeEq(t, "page 1 row 2", p1[1].Ts, gaAt(10, 30))
		if p1[0].VoltageV.Valid || p1[1].VoltageV != volts(231) {
			t.Errorf("voltage NULL/value: %v, %v", p1[0].VoltageV, p1[1].VoltageV)
		}
		gaDecEq(t, "import", p1[0].ImportEnergyWh, "1200")
		gaDecEq(t, "export", p1[1].ExportEnergyWh, "600")
		gaDecEq(t, "power", p1[1].PowerW, "-400")
		p2, err := q.ListMeterReadings(ctx, meter.ListMeterReadingsParams{DeviceID: grid, AfterTs: p1[1].Ts, ToTs: gaAt(11, 0), Limit: 2})
		gaNoErr(t, err)
		if len(p2) != 1 || !p2[0].Ts.Equal(gaAt(10, 45)) {
			t.Errorf("page 2: %+v", p2)
		}
		p3, err := q.ListMeterReadings(ctx, meter.ListMeterReadingsParams{DeviceID: grid, AfterTs: gaAt(10, 45), ToTs: gaAt(11, 0), Limit: 2})
		gaNoErr(t, err)
		if len(p3) != 0 {
			t.Errorf("page 3: %+v", p3)
		}
	})

	t.Run("MeterEnergyBetween", func(t *testing.T) {
		r, err := q.MeterEnergyBetween(ctx, meter.MeterEnergyBetweenParams{DeviceID: grid, FromTs: gaAt(10, 0), ToTs: gaAt(11, 0)})
		gaNoErr(t, err)
		if r.Samples != 4 {
			t.Errorf("samples = %d", r.Samples)
		}
		gaDecEq(t, "import", r.ImportWh, "300")
		gaDecEq(t, "export", r.ExportWh, "400.25")
		gaDecEq(t, "peak import", r.PeakImportW, "800")
		r, err = q.MeterEnergyBetween(ctx, meter.MeterEnergyBetweenParams{DeviceID: grid, FromTs: gaAt(10, 15), ToTs: gaAt(10, 45)})
		gaNoErr(t, err)
		if r.Samples != 2 {
			t.Errorf("10:15-10:45 samples = %d", r.Samples)
		}
		gaDecEq(t, "10:15-10:45 import", r.ImportWh, "100")
		gaDecEq(t, "10:15-10:45 export", r.ExportWh, "100")
		gaDecEq(t, "10:15-10:45 peak", r.PeakImportW, "400")
		r, err = q.MeterEnergyBetween(ctx, meter.MeterEnergyBetweenParams{DeviceID: load, FromTs: gaAt(0, 0), ToTs: gaAt(23, 0)})
		gaNoErr(t, err)
		if r.Samples != 0 || !r.ImportWh.IsZero() || !r.ExportWh.IsZero() || !r.PeakImportW.IsZero() {
			t.Errorf("no samples: %+v", r)
		}
	})

	t.Run("DeleteMeterReadingsBefore", func(t *testing.T) {
		for i, want := range []int64{1, 1, 0} {
			n, err := q.DeleteMeterReadingsBefore(ctx, meter.DeleteMeterReadingsBeforeParams{BeforeTs: gaDay(2025, 6, 1), Limit: 1})
			gaNoErr(t, err)
			gaRows(t, "batch "+string(rune('1'+i)), n, want)
		}
		r, err := q.MeterEnergyBetween(ctx, meter.MeterEnergyBetweenParams{DeviceID: grid, FromTs: gaDay(2025, 1, 1), ToTs: gaDay(2026, 1, 1)})
		gaNoErr(t, err)
		if r.Samples != 4 {
			t.Errorf("grid samples after delete = %d, want 4", r.Samples)
		}
	})

	readAt := gaAt(10, 0, 1)
	t.Run("UpsertMeterRegister", func(t *testing.T) {
		up := func(code, value, unit string, at time.Time) int64 {
			n, err := q.UpsertMeterRegister(ctx, meter.UpsertMeterRegisterParams{DeviceID: grid, ObisCode: code, Value: gaDec(value), Unit: unit, ReadAt: at})
			gaNoErr(t, err)
			return n
		}
		gaRows(t, "insert 1.8.0", up("1-0:1.8.0", "1234.5678", "kWh", readAt), 1)
		gaRows(t, "newer 1.8.0", up("1-0:1.8.0", "1240", "kWh", readAt.Add(time.Minute)), 2)
		gaRows(t, "stale 1.8.0", up("1-0:1.8.0", "1", "Wh", readAt), 0)
		gaRows(t, "insert 2.8.0", up("1-0:2.8.0", "99.5", "kWh", readAt), 1)
		_, err := q.UpsertMeterRegister(ctx, meter.UpsertMeterRegisterParams{DeviceID: 999, ObisCode: "1-0:1.8.0", Value: gaDec("1"), Unit: "kWh", ReadAt: readAt})
		gaErr(t, err, "register of a meter without profile")
	})

	t.Run("ListMeterRegisters", func(t *testing.T) {
		rows, err := q.ListMeterRegisters(ctx, meter.ListMeterRegistersParams{DeviceID: grid, ObisCodes: []string{"1-0:2.8.0", "1-0:1.8.0", "1-0:9.9.9"}})
		gaNoErr(t, err)
		if len(rows) != 2 {
			t.Fatalf("got %+v, want 2 rows", rows)
		}
		if rows[0].ObisCode != "1-0:1.8.0" || rows[0].Unit != "kWh" || rows[1].ObisCode != "1-0:2.8.0" {
			t.Errorf("got %+v", rows)
		}
		gaDecEq(t, "1.8.0 value (stale write ignored)", rows[0].Value, "1240")
		gaTimeEq(t, "1.8.0 read_at", rows[0].ReadAt, readAt.Add(time.Minute))
		gaDecEq(t, "2.8.0 value", rows[1].Value, "99.5")
		rows, err = q.ListMeterRegisters(ctx, meter.ListMeterRegistersParams{DeviceID: grid, ObisCodes: []string{"1-0:2.8.0"}})
		gaNoErr(t, err)
		if len(rows) != 1 || rows[0].ObisCode != "1-0:2.8.0" {
			t.Errorf("one code: %+v", rows)
		}
		rows, err = q.ListMeterRegisters(ctx, meter.ListMeterRegistersParams{DeviceID: pvMeter, ObisCodes: []string{"1-0:1.8.0"}})
		gaNoErr(t, err)
		if len(rows) != 0 {
			t.Errorf("other meter: %+v", rows)
		}
		rows, err = q.ListMeterRegisters(ctx, meter.ListMeterRegistersParams{DeviceID: grid, ObisCodes: nil})
		gaNoErr(t, err)
		if len(rows) != 0 {
			t.Errorf("no codes: %+v", rows)
		}
	})
}
