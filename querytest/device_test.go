package querytest_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/solarhub/hubdb/gen/device"
	"github.com/solarhub/hubdb/hubtest"
)

func TestDeviceQueries(t *testing.T) {
	ctx := context.Background()
	db := hubtest.New(t, "device").DB("device")
	q := device.New(db)
	const site1, site2 = 100, 200

	ids := map[string]int64{}
	t.Run("RegisterDevice", func(t *testing.T) {
		var last int64
		for _, d := range []struct {
			key    string
			site   int64
			kind   device.DevicesKind
			vendor string
		}{
			{"INV-001", site1, device.DevicesKindInverter, "sma"},
			{"BAT-001", site1, device.DevicesKindBattery, "byd"},
			{"MTR-001", site1, device.DevicesKindMeter, "janitza"},
			{"INV-002", site1, device.DevicesKindInverter, "sma"},
			{"INV-003", site1, device.DevicesKindInverter, "fronius"},
			{"INV-900", site2, device.DevicesKindInverter, "fronius"},
		} {
			id, err := q.RegisterDevice(ctx, device.RegisterDeviceParams{
				SiteID: d.site, Kind: d.kind, Vendor: d.vendor, Serial: d.key, Model: "model-" + d.key, Firmware: "1.0",
			})
			gaNoErr(t, err)
			if id <= last {
				t.Fatalf("id of %s = %d, want > %d", d.key, id, last)
			}
			last = id
			ids[d.key] = id
		}
		_, err := q.RegisterDevice(ctx, device.RegisterDeviceParams{SiteID: site2, Kind: device.DevicesKindInverter, Vendor: "sma", Serial: "INV-001", Model: "x"})
		gaErr(t, err, "duplicate vendor+serial")
	})

	t.Run("GetDeviceBySerial", func(t *testing.T) {
		d, err := q.GetDeviceBySerial(ctx, device.GetDeviceBySerialParams{Vendor: "sma", Serial: "INV-002"})
		gaNoErr(t, err)
		if d.ID != ids["INV-002"] || d.SiteID != site1 || d.Kind != device.DevicesKindInverter || d.Vendor != "sma" ||
			d.Serial != "INV-002" || d.Model != "model-INV-002" || d.Firmware != "1.0" ||
			d.Status != device.DevicesStatusProvisioning || d.LastSeenAt.Valid {
			t.Errorf("got %+v", d)
		}
		gaRecent(t, "created_at", d.CreatedAt)
		_, err = q.GetDeviceBySerial(ctx, device.GetDeviceBySerialParams{Vendor: "byd", Serial: "INV-002"})
		gaNoRows(t, err)
	})

	t.Run("UpsertDeviceBySerial", func(t *testing.T) {
		up := func(p device.UpsertDeviceBySerialParams) int64 {
			n, err := q.UpsertDeviceBySerial(ctx, p)
			gaNoErr(t, err)
			return n
		}
		ev := device.UpsertDeviceBySerialParams{SiteID: site2, Kind: device.DevicesKindEvcharger, Vendor: "abb", Serial: "EV-9", Model: "terra", Firmware: "2.0"}
		gaRows(t, "insert", up(ev), 1)
		gaRows(t, "unchanged", up(ev), 0)
		ev.Firmware = "2.1"
		gaRows(t, "new firmware", up(ev), 2)
		d, err := q.GetDeviceBySerial(ctx, device.GetDeviceBySerialParams{Vendor: "abb", Serial: "EV-9"})
		gaNoErr(t, err)
		if d.Firmware != "2.1" || d.Kind != device.DevicesKindEvcharger || d.SiteID != site2 {
			t.Errorf("ev = %+v", d)
		}
		ids["EV-9"] = d.ID

		// An existing device moved to another site keeps its id; kind is not overwritten.
		gaRows(t, "move INV-900", up(device.UpsertDeviceBySerialParams{SiteID: site1 + 1, Kind: device.DevicesKindMeter, Vendor: "fronius", Serial: "INV-900", Model: "symo", Firmware: "1.0"}), 2)
		d, err = q.GetDeviceBySerial(ctx, device.GetDeviceBySerialParams{Vendor: "fronius", Serial: "INV-900"})
		gaNoErr(t, err)
		if d.ID != ids["INV-900"] || d.SiteID != site1+1 || d.Model != "symo" || d.Kind != device.DevicesKindInverter {
			t.Errorf("moved = %+v", d)
		}
	})

	seen := gaAt(10, 0, 500)
	t.Run("MarkDeviceSeen", func(t *testing.T) {
		mark := func(key string, at time.Time) int64 {
			n, err := q.MarkDeviceSeen(ctx, device.MarkDeviceSeenParams{SeenAt: at, ID: ids[key]})
			gaNoErr(t, err)
			return n
		}
		gaRows(t, "first message", mark("INV-001", seen), 1)
		gaRows(t, "older message", mark("INV-001", seen.Add(-time.Minute)), 0)
		gaRows(t, "same time", mark("INV-001", seen), 0)
		gaRows(t, "newer message", mark("INV-001", seen.Add(time.Minute)), 1)
		gaRows(t, "battery", mark("BAT-001", seen), 1)
		_, err := db.ExecContext(ctx, "UPDATE devices SET status = 'decommissioned' WHERE id = ?", ids["MTR-001"])
		gaNoErr(t, err)
		gaRows(t, "decommissioned", mark("MTR-001", seen), 0)

		d, err := q.GetDeviceBySerial(ctx, device.GetDeviceBySerialParams{Vendor: "sma", Serial: "INV-001"})
		gaNoErr(t, err)
		want := seen.Add(time.Minute)
		gaNullTimeEq(t, "last_seen_at", d.LastSeenAt, &want)
		if d.Status != device.DevicesStatusOnline {
			t.Errorf("status = %s, want online", d.Status)
		}
		m, err := q.GetDeviceBySerial(ctx, device.GetDeviceBySerialParams{Vendor: "janitza", Serial: "MTR-001"})
		gaNoErr(t, err)
		if m.Status != device.DevicesStatusDecommissioned || m.LastSeenAt.Valid {
			t.Errorf("decommissioned meter = %+v", m)
		}
	})

	t.Run("MarkSilentDevicesOffline", func(t *testing.T) {
		n, err := q.MarkSilentDevicesOffline(ctx, seen.Add(30*time.Second))
		gaNoErr(t, err)
		gaRows(t, "battery silent", n, 1)
		n, err = q.MarkSilentDevicesOffline(ctx, seen.Add(30*time.Second))
		gaNoErr(t, err)
		gaRows(t, "again", n, 0)
		n, err = q.MarkSilentDevicesOffline(ctx, seen) // nobody online was seen before seen
		gaNoErr(t, err)
		gaRows(t, "cut-off before everything", n, 0)
		b, err := q.GetDeviceBySerial(ctx, device.GetDeviceBySerialParams{Vendor: "byd", Serial: "BAT-001"})
		gaNoErr(t, err)
		if b.Status != device.DevicesStatusOffline {
			t.Errorf("battery status = %s, want offline", b.Status)
		}
		i, err := q.GetDeviceBySerial(ctx, device.GetDeviceBySerialParams{Vendor: "sma", Serial: "INV-001"})
		gaNoErr(t, err)
		if i.Status != device.DevicesStatusOnline {
			t.Errorf("inverter status = %s, want online", i.Status)
		}
	})

	t.Run("ListSiteDevices", func(t *testing.T) {
		list := func(p device.ListSiteDevicesParams) []int64 {
			t.Helper()
			rows, err := q.ListSiteDevices(ctx, p)
			gaNoErr(t, err)
			return gaIDs(rows, func(r device.ListSiteDevicesRow) int64 { return r.ID })
		}
		p1, err := q.ListSiteDevices(ctx, device.ListSiteDevicesParams{SiteID: site1, Limit: 2})
		gaNoErr(t, err)
		gaIDsEq(t, "page 1", gaIDs(p1, func(r device.ListSiteDevicesRow) int64 { return r.ID }), []int64{ids["INV-001"], ids["BAT-001"]})
		if len(p1) == 2 {
			want := seen.Add(time.Minute)
			if p1[0].Kind != device.DevicesKindInverter || p1[0].Vendor != "sma" || p1[0].Serial != "INV-001" ||
				p1[0].Model != "model-INV-001" || p1[0].Status != device.DevicesStatusOnline {
				t.Errorf("row 1 = %+v", p1[0])
			}
			gaNullTimeEq(t, "row 1 last_seen_at", p1[0].LastSeenAt, &want)
		}
		gaIDsEq(t, "page 2", list(device.ListSiteDevicesParams{SiteID: site1, AfterID: ids["BAT-001"], Limit: 2}), []int64{ids["MTR-001"], ids["INV-002"]})
		gaIDsEq(t, "page 3", list(device.ListSiteDevicesParams{SiteID: site1, AfterID: ids["INV-002"], Limit: 2}), []int64{ids["INV-003"]})
		gaIDsEq(t, "page 4", list(device.ListSiteDevicesParams{SiteID: site1, AfterID: ids["INV-003"], Limit: 2}), nil)

		inverter := device.NullDevicesKind{DevicesKind: device.DevicesKindInverter, Valid: true}
		online := device.NullDevicesStatus{DevicesStatus: device.DevicesStatusOnline, Valid: true}
		provisioning := device.NullDevicesStatus{DevicesStatus: device.DevicesStatusProvisioning, Valid: true}
		gaIDsEq(t, "inverters", list(device.ListSiteDevicesParams{SiteID: site1, Kind: inverter, Limit: 10}),
			[]int64{ids["INV-001"], ids["INV-002"], ids["INV-003"]})
		gaIDsEq(t, "online", list(device.ListSiteDevicesParams{SiteID: site1, Status: online, Limit: 10}), []int64{ids["INV-001"]})
		gaIDsEq(t, "provisioning inverters", list(device.ListSiteDevicesParams{SiteID: site1, Kind: inverter, Status: provisioning, Limit: 10}),
			[]int64{ids["INV-002"], ids["INV-003"]})
		gaIDsEq(t, "provisioning inverters page 2", list(device.ListSiteDevicesParams{SiteID: site1, AfterID: ids["INV-002"], Kind: inverter, Status: provisioning, Limit: 10}),
			[]int64{ids["INV-003"]})
		gaIDsEq(t, "site 2", list(device.ListSiteDevicesParams{SiteID: site2, Limit: 10}), []int64{ids["EV-9"]})
	})

	t.Run("ListDevicesByIDs", func(t *testing.T) {
		rows, err := q.ListDevicesByIDs(ctx, []int64{ids["EV-9"], ids["INV-001"], 999999})
		gaNoErr(t, err)
		gaIDsEq(t, "ids", gaIDs(rows, func(r device.ListDevicesByIDsRow) int64 { return r.ID }), []int64{ids["INV-001"], ids["EV-9"]})
		if len(rows) == 2 && (rows[1].SiteID != site2 || rows[1].Kind != device.DevicesKindEvcharger || rows[1].Serial != "EV-9" ||
			rows[1].Status != device.DevicesStatusProvisioning) {
			t.Errorf("ev = %+v", rows[1])
		}
		rows, err = q.ListDevicesByIDs(ctx, nil)
		gaNoErr(t, err)
		if len(rows) != 0 {
			t.Errorf("empty slice: %d rows", len(rows))
		}
	})

	t.Run("CountSiteDevicesByStatus", func(t *testing.T) {
		rows, err := q.CountSiteDevicesByStatus(ctx, site1)
		gaNoErr(t, err)
		want := []device.CountSiteDevicesByStatusRow{ // ENUM order, not alphabetical
			{Status: device.DevicesStatusProvisioning, Devices: 2},
			{Status: device.DevicesStatusOnline, Devices: 1},
			{Status: device.DevicesStatusOffline, Devices: 1},
			{Status: device.DevicesStatusDecommissioned, Devices: 1},
		}
		if !reflect.DeepEqual(rows, want) {
			t.Errorf("got %+v, want %+v", rows, want)
		}
		rows, err = q.CountSiteDevicesByStatus(ctx, 999)
		gaNoErr(t, err)
		if len(rows) != 0 {
			t.Errorf("unknown site: %+v", rows)
		}
	})

	updates := map[string]int64{}
	t.Run("RecordFirmwareUpdate", func(t *testing.T) {
		for _, u := range []struct {
			key, from, to string
			at            time.Time
		}{
			{"INV-001", "1.0", "1.1", gaAt(3, 0)},
			{"INV-001", "1.1", "1.2", gaAt(3, 0).Add(24 * time.Hour)},
			{"INV-002", "1.0", "1.1", gaAt(4, 0)},
		} {
			id, err := q.RecordFirmwareUpdate(ctx, device.RecordFirmwareUpdateParams{
				DeviceID: ids[u.key], FromVersion: u.from, ToVersion: u.to, InstalledAt: u.at,
				Details: json.RawMessage(`{"by":"ota","to":"` + u.to + `"}`),
			})
			gaNoErr(t, err)
			updates[u.key+"@"+u.to] = id
		}
		if !(0 < updates["INV-001@1.1"] && updates["INV-001@1.1"] < updates["INV-001@1.2"]) {
			t.Errorf("ids not increasing: %v", updates)
		}
		_, err := q.RecordFirmwareUpdate(ctx, device.RecordFirmwareUpdateParams{DeviceID: 999999, FromVersion: "a", ToVersion: "b", InstalledAt: gaAt(0, 0), Details: json.RawMessage(`{}`)})
		gaErr(t, err, "update of an unknown device")
	})

	t.Run("ListFirmwareUpdates", func(t *testing.T) {
		rows, err := q.ListFirmwareUpdates(ctx, device.ListFirmwareUpdatesParams{DeviceID: ids["INV-001"], Limit: 10})
		gaNoErr(t, err)
		gaIDsEq(t, "newest first", gaIDs(rows, func(r device.ListFirmwareUpdatesRow) int64 { return r.ID }),
			[]int64{updates["INV-001@1.2"], updates["INV-001@1.1"]})
		if len(rows) == 2 {
			if rows[0].FromVersion != "1.1" || rows[0].ToVersion != "1.2" {
				t.Errorf("row 1 = %+v", rows[0])
			}
			gaTimeEq(t, "installed_at", rows[0].InstalledAt, gaAt(3, 0).Add(24*time.Hour))
			gaJSONEq(t, "details", rows[0].Details, `{"by":"ota","to":"1.2"}`)
		}
		rows, err = q.ListFirmwareUpdates(ctx, device.ListFirmwareUpdatesParams{DeviceID: ids["INV-001"], Limit: 1})
		gaNoErr(t, err)
		gaIDsEq(t, "limit 1", gaIDs(rows, func(r device.ListFirmwareUpdatesRow) int64 { return r.ID }), []int64{updates["INV-001@1.2"]})
		rows, err = q.ListFirmwareUpdates(ctx, device.ListFirmwareUpdatesParams{DeviceID: ids["INV-003"], Limit: 10})
		gaNoErr(t, err)
		if len(rows) != 0 {
			t.Errorf("INV-003: %d rows", len(rows))
		}
	})
}
