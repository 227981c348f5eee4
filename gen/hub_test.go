package gen_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/gen/account"
	"github.com/solarhub/hubdb/gen/alarm"
	"github.com/solarhub/hubdb/gen/analysis"
	"github.com/solarhub/hubdb/gen/device"
	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/gen/site"
	"github.com/solarhub/hubdb/hubtest"
	"github.com/solarhub/hubdb/schema"
)

// testConfig is the configuration of every database of the registry
// under the test's prefix on the test server, loaded the way an application
// loads it (from d.Env()), with small pools (all of them share the test
// server).
func testConfig(t *testing.T, d *hubtest.Databases) dbx.Config {
	t.Helper()
	cfg, err := config.Load("", d.Env())
	if err != nil {
		t.Fatal(err)
	}
	dcfg := cfg.DBX()
	dcfg.Defaults.Size, dcfg.Defaults.Overflow = dbx.Int(2), dbx.Int(2)
	return dcfg
}

// closeOnCleanup checks, when the test ends, that every connection of hub
// is back, then closes it.
func closeOnCleanup(t *testing.T, hub *gen.Hub) {
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
}

// openHub gives the test its own copies of all databases on the test
// server and opens the generated registry on them through the config
// loader, the way an application does.
func openHub(t *testing.T) *gen.Hub {
	t.Helper()
	d := hubtest.New(t, gen.Names...)
	hub, err := gen.Open(context.Background(), testConfig(t, d))
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, hub)
	return hub
}

// TestHubAcrossFiveDatabases walks one request flow of the platform through
// five databases of the typed registry: an organisation (account), its site
// (site), a battery (device), its telemetry (ess) and an alarm (alarm).
func TestHubAcrossFiveDatabases(t *testing.T) {
	hub := openHub(t)
	ctx := context.Background()
	dirs, err := schema.Databases(schema.FS)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(hub.Manager.Names()); got != len(gen.Names) || got != len(dirs) {
		t.Fatalf("registry opened %d pools, gen.Names has %d, schema/ %d", got, len(gen.Names), len(dirs))
	}

	var orgID, siteID, deviceID int64
	err = hub.Account.Write(ctx, func(ctx context.Context, q *account.Queries) error {
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
	err = hub.ESS.Read(ctx, func(ctx context.Context, q ess.Reader) error {
		r, err := q.GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: deviceID, AtTs: t0.Add(time.Hour)})
		if err != nil {
			return err
		}
		soc = r.SocPct
		return hub.Device.Read(ctx, func(ctx context.Context, q device.Reader) error {
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

	// A write inside a read-only transaction does not compile (q is an
	// alarm.Reader: TestWriteInReadDoesNotCompile); one that gets there
	// anyway, through a type assertion, still fails on the server, typed.
	err = hub.Alarm.Read(ctx, func(ctx context.Context, q alarm.Reader) error {
		_, err := q.(*alarm.Queries).RaiseAlarm(ctx, alarm.RaiseAlarmParams{OrgID: orgID, SiteID: siteID, Code: "SOC_LOW",
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

// subset is what the subset tests open: a service that uses three of the
// registry's databases. analysis and ess, which the tests call through
// their handles, are not in it.
var subset = []string{gen.NameAccount, gen.NameSite, gen.NameDevice}

// migrateSubset gives the test only the databases of subset and returns
// the configuration of every registry database under their prefix: opening
// any other would fail its ping (the database does not exist).
func migrateSubset(t *testing.T) dbx.Config {
	t.Helper()
	for _, name := range []string{gen.NameAnalysis, gen.NameESS} {
		if slices.Contains(subset, name) {
			t.Fatalf("test setup: %s must not be in the subset", name)
		}
	}
	return testConfig(t, hubtest.New(t, subset...))
}

func sorted(names []string) []string {
	s := slices.Clone(names)
	slices.Sort(s)
	return s
}

// handle is what every field of gen.Hub but Manager offers, whatever its
// Queries type.
type handle interface {
	Name() string
	Opened() bool
	Status() dbx.Status
}

// handles returns the registry handles of hub by database name, through
// reflection so that a database added to the registry is covered too.
func handles(t *testing.T, hub *gen.Hub) map[string]handle {
	t.Helper()
	out := map[string]handle{}
	v := reflect.ValueOf(hub).Elem()
	for i := range v.NumField() {
		if v.Type().Field(i).Name == "Manager" {
			continue
		}
		h, ok := v.Field(i).Interface().(handle)
		if !ok || v.Field(i).IsNil() {
			t.Fatalf("Hub.%s is %v, want a bound *dbx.DB", v.Type().Field(i).Name, v.Field(i))
		}
		out[h.Name()] = h
	}
	if !slices.Equal(sorted(slices.Collect(maps.Keys(out))), gen.Names) {
		t.Fatalf("Hub has handles of %v, want one per gen.Names %v", sorted(slices.Collect(maps.Keys(out))), gen.Names)
	}
	return out
}

// checkOpened checks that hub has pools for exactly want and NotOpened
// handles for every other database of the registry, whose calls fail with
// ErrNotOpened, not ErrUnknownDB, naming what was opened.
func checkOpened(t *testing.T, hub *gen.Hub, want []string) {
	t.Helper()
	ctx := context.Background()
	want = sorted(want)
	if got := hub.Manager.Names(); !slices.Equal(got, want) {
		t.Errorf("Manager.Names() = %v, want %v", got, want)
	}
	var status []string
	for _, s := range hub.Manager.Status() {
		status = append(status, s.DB)
	}
	if !slices.Equal(status, want) {
		t.Errorf("Manager.Status() has %v, want %v", status, want)
	}
	notOpened := 0
	hs := handles(t, hub)
	for _, name := range gen.Names {
		h := hs[name]
		if h.Opened() != slices.Contains(want, name) || hub.Manager.Has(name) != h.Opened() {
			t.Errorf("%s: Opened() = %v, Manager.Has = %v, want %v", name, h.Opened(), hub.Manager.Has(name), !h.Opened())
		}
		if h.Status().DB != name {
			t.Errorf("%s: Status().DB = %q", name, h.Status().DB)
		}
		if !h.Opened() {
			notOpened++
			if _, err := hub.Manager.StatusOf(name); !errors.Is(err, dbx.ErrNotOpened) || errors.Is(err, dbx.ErrUnknownDB) {
				t.Errorf("Manager.StatusOf(%s): %v, want ErrNotOpened", name, err)
			}
		}
	}
	if notOpened != len(gen.Names)-len(want) {
		t.Errorf("%d handles not opened, want %d", notOpened, len(gen.Names)-len(want))
	}

	// Transactions and plain queries on a database not opened fail, typed,
	// and the message says what was opened and what to do.
	called := false
	errRead := hub.Analysis.Read(ctx, func(ctx context.Context, q analysis.Reader) error {
		called = true
		return nil
	})
	errWrite := hub.Analysis.Write(ctx, func(ctx context.Context, q *analysis.Queries) error {
		called = true
		return nil
	})
	_, errQuery := hub.ESS.Queries(ctx).GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: 1, AtTs: time.Now()})
	if called {
		t.Error("fn of a database not opened was called")
	}
	for _, c := range []struct {
		what, db string
		err      error
	}{{"Analysis.Read", gen.NameAnalysis, errRead}, {"Analysis.Write", gen.NameAnalysis, errWrite}, {"ESS query", gen.NameESS, errQuery}} {
		if !errors.Is(c.err, dbx.ErrNotOpened) || errors.Is(c.err, dbx.ErrUnknownDB) {
			t.Errorf("%s: %v, want an error matching ErrNotOpened and not ErrUnknownDB", c.what, c.err)
			continue
		}
		msg := c.err.Error()
		if !strings.Contains(msg, strings.Join(want, ", ")) || !strings.Contains(msg, "add "+c.db) {
			t.Errorf("%s: %q does not name the databases opened (%v) and how to add %s", c.what, msg, want, c.db)
		}
	}
}

// useSubset runs one write and one read on each database of subset.
func useSubset(t *testing.T, hub *gen.Hub) {
	t.Helper()
	ctx := context.Background()
	var orgID, siteID int64
	err := hub.Account.Write(ctx, func(ctx context.Context, q *account.Queries) error {
		var err error
		orgID, err = q.CreateOrganization(ctx, account.CreateOrganizationParams{
			Slug: "subset", Name: "Subset", Plan: account.OrganizationsPlanPro, Settings: json.RawMessage(`{}`)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = hub.Site.Write(ctx, func(ctx context.Context, q *site.Queries) error {
		var err error
		siteID, err = q.CreateSite(ctx, site.CreateSiteParams{OrgID: orgID, Name: "Shed", Kind: site.SitesKindResidential,
			Timezone: "Europe/Berlin", Latitude: 48.0, Longitude: 7.8, CapacityKwp: decimal.RequireFromString("5.00")})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = hub.Device.Write(ctx, func(ctx context.Context, q *device.Queries) error {
		_, err := q.RegisterDevice(ctx, device.RegisterDeviceParams{SiteID: siteID, Kind: device.DevicesKindBattery,
			Vendor: "acme", Serial: "S-1", Model: "PowerWall", Firmware: "1.0"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var org account.Organization
	var st site.GetSiteRow
	var dev device.Device
	err = hub.Account.Read(ctx, func(ctx context.Context, q account.Reader) error {
		var err error
		org, err = q.GetOrganizationBySlug(ctx, "subset")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, err = hub.Site.Queries(ctx).GetSite(ctx, siteID); err != nil {
		t.Fatal(err)
	}
	err = hub.Device.Read(ctx, func(ctx context.Context, q device.Reader) error {
		var err error
		dev, err = q.GetDeviceBySerial(ctx, device.GetDeviceBySerialParams{Vendor: "acme", Serial: "S-1"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if org.ID != orgID || st.Name != "Shed" || dev.SiteID != siteID {
		t.Fatalf("read back org %d, site %q, device of site %d; want %d, Shed, %d", org.ID, st.Name, dev.SiteID, orgID, siteID)
	}
}

// TestOpenNamedSubset opens three databases by name from a configuration
// of all of them: only those are opened (the others do not even exist on
// the server), they work, and the others have NotOpened handles.
func TestOpenNamedSubset(t *testing.T) {
	cfg := migrateSubset(t)
	var before []string
	for _, d := range cfg.DBs {
		before = append(before, d.Name)
	}
	if !slices.Equal(sorted(before), gen.Names) {
		t.Fatalf("config lists %v, want gen.Names", before)
	}
	hub, err := gen.Open(context.Background(), cfg, subset...)
	if err != nil {
		t.Fatalf("gen.Open with %v: %v", subset, err)
	}
	closeOnCleanup(t, hub)
	var after []string
	for _, d := range cfg.DBs {
		after = append(after, d.Name)
	}
	if !slices.Equal(after, before) || cfg.Known != nil {
		t.Errorf("gen.Open changed the caller's config: DBs %v (was %v), Known %v", after, before, cfg.Known)
	}
	useSubset(t, hub)
	checkOpened(t, hub, subset)
}

// TestOpenConfiguredSubset opens, with no names, a configuration that
// lists only three databases: they are opened, the others get NotOpened
// handles instead of failing the open.
func TestOpenConfiguredSubset(t *testing.T) {
	cfg := migrateSubset(t)
	cfg.DBs = slices.DeleteFunc(cfg.DBs, func(d dbx.DBConfig) bool { return !slices.Contains(subset, d.Name) })
	hub, err := gen.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("gen.Open of a config with %v: %v", subset, err)
	}
	closeOnCleanup(t, hub)
	useSubset(t, hub)
	checkOpened(t, hub, subset)
}

// TestOpenBadNames: a name outside the registry is ErrUnknownDB listing
// the valid names; a registry name the config lacks is ErrConfig naming
// it. Both fail before any connection (the server address is closed).
func TestOpenBadNames(t *testing.T) {
	conf, err := config.Load("", []string{"HUBDB_DSN=root@tcp(127.0.0.1:1)/"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := conf.DBX()
	ctx := context.Background()

	_, err = gen.Open(ctx, cfg, gen.NameSite, "analytics")
	if !errors.Is(err, dbx.ErrUnknownDB) || errors.Is(err, dbx.ErrNotOpened) {
		t.Fatalf("unknown name: %v, want an error matching ErrUnknownDB", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "analytics") || !strings.Contains(msg, strings.Join(gen.Names, ", ")) {
		t.Errorf("unknown name: %q does not name it and the valid names", msg)
	}

	cfg.DBs = slices.DeleteFunc(cfg.DBs, func(d dbx.DBConfig) bool { return d.Name != gen.NameSite })
	_, err = gen.Open(ctx, cfg, gen.NameSite, gen.NameDevice)
	if !errors.Is(err, dbx.ErrConfig) || errors.Is(err, dbx.ErrUnknownDB) {
		t.Fatalf("name not configured: %v, want an error matching ErrConfig", err)
	}
	if msg := err.Error(); !strings.Contains(msg, gen.NameDevice) || !strings.Contains(msg, "configured: "+gen.NameSite) {
		t.Errorf("name not configured: %q does not name %s and what cfg configures", msg, gen.NameDevice)
	}
}
