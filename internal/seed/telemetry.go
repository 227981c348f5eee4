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

// inChunks calls insert with the rows [lo, hi) of n, per rows at a time:
// each call is one generated batch method call (which itself sends at most
// BatchRows rows per statement).
func inChunks(n, per int, insert func(lo, hi int) error) error {
	for lo := 0; lo < n; lo += per {
		if err := insert(lo, min(lo+per, n)); err != nil {
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
	rows := make([]pv.InsertInverterReadingParams, 0, min(per, total))
	return inChunks(total, per, func(lo, hi int) error {
		rows = rows[:0]
		for i := lo; i < hi; i++ {
			rows = append(rows, param(i))
		}
		_, err := q.InsertInverterReadingBatch(ctx, rows)
		return err
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
	rows := make([]ess.InsertBatteryReadingParams, 0, min(per, total))
	return inChunks(total, per, func(lo, hi int) error {
		rows = rows[:0]
		for i := lo; i < hi; i++ {
			rows = append(rows, param(i))
		}
		_, err := q.InsertBatteryReadingBatch(ctx, rows)
		return err
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
	rows := make([]meter.InsertMeterReadingParams, 0, min(per, total))
	return inChunks(total, per, func(lo, hi int) error {
		rows = rows[:0]
		for i := lo; i < hi; i++ {
			rows = append(rows, param(i))
		}
		_, err := q.InsertMeterReadingBatch(ctx, rows)
		return err
	})
}

// dayEnd returns the end of cfg.Day, exclusive.
func (cfg Config) dayEnd() time.Time { return cfg.Day.Add(24 * time.Hour) }
