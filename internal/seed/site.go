package seed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/solarhub/hubdb/gen/device"
	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/gen/meter"
	"github.com/solarhub/hubdb/gen/pv"
)

// siteDevices are a site's device ids by kind, in devicesOf order.
type siteDevices struct {
	all                        []int64
	inverters, batteries, mets []int64
}

func splitDevices(ids []int64) siteDevices {
	b := InvertersPerSite
	m := b + BatteriesPerSite
	return siteDevices{all: ids, inverters: ids[:b], batteries: ids[b:m], mets: ids[m : m+MetersPerSite]}
}

// site seeds one site, database by database; each step is one
// transaction that checks for its marker first.
func (r *run) site(ctx context.Context, s siteRef) error {
	step := func(name string, fn func() (created, reused Counts, err error)) error {
		c, u, err := fn()
		if err != nil {
			return fmt.Errorf("seed: site %d (%s): %s: %w", s.n, s.name, name, err)
		}
		r.tally(fmt.Sprintf("site %d: %s", s.n, name), c, u)
		return nil
	}
	var devs siteDevices
	if err := step("devices", func() (Counts, Counts, error) {
		ids, c, u, err := r.devices(ctx, s)
		devs = splitDevices(ids)
		return c, u, err
	}); err != nil {
		return err
	}
	series := seriesOf(r.cfg, s.siteSpec)
	for _, st := range []struct {
		name string
		fn   func() (Counts, Counts, error)
	}{
		{"pv telemetry", func() (Counts, Counts, error) { return r.pvTelemetry(ctx, s, devs, series) }},
		{"ess telemetry", func() (Counts, Counts, error) { return r.essTelemetry(ctx, s, devs, series) }},
		{"meter telemetry", func() (Counts, Counts, error) { return r.meterTelemetry(ctx, s, devs, series) }},
		{"schedule", func() (Counts, Counts, error) { return r.schedule(ctx, s, devs) }},
		{"tariff assignment", func() (Counts, Counts, error) { return r.assignTariffs(ctx, s) }},
		{"alarms", func() (Counts, Counts, error) { return r.alarms(ctx, s, devs) }},
		{"kpis", func() (Counts, Counts, error) { return r.kpis(ctx, s, series) }},
	} {
		if err := step(st.name, st.fn); err != nil {
			return err
		}
	}
	return nil
}

// devices finds the site's devices by serial and registers the missing
// ones; it returns their ids in devicesOf order.
func (r *run) devices(ctx context.Context, s siteRef) (ids []int64, created, reused Counts, err error) {
	specs := devicesOf(r.cfg.OrgSlug, s.siteSpec)
	err = r.h.device.Write(ctx, func(ctx context.Context, q *device.Queries) error {
		ids, created, reused = make([]int64, 0, len(specs)), Counts{}, Counts{}
		existing, err := q.ListSiteDevices(ctx, device.ListSiteDevicesParams{SiteID: s.id, Limit: 1000})
		if err != nil {
			return err
		}
		bySerial := map[string]int64{}
		for _, d := range existing {
			bySerial[d.Vendor+"/"+d.Serial] = d.ID
		}
		for _, d := range specs {
			if id, ok := bySerial[d.vendor+"/"+d.serial]; ok {
				ids = append(ids, id)
				reused.Devices++
				continue
			}
			id, err := q.RegisterDevice(ctx, device.RegisterDeviceParams{
				SiteID: s.id, Kind: d.kind, Vendor: d.vendor, Serial: d.serial, Model: d.model, Firmware: d.firmware,
			})
			if err != nil {
				return err
			}
			ids = append(ids, id)
			created.Devices++
		}
		return nil
	}, writeOpts...)
	return ids, created, reused, err
}

// pvTelemetry writes the inverters' day and rolls it up into daily yields,
// unless the first inverter already has samples that day.
func (r *run) pvTelemetry(ctx context.Context, s siteRef, d siteDevices, ser *siteSeries) (created, reused Counts, err error) {
	want := Counts{InverterReadings: len(d.inverters) * len(ser.ts), DailyYields: len(d.inverters)}
	err = r.h.pv.Write(ctx, func(ctx context.Context, q pvQ) error {
		created, reused = Counts{}, Counts{}
		have, err := q.InverterEnergyBetween(ctx, pv.InverterEnergyBetweenParams{
			DeviceID: d.inverters[0], FromTs: r.cfg.Day, ToTs: r.cfg.dayEnd(),
		})
		if err != nil {
			return err
		}
		if have.Samples > 0 {
			reused = want
			return nil
		}
		if err := inverterRows(ctx, q, r.cfg.RowsPerStatement, s.id, d.inverters, ser); err != nil {
			return err
		}
		if _, err := q.RollupDailyYields(ctx, pv.RollupDailyYieldsParams{
			Day: r.cfg.Day, SiteID: s.id, FromTs: r.cfg.Day, ToTs: r.cfg.dayEnd(),
		}); err != nil {
			return err
		}
		created = want
		return nil
	}, pvOpts...)
	return created, reused, err
}

// essTelemetry writes the batteries' states and day of samples, unless the
// first battery already has samples that day.
func (r *run) essTelemetry(ctx context.Context, s siteRef, d siteDevices, ser *siteSeries) (created, reused Counts, err error) {
	want := Counts{BatteryReadings: len(d.batteries) * len(ser.ts), BatteryStates: len(d.batteries)}
	err = r.h.ess.Write(ctx, func(ctx context.Context, q essQ) error {
		created, reused = Counts{}, Counts{}
		have, err := q.BatteryEnergyBetween(ctx, ess.BatteryEnergyBetweenParams{
			DeviceID: d.batteries[0], FromTs: r.cfg.Day, ToTs: r.cfg.dayEnd(),
		})
		if err != nil {
			return err
		}
		if have.Samples > 0 {
			reused = want
			return nil
		}
		last := len(ser.ts) - 1
		for j, id := range d.batteries {
			x := ser.bat[j][last]
			mode := ess.BatteryStatesModeIdle
			switch {
			case x.powerDW < 0:
				mode = ess.BatteryStatesModeCharging
			case x.powerDW > 0:
				mode = ess.BatteryStatesModeDischarging
			}
			if _, err := q.UpsertBatteryState(ctx, ess.UpsertBatteryStateParams{
				DeviceID: id, SiteID: s.id, Mode: mode, SocPct: x.soc, SohPct: ser.batSoH[j],
				CapacityWh: dw(ser.batCapWh[j] * 10), FaultCodes: []byte("[]"), UpdatedAt: ser.ts[last],
			}); err != nil {
				return err
			}
		}
		if err := batteryRows(ctx, q, r.cfg.RowsPerStatement, s.id, d.batteries, ser); err != nil {
			return err
		}
		created = want
		return nil
	}, writeOpts...)
	return created, reused, err
}

// meterPositions are the meters' positions in device order.
var meterPositions = [MetersPerSite]meter.MeterProfilesPosition{
	meterGrid: meter.MeterProfilesPositionGrid, meterPV: meter.MeterProfilesPositionPv, meterLoad: meter.MeterProfilesPositionLoad,
}

// meterTelemetry writes the meters' profiles and day of samples, unless
// the grid meter already has samples that day.
func (r *run) meterTelemetry(ctx context.Context, s siteRef, d siteDevices, ser *siteSeries) (created, reused Counts, err error) {
	want := Counts{MeterReadings: len(d.mets) * len(ser.ts), MeterProfiles: len(d.mets)}
	err = r.h.meter.Write(ctx, func(ctx context.Context, q meterQ) error {
		created, reused = Counts{}, Counts{}
		have, err := q.MeterEnergyBetween(ctx, meter.MeterEnergyBetweenParams{
			DeviceID: d.mets[0], FromTs: r.cfg.Day, ToTs: r.cfg.dayEnd(),
		})
		if err != nil {
			return err
		}
		if have.Samples > 0 {
			reused = want
			return nil
		}
		for m, id := range d.mets {
			cfg := fmt.Appendf(nil, `{"modbus_unit": %d, "interval_s": %d}`, m+1, int(r.cfg.Interval.Seconds()))
			if _, err := q.UpsertMeterProfile(ctx, meter.UpsertMeterProfileParams{
				DeviceID: id, SiteID: s.id, Position: meterPositions[m], Phases: 3, CtRatio: dw(10), Config: cfg,
			}); err != nil {
				return err
			}
		}
		if err := meterRows(ctx, q, r.cfg.RowsPerStatement, d.mets, ser); err != nil {
			return err
		}
		created = want
		return nil
	}, writeOpts...)
	return created, reused, err
}

// notFound reports whether err says a row does not exist.
func notFound(err error) bool { return errors.Is(err, sql.ErrNoRows) }
