package api_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/gen/alarm"
	"github.com/solarhub/hubdb/gen/analysis"
	"github.com/solarhub/hubdb/gen/device"
	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/gen/meter"
	"github.com/solarhub/hubdb/gen/pv"
	"github.com/solarhub/hubdb/gen/site"
)

// fixture ids: fresh databases hand out auto-increment ids from 1.
type fixture struct {
	site, otherSite            int64
	inv1, inv2, bat, mtr, bat2 int64
	alarms                     []int64 // site's alarms in id order
	clearedAlarm               int64
}

var day = time.Date(2025, 6, 21, 0, 0, 0, 0, time.UTC)

func at(h, m int) time.Time {
	return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// seedFixture writes a small, hand-made data set through the generated
// queries: two sites, the first with two inverters, a battery and a grid
// meter, a few readings, five alarms and three days of KPIs; the second
// with one battery.
func seedFixture(t *testing.T, dbs map[string]*sql.DB) fixture {
	t.Helper()
	ctx := context.Background()
	var f fixture
	must := func(v int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	sq := site.New(dbs["site"])
	f.site = must(sq.CreateSite(ctx, site.CreateSiteParams{OrgID: 1, Name: "Freiburg Rooftop", Kind: site.SitesKindResidential,
		Timezone: "Europe/Berlin", Latitude: 48, Longitude: 7.8, CapacityKwp: dec("9.900")}))
	f.otherSite = must(sq.CreateSite(ctx, site.CreateSiteParams{OrgID: 1, Name: "Lyon Depot", Kind: site.SitesKindCommercial,
		Timezone: "Europe/Paris", Latitude: 45.7, Longitude: 4.8, CapacityKwp: dec("120.000")}))

	dq := device.New(dbs["device"])
	reg := func(siteID int64, kind device.DevicesKind, serial string) int64 {
		return must(dq.RegisterDevice(ctx, device.RegisterDeviceParams{SiteID: siteID, Kind: kind, Vendor: "V", Serial: serial, Model: "M"}))
	}
	f.inv1 = reg(f.site, device.DevicesKindInverter, "INV1")
	f.inv2 = reg(f.site, device.DevicesKindInverter, "INV2")
	f.bat = reg(f.site, device.DevicesKindBattery, "BAT1")
	f.mtr = reg(f.site, device.DevicesKindMeter, "MTR1")
	f.bat2 = reg(f.otherSite, device.DevicesKindBattery, "BAT2")

	pq := pv.New(dbs["pv"])
	for _, r := range []pv.InsertInverterReadingParams{
		{DeviceID: f.inv1, Ts: at(10, 0), SiteID: f.site, AcPowerW: dec("2400.5"), DcPowerW: dec("2480.0"), EnergyWh: dec("1000000.000"), AcVoltageV: 230, DcVoltageV: 600},
		{DeviceID: f.inv1, Ts: at(10, 1), SiteID: f.site, AcPowerW: dec("2410.0"), DcPowerW: dec("2490.0"), EnergyWh: dec("1000040.125"), AcVoltageV: 230, DcVoltageV: 600},
		{DeviceID: f.inv2, Ts: at(10, 0), SiteID: f.site, AcPowerW: dec("1200.0"), DcPowerW: dec("1240.0"), EnergyWh: dec("500.500"), AcVoltageV: 231, DcVoltageV: 590},
	} {
		must(pq.InsertInverterReading(ctx, r))
	}

	eq := ess.New(dbs["ess"])
	for _, b := range []struct {
		dev, site int64
	}{{f.bat, f.site}, {f.bat2, f.otherSite}} {
		must(eq.UpsertBatteryState(ctx, ess.UpsertBatteryStateParams{DeviceID: b.dev, SiteID: b.site, Mode: ess.BatteryStatesModeCharging,
			SocPct: 56, SohPct: 98, CapacityWh: dec("10000.0"), FaultCodes: []byte("[]"), UpdatedAt: at(10, 2)}))
	}
	for _, r := range []ess.InsertBatteryReadingParams{
		{DeviceID: f.bat, Ts: at(10, 0), SiteID: f.site, SocPct: 55, PowerW: dec("-3000.0"), TemperatureC: 24.5, EnergyInWh: dec("2000.000"), EnergyOutWh: dec("1500.000")},
		{DeviceID: f.bat, Ts: at(10, 1), SiteID: f.site, SocPct: 55.5, PowerW: dec("-3000.0"), TemperatureC: 24.75, EnergyInWh: dec("2050.000"), EnergyOutWh: dec("1500.000")},
		{DeviceID: f.bat, Ts: at(10, 2), SiteID: f.site, SocPct: 56, PowerW: dec("-2500.5"), TemperatureC: 25, EnergyInWh: dec("2091.675"), EnergyOutWh: dec("1500.000")},
		{DeviceID: f.bat, Ts: day.Add(-time.Minute), SiteID: f.site, SocPct: 40, PowerW: dec("100.0"), TemperatureC: 20, EnergyInWh: dec("1990.000"), EnergyOutWh: dec("1490.000")},
	} {
		if err := eq.InsertBatteryReading(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	mq := meter.New(dbs["meter"])
	must(mq.UpsertMeterProfile(ctx, meter.UpsertMeterProfileParams{DeviceID: f.mtr, SiteID: f.site, Position: meter.MeterProfilesPositionGrid,
		Phases: 3, CtRatio: dec("1.00"), Config: []byte("{}")}))
	for _, r := range []meter.InsertMeterReadingParams{
		{DeviceID: f.mtr, Ts: at(10, 0), ImportEnergyWh: dec("5000.000"), ExportEnergyWh: dec("7000.000"), PowerW: dec("-1500.0")},
		{DeviceID: f.mtr, Ts: at(10, 1), ImportEnergyWh: dec("5000.000"), ExportEnergyWh: dec("7025.000"), PowerW: dec("-1600.0")},
	} {
		if err := mq.InsertMeterReading(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	aq := alarm.New(dbs["alarm"])
	raise := func(siteID int64, code string, sev alarm.AlarmsSeverity, ts time.Time) int64 {
		key := sql.NullString{String: code, Valid: true}
		must(aq.RaiseAlarm(ctx, alarm.RaiseAlarmParams{OrgID: 1, SiteID: siteID, Code: code, DedupKey: key,
			Severity: sev, Message: code + " message", Details: []byte(`{"k": 1}`), RaisedAt: ts}))
		a, err := aq.GetOpenAlarmByDedupKey(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	f.alarms = append(f.alarms,
		raise(f.site, "A1", alarm.AlarmsSeverityWarning, at(8, 0)),
		raise(f.site, "A2", alarm.AlarmsSeverityCritical, at(9, 0)),
		raise(f.otherSite, "B1", alarm.AlarmsSeverityMajor, at(9, 30)),
		raise(f.site, "A3", alarm.AlarmsSeverityMajor, at(10, 0)),
		raise(f.site, "A4", alarm.AlarmsSeverityWarning, at(11, 0)),
		raise(f.site, "A5", alarm.AlarmsSeverityInfo, at(12, 0)),
	)
	f.alarms = append(f.alarms[:2], f.alarms[3:]...) // site's only
	f.clearedAlarm = f.alarms[4]
	must(aq.ClearAlarm(ctx, alarm.ClearAlarmParams{ClearedAt: at(12, 30), ID: f.clearedAlarm}))

	kq := analysis.New(dbs["analysis"])
	for i, k := range []struct {
		pv, load, imp, exp string
		pr                 float64
	}{
		{"30.500", "20.000", "5.000", "15.500", 0.8},
		{"40.250", "22.000", "4.000", "22.250", 0.81},
		{"10.000", "25.125", "17.125", "2.000", 0.82},
	} {
		must(kq.UpsertDailyKPI(ctx, analysis.UpsertDailyKPIParams{
			SiteID: f.site, Day: day.AddDate(0, 0, i-2), OrgID: 1, PvEnergyKwh: dec(k.pv), LoadEnergyKwh: dec(k.load),
			GridImportKwh: dec(k.imp), GridExportKwh: dec(k.exp), PerformanceRatio: sql.NullFloat64{Float64: k.pr, Valid: true},
			SelfConsumptionPct: 50, AutarkyPct: 75 - float64(i), ComputedAt: day,
			SpecificYield: decimal.NullDecimal{Decimal: dec("3.0808"), Valid: i == 0},
		}))
	}
	return f
}
