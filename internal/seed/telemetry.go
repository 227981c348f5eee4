package seed

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/gen/meter"
	"github.com/solarhub/hubdb/gen/pv"
)

// The multi-row forms of pv.InsertInverterReading, ess.InsertBatteryReading
// and meter.InsertMeterReading: the same tables, columns and conflict
// handling, VALUES repeated.
const (
	insertInverterRows = "INSERT IGNORE INTO inverter_readings (device_id, ts, site_id, ac_power_w, dc_power_w, energy_wh, ac_voltage_v, dc_voltage_v, temperature_c) VALUES "
	insertBatteryRows  = "INSERT INTO battery_readings (device_id, ts, site_id, soc_pct, power_w, temperature_c, energy_in_wh, energy_out_wh) VALUES "
	insertMeterRows    = "INSERT INTO meter_readings (device_id, ts, import_energy_wh, export_energy_wh, power_w, voltage_v) VALUES "
)

// batchInsert inserts n rows with head (an INSERT ... VALUES prefix of cols
// columns), per rows a statement; args appends row i's values to dst.
func batchInsert(ctx context.Context, db dbx.DBTX, head string, cols, n, per int, args func(i int, dst []any) []any) error {
	tuple := "(" + strings.Repeat("?,", cols-1) + "?)"
	buf := make([]any, 0, per*cols)
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		var b strings.Builder
		b.Grow(len(head) + (hi-lo)*(len(tuple)+1))
		b.WriteString(head)
		buf = buf[:0]
		for i := lo; i < hi; i++ {
			if i > lo {
				b.WriteByte(',')
			}
			b.WriteString(tuple)
			buf = args(i, buf)
		}
		if _, err := db.ExecContext(ctx, b.String(), buf...); err != nil {
			return err
		}
	}
	return nil
}

func dw(v int64) decimal.Decimal  { return decimal.New(v, -1) } // deciwatts to W
func mwh(v int64) decimal.Decimal { return decimal.New(v, -3) } // mWh to Wh

// inverterRows writes the inverters' samples; ids are the inverters'
// device ids.
func inverterRows(ctx context.Context, q pvQ, per int, siteID int64, ids []int64, s *siteSeries) error {
	n := len(s.ts)
	param := func(i int) pv.InsertInverterReadingParams {
		d, k := i/n, i%n
		x := s.inv[d][k]
		return pv.InsertInverterReadingParams{
			DeviceID: ids[d], Ts: s.ts[k], SiteID: siteID, AcPowerW: dw(x.acDW), DcPowerW: dw(x.dcDW),
			EnergyWh: mwh(x.energyMWh), AcVoltageV: x.acV, DcVoltageV: x.dcV,
			TemperatureC: sql.NullFloat64{Float64: x.tempC, Valid: true},
		}
	}
	total := len(ids) * n
	if per == 1 {
		for i := range total {
			if _, err := q.InsertInverterReading(ctx, param(i)); err != nil {
				return err
			}
		}
		return nil
	}
	return batchInsert(ctx, q.db, insertInverterRows, 9, total, per, func(i int, dst []any) []any {
		p := param(i)
		return append(dst, p.DeviceID, p.Ts, p.SiteID, p.AcPowerW, p.DcPowerW, p.EnergyWh, p.AcVoltageV, p.DcVoltageV, p.TemperatureC)
	})
}

// batteryRows writes the batteries' samples.
func batteryRows(ctx context.Context, q essQ, per int, siteID int64, ids []int64, s *siteSeries) error {
	n := len(s.ts)
	param := func(i int) ess.InsertBatteryReadingParams {
		d, k := i/n, i%n
		x := s.bat[d][k]
		return ess.InsertBatteryReadingParams{
			DeviceID: ids[d], Ts: s.ts[k], SiteID: siteID, SocPct: x.soc, PowerW: dw(x.powerDW),
			TemperatureC: x.tempC, EnergyInWh: mwh(x.inMWh), EnergyOutWh: mwh(x.outMWh),
		}
	}
	total := len(ids) * n
	if per == 1 {
		for i := range total {
			if err := q.InsertBatteryReading(ctx, param(i)); err != nil {
				return err
			}
		}
		return nil
	}
	return batchInsert(ctx, q.db, insertBatteryRows, 8, total, per, func(i int, dst []any) []any {
		p := param(i)
		return append(dst, p.DeviceID, p.Ts, p.SiteID, p.SocPct, p.PowerW, p.TemperatureC, p.EnergyInWh, p.EnergyOutWh)
	})
}

// meterRows writes the meters' samples.
func meterRows(ctx context.Context, q meterQ, per int, ids []int64, s *siteSeries) error {
	n := len(s.ts)
	param := func(i int) meter.InsertMeterReadingParams {
		d, k := i/n, i%n
		x := s.met[d][k]
		return meter.InsertMeterReadingParams{
			DeviceID: ids[d], Ts: s.ts[k], ImportEnergyWh: mwh(x.importMWh), ExportEnergyWh: mwh(x.exportMWh),
			PowerW: dw(x.powerDW), VoltageV: sql.NullFloat64{Float64: x.voltage, Valid: true},
		}
	}
	total := len(ids) * n
	if per == 1 {
		for i := range total {
			if err := q.InsertMeterReading(ctx, param(i)); err != nil {
				return err
			}
		}
		return nil
	}
	return batchInsert(ctx, q.db, insertMeterRows, 6, total, per, func(i int, dst []any) []any {
		p := param(i)
		return append(dst, p.DeviceID, p.Ts, p.ImportEnergyWh, p.ExportEnergyWh, p.PowerW, p.VoltageV)
	})
}

// dayEnd returns the end of cfg.Day, exclusive.
func (cfg Config) dayEnd() time.Time { return cfg.Day.Add(24 * time.Hour) }
