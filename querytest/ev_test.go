package querytest_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/gen/ev"
	"github.com/solarhub/hubdb/hubtest"
)

// Helpers shared by the ev, weather, forecast, tariff, schedule and dispatch
// tests. They carry the prefix b so they cannot clash with other files of
// this package.

// bEq reports got != want.
func bEq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// bNoErr stops the (sub)test on an unexpected error.
func bNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// bNoRows checks that err is sql.ErrNoRows.
func bNoRows(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("%s: err = %v, want sql.ErrNoRows", what, err)
	}
}

// bLen stops the (sub)test when got does not have n elements, so that the
// caller can index it safely afterwards.
func bLen[T any](t *testing.T, what string, got []T, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%s: %d rows, want %d: %+v", what, len(got), n, got)
	}
}

// bDec parses a decimal literal.
func bDec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// bNullDec is a valid NullDecimal, or NULL for "".
func bNullDec(s string) decimal.NullDecimal {
	if s == "" {
		return decimal.NullDecimal{}
	}
	return decimal.NewNullDecimal(bDec(s))
}

// bEqDec compares decimals by value (the server returns trailing zeros).
func bEqDec(t *testing.T, what string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(bDec(want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// bEqNullDec compares a NullDecimal with want ("" means NULL).
func bEqNullDec(t *testing.T, what string, got decimal.NullDecimal, want string) {
	t.Helper()
	switch {
	case want == "" && got.Valid:
		t.Errorf("%s = %s, want NULL", what, got.Decimal)
	case want != "" && !got.Valid:
		t.Errorf("%s = NULL, want %s", what, want)
	case want != "" && !got.Decimal.Equal(bDec(want)):
		t.Errorf("%s = %s, want %s", what, got.Decimal, want)
	}
}

// bEqTime compares instants.
func bEqTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// bNullTime is a valid NullTime, or NULL for the zero time.
func bNullTime(v time.Time) sql.NullTime { return sql.NullTime{Time: v, Valid: !v.IsZero()} }

// bEqNullTime compares a NullTime with want (the zero time means NULL).
func bEqNullTime(t *testing.T, what string, got sql.NullTime, want time.Time) {
	t.Helper()
	switch {
	case want.IsZero() && got.Valid:
		t.Errorf("%s = %v, want NULL", what, got.Time)
	case !want.IsZero() && !got.Valid:
		t.Errorf("%s = NULL, want %v", what, want)
	case !want.IsZero() && !got.Time.Equal(want):
		t.Errorf("%s = %v, want %v", what, got.Time, want)
	}
}

// bEqFloat compares floats up to rounding.
func bEqFloat(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// bEqJSON compares JSON documents by value.
func bEqJSON(t *testing.T, what string, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: invalid JSON %q: %v", what, got, err)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad wanted JSON %q: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// bStep runs a subtest that later subtests depend on and stops the parent
// test when it fails.
func bStep(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, f) {
		t.FailNow()
	}
}

func TestEVQueries(t *testing.T) {
	db := hubtest.New(t, "ev").DB("ev")
	q := ev.New(db)
	ctx := t.Context()
	t0 := time.Date(2025, 3, 10, 8, 0, 0, 0, time.UTC)

	const siteA, siteB = int64(100), int64(200)
	var c1, c2, c3, c4 int64
	bStep(t, "CreateCharger", func(t *testing.T) {
		var err error
		c1, err = q.CreateCharger(ctx, ev.CreateChargerParams{SiteID: siteA, DeviceID: 1001, Name: "Bay 1", MaxPowerKw: bDec("22.00"), Status: ev.ChargersStatusAvailable})
		bNoErr(t, "c1", err)
		c2, err = q.CreateCharger(ctx, ev.CreateChargerParams{SiteID: siteA, DeviceID: 1002, Name: "Bay 2", MaxPowerKw: bDec("150.5"), Status: ev.ChargersStatusFaulted})
		bNoErr(t, "c2", err)
		c3, err = q.CreateCharger(ctx, ev.CreateChargerParams{SiteID: siteA, DeviceID: 1003, Name: "Bay 3", MaxPowerKw: bDec("11"), Status: ev.ChargersStatusAvailable})
		bNoErr(t, "c3", err)
		c4, err = q.CreateCharger(ctx, ev.CreateChargerParams{SiteID: siteB, DeviceID: 2001, Name: "Depot", MaxPowerKw: bDec("50"), Status: ev.ChargersStatusOffline})
		bNoErr(t, "c4", err)
		bEq(t, "first id in a fresh database", c1, 1)
		bEq(t, "c2", c2, c1+1)
		bEq(t, "c3", c3, c1+2)
		bEq(t, "c4", c4, c1+3)
		if _, err := q.CreateCharger(ctx, ev.CreateChargerParams{SiteID: siteB, DeviceID: 1001, Name: "dup", MaxPowerKw: bDec("1"), Status: ev.ChargersStatusOffline}); err == nil {
			t.Error("a second charger for device 1001 was accepted")
		}
	})

	t.Run("ListChargersBySite", func(t *testing.T) {
		page := func(after int64, status ev.NullChargersStatus, limit int32) []int64 {
			t.Helper()
			rows, err := q.ListChargersBySite(ctx, ev.ListChargersBySiteParams{SiteID: siteA, AfterID: after, Status: status, Limit: limit})
			bNoErr(t, "list", err)
			ids := []int64{}
			for _, r := range rows {
				bEq(t, "site", r.SiteID, siteA)
				ids = append(ids, r.ID)
			}
			return ids
		}
		all := ev.NullChargersStatus{}
		if got := page(0, all, 2); !reflect.DeepEqual(got, []int64{c1, c2}) {
			t.Errorf("page 1 = %v, want %v", got, []int64{c1, c2})
		}
		if got := page(c2, all, 2); !reflect.DeepEqual(got, []int64{c3}) {
			t.Errorf("page 2 = %v, want %v", got, []int64{c3})
		}
		if got := page(c3, all, 2); len(got) != 0 {
			t.Errorf("page 3 = %v, want none", got)
		}
		avail := ev.NullChargersStatus{ChargersStatus: ev.ChargersStatusAvailable, Valid: true}
		if got := page(0, avail, 10); !reflect.DeepEqual(got, []int64{c1, c3}) {
			t.Errorf("available = %v, want %v", got, []int64{c1, c3})
		}
		faulted := ev.NullChargersStatus{ChargersStatus: ev.ChargersStatusFaulted, Valid: true}
		if got := page(0, faulted, 10); !reflect.DeepEqual(got, []int64{c2}) {
			t.Errorf("faulted = %v, want %v", got, []int64{c2})
		}
		rows, err := q.ListChargersBySite(ctx, ev.ListChargersBySiteParams{SiteID: siteB, Limit: 10})
		bNoErr(t, "site B", err)
		bLen(t, "site B", rows, 1)
		r := rows[0]
		bEq(t, "id", r.ID, c4)
		bEq(t, "device", r.DeviceID, int64(2001))
		bEq(t, "name", r.Name, "Depot")
		bEqDec(t, "max power", r.MaxPowerKw, "50")
		bEq(t, "status", r.Status, ev.ChargersStatusOffline)
		if time.Since(r.CreatedAt).Abs() > time.Hour {
			t.Errorf("created_at = %v, not about now", r.CreatedAt)
		}
	})

	t.Run("UpsertConnector", func(t *testing.T) {
		upsert := func(charger int64, no int32, plug ev.ConnectorsPlug, kw string, at time.Time) int64 {
			t.Helper()
			n, err := q.UpsertConnector(ctx, ev.UpsertConnectorParams{ChargerID: charger, ConnectorNo: no, Plug: plug, MaxPowerKw: bDec(kw), UpdatedAt: at})
			bNoErr(t, "upsert", err)
			return n
		}
		bEq(t, "insert c1#1", upsert(c1, 1, ev.ConnectorsPlugType2, "22", t0), 1)
		bEq(t, "insert c1#2", upsert(c1, 2, ev.ConnectorsPlugCcs2, "50", t0), 1)
		bEq(t, "insert c2#1", upsert(c2, 1, ev.ConnectorsPlugChademo, "50", t0), 1)
		bEq(t, "update c1#2", upsert(c1, 2, ev.ConnectorsPlugCcs2, "150", t0.Add(time.Hour)), 2)
		bEq(t, "unchanged c1#2", upsert(c1, 2, ev.ConnectorsPlugCcs2, "150", t0.Add(time.Hour)), 0)
	})

	var conn11, conn12, conn21 int64
	bStep(t, "ListConnectorsByChargers", func(t *testing.T) {
		rows, err := q.ListConnectorsByChargers(ctx, []int64{c2, c1})
		bNoErr(t, "list", err)
		bLen(t, "c1+c2", rows, 3)
		type key struct {
			charger int64
			no      int32
		}
		want := []key{{c1, 1}, {c1, 2}, {c2, 1}}
		for i, r := range rows {
			bEq(t, "row", key{r.ChargerID, r.ConnectorNo}, want[i])
		}
		bEq(t, "c1#2 plug", rows[1].Plug, ev.ConnectorsPlugCcs2)
		bEqDec(t, "c1#2 power after update", rows[1].MaxPowerKw, "150")
		bEqTime(t, "c1#2 updated_at", rows[1].UpdatedAt, t0.Add(time.Hour))
		bEqDec(t, "c1#1 power", rows[0].MaxPowerKw, "22")
		conn11, conn12, conn21 = rows[0].ID, rows[1].ID, rows[2].ID

		rows, err = q.ListConnectorsByChargers(ctx, []int64{c3})
		bNoErr(t, "c3", err)
		bLen(t, "charger without connectors", rows, 0)
		rows, err = q.ListConnectorsByChargers(ctx, []int64{})
		bNoErr(t, "empty slice", err)
		bLen(t, "empty slice", rows, 0)
	})

	var s1, s2, s3, s4 int64
	bStep(t, "StartSession", func(t *testing.T) {
		start := func(charger, conn int64, user int64, tag string, at time.Time, meter string) int64 {
			t.Helper()
			id, err := q.StartSession(ctx, ev.StartSessionParams{ChargerID: charger, ConnectorID: conn, UserID: sql.NullInt64{Int64: user, Valid: user != 0}, IDTag: tag, StartedAt: at, MeterStartWh: bDec(meter)})
			bNoErr(t, "start", err)
			return id
		}
		s1 = start(c1, conn11, 7, "TAG7", t0, "1000.000")
		s2 = start(c1, conn12, 7, "TAG7", t0.Add(time.Hour), "500")
		s3 = start(c2, conn21, 8, "TAG8", t0.Add(2*time.Hour), "0")
		s4 = start(c1, conn11, 0, "GUEST", t0.Add(4*time.Hour), "3500.5")
		bEq(t, "s1", s1, 1)
		bEq(t, "s2", s2, s1+1)
		bEq(t, "s3", s3, s1+2)
		bEq(t, "s4", s4, s1+3)
	})

	t.Run("GetActiveSessionByConnector", func(t *testing.T) {
		// conn11 has two open sessions (s1 at t0, s4 at t0+4h): the newest wins.
		r, err := q.GetActiveSessionByConnector(ctx, conn11)
		bNoErr(t, "conn11", err)
		bEq(t, "id", r.ID, s4)
		bEq(t, "user (guest)", r.UserID, sql.NullInt64{})
		r, err = q.GetActiveSessionByConnector(ctx, conn12)
		bNoErr(t, "conn12", err)
		bEq(t, "id", r.ID, s2)
		bEq(t, "charger", r.ChargerID, c1)
		bEq(t, "connector", r.ConnectorID, conn12)
		bEq(t, "user", r.UserID, sql.NullInt64{Int64: 7, Valid: true})
		bEq(t, "tag", r.IDTag, "TAG7")
		bEqTime(t, "started", r.StartedAt, t0.Add(time.Hour))
		bEqDec(t, "meter start", r.MeterStartWh, "500")
	})

	t.Run("InsertMeterValue", func(t *testing.T) {
		put := func(at time.Duration, e, p string, soc float64) {
			t.Helper()
			err := q.InsertMeterValue(ctx, ev.InsertMeterValueParams{SessionID: s1, Ts: t0.Add(at), EnergyWh: bDec(e), PowerW: bDec(p), SocPct: sql.NullFloat64{Float64: soc, Valid: soc >= 0}})
			bNoErr(t, "insert", err)
		}
		put(5*time.Minute, "1500", "6000", 20)
		put(10*time.Minute, "2000", "6000", -1)
		put(15*time.Minute, "2500", "5800.5", 30.5)
		put(10*time.Minute, "2100.25", "6100", 25) // same ts: overwrites
		if err := q.InsertMeterValue(ctx, ev.InsertMeterValueParams{SessionID: 999, Ts: t0, EnergyWh: bDec("1"), PowerW: bDec("1")}); err == nil {
			t.Error("a meter value for an unknown session was accepted")
		}
	})

	t.Run("ListSessionMeterValues", func(t *testing.T) {
		list := func(after time.Time, limit int32) []ev.SessionMeterValue {
			t.Helper()
			rows, err := q.ListSessionMeterValues(ctx, ev.ListSessionMeterValuesParams{SessionID: s1, AfterTs: after, Limit: limit})
			bNoErr(t, "list", err)
			return rows
		}
		rows := list(t0, 2)
		bLen(t, "page 1", rows, 2)
		bEqTime(t, "first ts", rows[0].Ts, t0.Add(5*time.Minute))
		bEqDec(t, "first energy", rows[0].EnergyWh, "1500")
		bEq(t, "first soc", rows[0].SocPct, sql.NullFloat64{Float64: 20, Valid: true})
		bEqTime(t, "second ts", rows[1].Ts, t0.Add(10*time.Minute))
		bEqDec(t, "overwritten energy", rows[1].EnergyWh, "2100.25")
		bEqDec(t, "overwritten power", rows[1].PowerW, "6100")
		bEq(t, "overwritten soc", rows[1].SocPct, sql.NullFloat64{Float64: 25, Valid: true})
		rows = list(rows[1].Ts, 2)
		bLen(t, "page 2", rows, 1)
		bEqTime(t, "third ts", rows[0].Ts, t0.Add(15*time.Minute))
		bEqDec(t, "third power", rows[0].PowerW, "5800.5")
		bLen(t, "page 3", list(rows[0].Ts, 2), 0)
		other, err := q.ListSessionMeterValues(ctx, ev.ListSessionMeterValuesParams{SessionID: s2, AfterTs: t0, Limit: 10})
		bNoErr(t, "s2", err)
		bLen(t, "s2 has no values", other, 0)
	})

	bStep(t, "StopSession", func(t *testing.T) {
		stop := func(id int64, at time.Time, meter string, reason ev.ChargingSessionsStopReason) int64 {
			t.Helper()
			n, err := q.StopSession(ctx, ev.StopSessionParams{ID: id, StoppedAt: at, MeterStopWh: bDec(meter), StopReason: ev.NullChargingSessionsStopReason{ChargingSessionsStopReason: reason, Valid: true}})
			bNoErr(t, "stop", err)
			return n
		}
		bEq(t, "stop s1", stop(s1, t0.Add(30*time.Minute), "3500.5", ev.ChargingSessionsStopReasonRemote), 1)
		bEq(t, "stop s1 again", stop(s1, t0.Add(40*time.Minute), "9999", ev.ChargingSessionsStopReasonLocal), 0)
		bEq(t, "stop s3", stop(s3, t0.Add(3*time.Hour), "7200", ev.ChargingSessionsStopReasonEvdisconnected), 1)
		bEq(t, "stop s4", stop(s4, t0.Add(5*time.Hour), "4500.5", ev.ChargingSessionsStopReasonLocal), 1)
		bEq(t, "stop unknown", stop(999, t0, "1", ev.ChargingSessionsStopReasonOther), 0)
		_, err := q.GetActiveSessionByConnector(ctx, conn11)
		bNoRows(t, "conn11 after stopping s1 and s4", err)
	})

	t.Run("ListUserSessions", func(t *testing.T) {
		list := func(user int64, from, to time.Time, limit int32) []ev.ListUserSessionsRow {
			t.Helper()
			rows, err := q.ListUserSessions(ctx, ev.ListUserSessionsParams{UserID: sql.NullInt64{Int64: user, Valid: true}, FromTs: from, ToTs: to, Limit: limit})
			bNoErr(t, "list", err)
			return rows
		}
		day := t0.Add(24 * time.Hour)
		rows := list(7, t0, day, 10)
		bLen(t, "user 7", rows, 2)
		bEq(t, "newest first", rows[0].ID, s2)
		bEq(t, "then", rows[1].ID, s1)
		bEqNullTime(t, "s2 stopped", rows[0].StoppedAt, time.Time{})
		bEqNullDec(t, "s2 energy", rows[0].EnergyWh, "")
		bEq(t, "s2 reason", rows[0].StopReason.Valid, false)
		bEqNullTime(t, "s1 stopped", rows[1].StoppedAt, t0.Add(30*time.Minute))
		bEqNullDec(t, "s1 energy = stop - start", rows[1].EnergyWh, "2500.5")
		bEq(t, "s1 reason", rows[1].StopReason, ev.NullChargingSessionsStopReason{ChargingSessionsStopReason: ev.ChargingSessionsStopReasonRemote, Valid: true})
		bEq(t, "s1 tag", rows[1].IDTag, "TAG7")
		bEq(t, "s1 connector", rows[1].ConnectorID, conn11)
		if got := list(7, t0, day, 1); len(got) != 1 || got[0].ID != s2 {
			t.Errorf("limit 1 = %+v, want only s2", got)
		}
		if got := list(7, t0.Add(time.Microsecond), day, 10); len(got) != 1 || got[0].ID != s2 {
			t.Errorf("from after s1 start = %+v, want only s2", got)
		}
		if got := list(7, t0, t0.Add(time.Hour), 10); len(got) != 1 || got[0].ID != s1 {
			t.Errorf("to = s2 start (exclusive) = %+v, want only s1", got)
		}
		if got := list(8, t0, day, 10); len(got) != 1 || got[0].ID != s3 || !got[0].EnergyWh.Decimal.Equal(bDec("7200")) {
			t.Errorf("user 8 = %+v, want s3 with 7200 Wh", got)
		}
		bLen(t, "user without sessions", list(9, t0, day, 10), 0)
	})

	t.Run("SiteChargerEnergy", func(t *testing.T) {
		energy := func(site int64, from, to time.Time) []ev.SiteChargerEnergyRow {
			t.Helper()
			rows, err := q.SiteChargerEnergy(ctx, ev.SiteChargerEnergyParams{SiteID: site, FromTs: from, ToTs: to})
			bNoErr(t, "energy", err)
			return rows
		}
		rows := energy(siteA, t0, t0.Add(24*time.Hour))
		bLen(t, "day", rows, 2)
		bEq(t, "charger 1", rows[0].ChargerID, c1)
		bEq(t, "c1 sessions (s1, s4; s2 is open)", rows[0].Sessions, 2)
		bEqDec(t, "c1 energy 2500.5 + 1000", rows[0].EnergyWh, "3500.5")
		bEq(t, "charger 2", rows[1].ChargerID, c2)
		bEq(t, "c2 sessions", rows[1].Sessions, 1)
		bEqDec(t, "c2 energy", rows[1].EnergyWh, "7200")
		// s3 stopped exactly at t0+3h: excluded by the exclusive upper bound.
		rows = energy(siteA, t0, t0.Add(3*time.Hour))
		bLen(t, "until s3 stop", rows, 1)
		bEq(t, "only c1", rows[0].ChargerID, c1)
		bEq(t, "only s1", rows[0].Sessions, 1)
		bEqDec(t, "s1 energy", rows[0].EnergyWh, "2500.5")
		bLen(t, "site B has no sessions", energy(siteB, t0, t0.Add(24*time.Hour)), 0)
	})
}
