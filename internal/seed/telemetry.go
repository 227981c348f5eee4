package seed

import (
	"context"
	"database/sql"
	"time"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/gen/meter"
	"github.com/solarhub/hubdb/gen/pv"
)

// insertRows writes total rows, param(i) the i-th: one by one with the
// generated single-row query when per is 1, else per rows to a call of
// the generated batch method (which sends at most BatchRows rows per
// statement).
func insertRows[P any](ctx context.Context, total, per int, param func(int) P,
	one func(context.Context, P) error, batch func(context.Context, []P) (int64, error),
) error {
	if per == 1 {
		for i := range total {
			if err := one(ctx, param(i)); err != nil {
				return err
			}
		}
		return nil
	}
	rows := make([]P, 0, min(per, total))
	for lo := 0; lo < total; lo += per {
		rows = rows[:0]
		for i := lo; i < min(lo+per, total); i++ {
			rows = append(rows, param(i))
		}
		if _, err := batch(ctx, rows); err != nil {
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
	one := func(ctx context.Context, p pv.InsertInverterReadingParams) error {
		_, err := q.InsertInverterReading(ctx, p)
		return err
	}
	return insertRows(ctx, len(ids)*n, per, param, one, q.InsertInverterReadingBatch)
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
	return insertRows(ctx, len(ids)*n, per, param, q.InsertBatteryReading, q.InsertBatteryReadingBatch)
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
	return insertRows(ctx, len(ids)*n, per, param, q.InsertMeterReading, q.InsertMeterReadingBatch)
}

// dayEnd returns the end of cfg.Day, exclusive.
func (cfg Config) dayEnd() time.Time { return cfg.Day.Add(24 * time.Hour) }
