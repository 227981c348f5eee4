package gen_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/gen/account"
	"github.com/solarhub/hubdb/gen/alarm"
	"github.com/solarhub/hubdb/gen/device"
	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/gen/site"
	"github.com/solarhub/hubdb/internal/testdb"
)

// openHub migrates all databases under a fresh prefix on the test server
// and opens the generated registry on them through the config loader, the
// way an application does.
func openHub(t *testing.T) *gen.Hub {
	t.Helper()
	prefix := testdb.Prefix()
	testdb.Migrated(t, prefix, gen.Names...)
	cfg, err := config.Load("", []string{"HUBDB_DSN=" + os.Getenv(testdb.EnvDSN), "HUBDB_DB_PREFIX=" + prefix})
	if err != nil {
		t.Fatal(err)
	}
	dcfg := cfg.DBX()
	dcfg.Defaults.Size, dcfg.Defaults.Overflow = dbx.Int(2), dbx.Int(2) // 18 pools on a shared test server
	hub, err := gen.Open(context.Background(), dcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hub.Manager.WaitIdle(ctx); err != nil {
			t.Error(err)
		}
		if n := hub.Manager.Status().InUse(); n != 0 {
			t.Errorf("%d connections still in use at the end of the test", n)
		}
		if err := hub.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return hub
}

// TestHubAcrossFiveDatabases walks one request flow of the platform through
// five databases of the typed registry: an organisation (account), its site
// (site), a battery (device), its telemetry (ess) and an alarm (alarm).
func TestHubAcrossFiveDatabases(t *testing.T) {
	hub := openHub(t)
	ctx := context.Background()
	if got := len(hub.Manager.Names()); got != len(gen.Names) || got != 18 {
		t.Fatalf("registry opened %d pools, gen.Names has %d, want 18", got, len(gen.Names))
	}

	var orgID, siteID, deviceID int64
	err := hub.Account.Write(ctx, func(ctx context.Context, q *account.Queries) error {
		var err error
		orgID, err = q.CreateOrganization(ctx, account.CreateOrganizationParams{
			Slug: "sunny", Name: "Sunny Farms", Plan: account.OrganizationsPlanPro, Settings: json.RawMessage(`{}`)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = hub.Site.Write(ctx, func(ctx context.Context, q *site.Queries) error {
		var err error
		siteID, err = q.CreateSite(ctx, site.CreateSiteParams{OrgID: orgID, Name: "Barn roof", Kind: site.SitesKindCommercial,
			Timezone: "Europe/Berlin", Latitude: 48.0, Longitude: 7.8, CapacityKwp: decimal.RequireFromString("99.50")})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = hub.Device.Write(ctx, func(ctx context.Context, q *device.Queries) error {
		var err error
		deviceID, err = q.RegisterDevice(ctx, device.RegisterDeviceParams{SiteID: siteID, Kind: device.DevicesKindBattery,
			Vendor: "acme", Serial: "B-1", Model: "PowerWall", Firmware: "1.0"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	err = hub.ESS.Write(ctx, func(ctx context.Context, q *ess.Queries) error {
		for i := range 3 {
			if err := q.InsertBatteryReading(ctx, ess.InsertBatteryReadingParams{DeviceID: deviceID, SiteID: siteID,
				Ts: t0.Add(time.Duration(i) * time.Minute), SocPct: 50 + float64(i), PowerW: decimal.NewFromInt(int64(1000 * i)),
				TemperatureC: 25, EnergyInWh: decimal.NewFromInt(int64(i)), EnergyOutWh: decimal.Zero}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A read-only transaction on ess and, nested inside it, one on device:
	// each database has its own transaction, the device lookup joins none.
	var soc float64
	var serial string
	err = hub.ESS.Read(ctx, func(ctx context.Context, q *ess.Queries) error {
		r, err := q.GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: deviceID, AtTs: t0.Add(time.Hour)})
		if err != nil {
			return err
		}
		soc = r.SocPct
		return hub.Device.Read(ctx, func(ctx context.Context, q *device.Queries) error {
			d, err := q.GetDeviceBySerial(ctx, device.GetDeviceBySerialParams{Vendor: "acme", Serial: "B-1"})
			serial = d.Serial
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if soc != 52 || serial != "B-1" {
		t.Fatalf("latest soc %v serial %q, want 52 and B-1", soc, serial)
	}

	// A write inside a read-only transaction of the same database fails, typed.
	err = hub.Alarm.Read(ctx, func(ctx context.Context, q *alarm.Queries) error {
		_, err := q.RaiseAlarm(ctx, alarm.RaiseAlarmParams{OrgID: orgID, SiteID: siteID, Code: "SOC_LOW",
			Severity: alarm.AlarmsSeverityWarning, Message: "low", Details: json.RawMessage(`{}`), RaisedAt: t0})
		return err
	})
	if !errors.Is(err, dbx.ErrReadOnly) {
		t.Fatalf("write in Read: got %v, want ErrReadOnly", err)
	}
	// The same write in Write commits, and a plain call outside any
	// transaction sees it.
	err = hub.Alarm.Write(ctx, func(ctx context.Context, q *alarm.Queries) error {
		_, err := q.RaiseAlarm(ctx, alarm.RaiseAlarmParams{OrgID: orgID, SiteID: siteID,
			DeviceID: sql.NullInt64{Int64: deviceID, Valid: true}, Code: "SOC_LOW",
			Severity: alarm.AlarmsSeverityWarning, Message: "low", Details: json.RawMessage(`{}`), RaisedAt: t0})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	alarms, err := hub.Alarm.Queries(ctx).ListSiteAlarms(ctx, alarm.ListSiteAlarmsParams{SiteID: siteID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(alarms) != 1 || alarms[0].Code != "SOC_LOW" || alarms[0].DeviceID.Int64 != deviceID {
		t.Fatalf("alarms = %+v, want the one SOC_LOW alarm of device %d", alarms, deviceID)
	}
}
