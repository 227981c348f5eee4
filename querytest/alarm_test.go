package querytest_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/gen/alarm"
	"github.com/solarhub/hubdb/hubtest"
)

// Helpers shared by the alarm, analysis, billing, maintenance, notification
// and audit tests (prefixed cx to stay clear of other files' helpers).

// cxDec parses a decimal literal.
func cxDec(t testing.TB, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("decimal %q: %v", s, err)
	}
	return d
}

// cxDecEq fails unless got equals the decimal literal want numerically.
func cxDecEq(t testing.TB, what string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(cxDec(t, want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// cxTimeEq fails unless got is the same instant as want and in UTC.
func cxTimeEq(t testing.TB, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	if got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", what, got.Location())
	}
}

// cxNullTimeEq fails unless got holds want (or is NULL when want is nil).
func cxNullTimeEq(t testing.TB, what string, got sql.NullTime, want *time.Time) {
	t.Helper()
	switch {
	case want == nil && got.Valid:
		t.Errorf("%s = %v, want NULL", what, got.Time)
	case want != nil && !got.Valid:
		t.Errorf("%s = NULL, want %v", what, *want)
	case want != nil:
		cxTimeEq(t, what, got.Time, *want)
	}
}

// cxN fails unless a rows-affected count is want.
func cxN(t testing.TB, what string, n int64, err error, want int64) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if n != want {
		t.Errorf("%s: rows affected = %d, want %d", what, n, want)
	}
}

// cxIDs maps rows to their ids.
func cxIDs[T any](rows []T, id func(T) int64) []int64 {
	out := make([]int64, 0, len(rows))
	for _, r := range rows {
		out = append(out, id(r))
	}
	return out
}

// cxIDsEq fails unless got and want hold the same ids in the same order.
func cxIDsEq(t testing.TB, what string, got, want []int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: ids = %v, want %v", what, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s: ids = %v, want %v", what, got, want)
			return
		}
	}
}

// cxJSONEq fails unless got and want are the same JSON value.
func cxJSONEq(t testing.TB, what string, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: invalid JSON %q: %v", what, got, err)
		return
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: invalid wanted JSON %q: %v", what, want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func cxI64(v int64) sql.NullInt64   { return sql.NullInt64{Int64: v, Valid: true} }
func cxStr(v string) sql.NullString { return sql.NullString{String: v, Valid: true} }

func TestAlarmQueries(t *testing.T) {
	db := hubtest.New(t, "alarm").DB("alarm")
	q := alarm.New(db)
	ctx := t.Context()
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 123456000, time.UTC)

	// Rules: org 10 has r1 (enabled), r2 (disabled), r3 (enabled); org 11 has r4.
	newRule := func(org int64, name string, enabled bool) int64 {
		t.Helper()
		id, err := q.CreateAlarmRule(ctx, alarm.CreateAlarmRuleParams{
			OrgID: org, Name: name, Metric: "inverter.temperature_c", Comparator: alarm.AlarmRulesComparatorGte,
			Threshold: cxDec(t, "85.500"), Severity: alarm.AlarmRulesSeverityMajor, Enabled: enabled,
		})
		if err != nil {
			t.Fatalf("CreateAlarmRule %s: %v", name, err)
		}
		return id
	}
	var r1, r2, r3, r4 int64
	t.Run("CreateAlarmRule", func(t *testing.T) {
		r1 = newRule(10, "overtemp", true)
		r2 = newRule(10, "undervolt", false)
		r3 = newRule(10, "offline", true)
		r4 = newRule(11, "other org", true)
		if r1 <= 0 || r2 != r1+1 || r3 != r2+1 || r4 != r3+1 {
			t.Fatalf("last insert ids = %d %d %d %d, want consecutive positive ids", r1, r2, r3, r4)
		}
	})

	listRules := func(t *testing.T, after int64, limit int32) []int64 {
		t.Helper()
		rows, err := q.ListEnabledAlarmRules(ctx, alarm.ListEnabledAlarmRulesParams{OrgID: 10, AfterID: after, Limit: limit})
		if err != nil {
			t.Fatalf("ListEnabledAlarmRules: %v", err)
		}
		for _, r := range rows {
			if r.OrgID != 10 || !r.Enabled {
				t.Errorf("rule %d: org %d enabled %v, want org 10 enabled", r.ID, r.OrgID, r.Enabled)
			}
		}
		return cxIDs(rows, func(r alarm.AlarmRule) int64 { return r.ID })
	}
	t.Run("ListEnabledAlarmRules", func(t *testing.T) {
		rows, err := q.ListEnabledAlarmRules(ctx, alarm.ListEnabledAlarmRulesParams{OrgID: 10, AfterID: 0, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		cxIDsEq(t, "all", cxIDs(rows, func(r alarm.AlarmRule) int64 { return r.ID }), []int64{r1, r3})
		if len(rows) > 0 {
			r := rows[0]
			if r.Name != "overtemp" || r.Metric != "inverter.temperature_c" || r.Comparator != alarm.AlarmRulesComparatorGte ||
				r.Severity != alarm.AlarmRulesSeverityMajor {
				t.Errorf("rule = %+v", r)
			}
			cxDecEq(t, "threshold", r.Threshold, "85.5")
			if r.CreatedAt.IsZero() {
				t.Error("created_at not set by default")
			}
		}
		cxIDsEq(t, "first page", listRules(t, 0, 1), []int64{r1})
		cxIDsEq(t, "second page", listRules(t, r1, 1), []int64{r3})
		cxIDsEq(t, "after last", listRules(t, r3, 1), nil)
	})

	t.Run("SetAlarmRuleEnabled", func(t *testing.T) {
		if err := q.SetAlarmRuleEnabled(ctx, alarm.SetAlarmRuleEnabledParams{Enabled: true, ID: r2}); err != nil {
			t.Fatal(err)
		}
		cxIDsEq(t, "after enabling r2", listRules(t, 0, 10), []int64{r1, r2, r3})
		if err := q.SetAlarmRuleEnabled(ctx, alarm.SetAlarmRuleEnabledParams{Enabled: false, ID: r1}); err != nil {
			t.Fatal(err)
		}
		cxIDsEq(t, "after disabling r1", listRules(t, 0, 10), []int64{r2, r3})
	})

	raise := func(t *testing.T, site int64, device sql.NullInt64, key sql.NullString, sev alarm.AlarmsSeverity, msg string, at time.Time) int64 {
		t.Helper()
		n, err := q.RaiseAlarm(ctx, alarm.RaiseAlarmParams{
			RuleID: cxI64(r3), OrgID: 10, SiteID: site, DeviceID: device, Code: "overtemp", DedupKey: key,
			Severity: sev, Message: msg, Details: json.RawMessage(`{"temperature_c": 91.5, "limit": 85.5}`), RaisedAt: at,
		})
		if err != nil {
			t.Fatalf("RaiseAlarm: %v", err)
		}
		return n
	}
	getByKey := func(t *testing.T, key string) alarm.Alarm {
		t.Helper()
		a, err := q.GetOpenAlarmByDedupKey(ctx, cxStr(key))
		if err != nil {
			t.Fatalf("GetOpenAlarmByDedupKey(%q): %v", key, err)
		}
		return a
	}

	// Alarms on site 100: a1 (device 200, keyed), a2/a3 (unkeyed, warning), plus a4 on site 101.
	const key1 = "site:100/device:200/overtemp"
	var a1, a2, a3, a4 int64
	t.Run("RaiseAlarm", func(t *testing.T) {
		if n := raise(t, 100, cxI64(200), cxStr(key1), alarm.AlarmsSeverityMajor, "inverter hot", t0); n != 1 {
			t.Errorf("first raise: rows affected = %d, want 1 (insert)", n)
		}
		a1 = getByKey(t, key1).ID
		if n := raise(t, 100, cxI64(200), cxStr(key1), alarm.AlarmsSeverityCritical, "inverter very hot", t0.Add(time.Minute)); n != 2 {
			t.Errorf("repeat raise: rows affected = %d, want 2 (update)", n)
		}
		a := getByKey(t, key1)
		if a.ID != a1 || a.Occurrences != 2 || a.Severity != alarm.AlarmsSeverityCritical || a.Message != "inverter very hot" {
			t.Errorf("refreshed alarm = id %d occurrences %d severity %s message %q, want id %d, 2, critical, new message",
				a.ID, a.Occurrences, a.Severity, a.Message, a1)
		}
		cxTimeEq(t, "raised_at kept", a.RaisedAt, t0)
		want := t0.Add(time.Minute)
		cxNullTimeEq(t, "last_seen_at", a.LastSeenAt, &want)

		// Without a dedup key every raise is a new alarm.
		for i := range 2 {
			if n := raise(t, 100, sql.NullInt64{}, sql.NullString{}, alarm.AlarmsSeverityWarning, "grid voltage high", t0.Add(time.Duration(i+2)*time.Minute)); n != 1 {
				t.Errorf("unkeyed raise %d: rows affected = %d, want 1", i, n)
			}
		}
		// The refresh above consumed an AUTO_INCREMENT value (InnoDB allocates one before it
		// detects the duplicate), so read the new ids instead of assuming a1+1, a1+2.
		var ids []int64
		rows, err := db.QueryContext(ctx, "SELECT id FROM alarms WHERE dedup_key IS NULL ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if len(ids) != 2 || ids[0] <= a1 || ids[1] != ids[0]+1 {
			t.Fatalf("unkeyed alarm ids = %v, want two consecutive ids after %d", ids, a1)
		}
		a2, a3 = ids[0], ids[1]
		if n := raise(t, 101, cxI64(300), cxStr("site:101/device:300/overtemp"), alarm.AlarmsSeverityInfo, "warm", t0); n != 1 {
			t.Errorf("site 101 raise: rows affected = %d, want 1", n)
		}
		a4 = getByKey(t, "site:101/device:300/overtemp").ID
		if a4 != a3+1 {
			t.Errorf("a4 = %d, want %d", a4, a3+1)
		}
	})

	t.Run("GetAlarm", func(t *testing.T) {
		a, err := q.GetAlarm(ctx, a1)
		if err != nil {
			t.Fatal(err)
		}
		if a.RuleID != cxI64(r3) || a.OrgID != 10 || a.SiteID != 100 || a.DeviceID != cxI64(200) || a.Code != "overtemp" ||
			a.DedupKey != cxStr(key1) || a.State != alarm.AlarmsStateActive || a.AcknowledgedBy.Valid {
			t.Errorf("alarm = %+v", a)
		}
		cxJSONEq(t, "details", a.Details, `{"limit": 85.5, "temperature_c": 91.5}`)
		cxNullTimeEq(t, "acknowledged_at", a.AcknowledgedAt, nil)
		cxNullTimeEq(t, "cleared_at", a.ClearedAt, nil)

		b, err := q.GetAlarm(ctx, a2)
		if err != nil {
			t.Fatal(err)
		}
		if b.DeviceID.Valid || b.DedupKey.Valid || b.Occurrences != 1 || b.LastSeenAt.Valid || b.Severity != alarm.AlarmsSeverityWarning {
			t.Errorf("unkeyed alarm = %+v, want NULL device, NULL key, 1 occurrence, NULL last_seen_at", b)
		}
		if _, err := q.GetAlarm(ctx, a4+100); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("missing alarm: err = %v, want sql.ErrNoRows", err)
		}
	})

	t.Run("GetOpenAlarmByDedupKey", func(t *testing.T) {
		if a := getByKey(t, key1); a.ID != a1 {
			t.Errorf("id = %d, want %d", a.ID, a1)
		}
		if _, err := q.GetOpenAlarmByDedupKey(ctx, cxStr("nope")); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("unknown key: err = %v, want sql.ErrNoRows", err)
		}
	})

	ackAt := t0.Add(5 * time.Minute)
	t.Run("AcknowledgeAlarm", func(t *testing.T) {
		n, err := q.AcknowledgeAlarm(ctx, alarm.AcknowledgeAlarmParams{AcknowledgedAt: ackAt, UserID: 42, ID: a1})
		cxN(t, "acknowledge active", n, err, 1)
		a, err := q.GetAlarm(ctx, a1)
		if err != nil {
			t.Fatal(err)
		}
		if a.State != alarm.AlarmsStateAcknowledged || a.AcknowledgedBy != cxI64(42) {
			t.Errorf("state %s by %v, want acknowledged by 42", a.State, a.AcknowledgedBy)
		}
		cxNullTimeEq(t, "acknowledged_at", a.AcknowledgedAt, &ackAt)
		n, err = q.AcknowledgeAlarm(ctx, alarm.AcknowledgeAlarmParams{AcknowledgedAt: ackAt.Add(time.Hour), UserID: 43, ID: a1})
		cxN(t, "acknowledge twice", n, err, 0)
		if a, _ := q.GetAlarm(ctx, a1); a.AcknowledgedBy != cxI64(42) {
			t.Errorf("second acknowledge overwrote acknowledged_by: %v", a.AcknowledgedBy)
		}
	})

	clearAt := t0.Add(10 * time.Minute)
	var a5 int64
	t.Run("ClearAlarm", func(t *testing.T) {
		n, err := q.ClearAlarm(ctx, alarm.ClearAlarmParams{ClearedAt: clearAt, ID: a1})
		cxN(t, "clear", n, err, 1)
		a, err := q.GetAlarm(ctx, a1)
		if err != nil {
			t.Fatal(err)
		}
		if a.State != alarm.AlarmsStateCleared || a.DedupKey.Valid {
			t.Errorf("state %s key %v, want cleared with NULL key", a.State, a.DedupKey)
		}
		cxNullTimeEq(t, "cleared_at", a.ClearedAt, &clearAt)
		n, err = q.ClearAlarm(ctx, alarm.ClearAlarmParams{ClearedAt: clearAt.Add(time.Hour), ID: a1})
		cxN(t, "clear twice", n, err, 0)
		if _, err := q.GetOpenAlarmByDedupKey(ctx, cxStr(key1)); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("cleared alarm still found by key: err = %v", err)
		}
		// The key is free again: the same condition raises a new alarm.
		if n := raise(t, 100, cxI64(200), cxStr(key1), alarm.AlarmsSeverityMajor, "inverter hot again", t0.Add(20*time.Minute)); n != 1 {
			t.Errorf("raise after clear: rows affected = %d, want 1", n)
		}
		a5 = getByKey(t, key1).ID
		if a5 != a4+1 {
			t.Errorf("new alarm id = %d, want %d", a5, a4+1)
		}
	})

	t.Run("ListSiteAlarms", func(t *testing.T) {
		list := func(p alarm.ListSiteAlarmsParams) []int64 {
			t.Helper()
			rows, err := q.ListSiteAlarms(ctx, p)
			if err != nil {
				t.Fatalf("ListSiteAlarms(%+v): %v", p, err)
			}
			for _, r := range rows {
				if r.SiteID != p.SiteID {
					t.Errorf("alarm %d of site %d in site %d list", r.ID, r.SiteID, p.SiteID)
				}
			}
			return cxIDs(rows, func(a alarm.Alarm) int64 { return a.ID })
		}
		cxIDsEq(t, "no filter", list(alarm.ListSiteAlarmsParams{SiteID: 100, Limit: 10}), []int64{a1, a2, a3, a5})
		cxIDsEq(t, "site 101", list(alarm.ListSiteAlarmsParams{SiteID: 101, Limit: 10}), []int64{a4})
		active := alarm.NullAlarmsState{AlarmsState: alarm.AlarmsStateActive, Valid: true}
		cxIDsEq(t, "active", list(alarm.ListSiteAlarmsParams{SiteID: 100, State: active, Limit: 10}), []int64{a2, a3, a5})
		cleared := alarm.NullAlarmsState{AlarmsState: alarm.AlarmsStateCleared, Valid: true}
		cxIDsEq(t, "cleared", list(alarm.ListSiteAlarmsParams{SiteID: 100, State: cleared, Limit: 10}), []int64{a1})
		warning := alarm.NullAlarmsSeverity{AlarmsSeverity: alarm.AlarmsSeverityWarning, Valid: true}
		cxIDsEq(t, "warning", list(alarm.ListSiteAlarmsParams{SiteID: 100, Severity: warning, Limit: 10}), []int64{a2, a3})
		major := alarm.NullAlarmsSeverity{AlarmsSeverity: alarm.AlarmsSeverityMajor, Valid: true}
		cxIDsEq(t, "active major", list(alarm.ListSiteAlarmsParams{SiteID: 100, State: active, Severity: major, Limit: 10}), []int64{a5})
		cxIDsEq(t, "cleared warning", list(alarm.ListSiteAlarmsParams{SiteID: 100, State: cleared, Severity: warning, Limit: 10}), nil)
		cxIDsEq(t, "page 1", list(alarm.ListSiteAlarmsParams{SiteID: 100, Limit: 2}), []int64{a1, a2})
		cxIDsEq(t, "page 2", list(alarm.ListSiteAlarmsParams{SiteID: 100, AfterID: a2, Limit: 2}), []int64{a3, a5})
		cxIDsEq(t, "page 3", list(alarm.ListSiteAlarmsParams{SiteID: 100, AfterID: a5, Limit: 2}), nil)
	})

	t.Run("CountOpenAlarmsBySite", func(t *testing.T) {
		rows, err := q.CountOpenAlarmsBySite(ctx, alarm.CountOpenAlarmsBySiteParams{SiteIds: []int64{100, 101, 999}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		// ENUM columns sort by their declared order: info < warning < major < critical.
		want := []alarm.CountOpenAlarmsBySiteRow{
			{SiteID: 100, Severity: alarm.AlarmsSeverityWarning, OpenCount: 2},
			{SiteID: 100, Severity: alarm.AlarmsSeverityMajor, OpenCount: 1},
			{SiteID: 101, Severity: alarm.AlarmsSeverityInfo, OpenCount: 1},
		}
		if len(rows) != len(want) {
			t.Fatalf("rows = %+v, want %+v", rows, want)
		}
		for i := range want {
			if rows[i] != want[i] {
				t.Errorf("row %d = %+v, want %+v", i, rows[i], want[i])
			}
		}
		rows, err = q.CountOpenAlarmsBySite(ctx, alarm.CountOpenAlarmsBySiteParams{SiteIds: []int64{101}, Limit: 10})
		if err != nil || len(rows) != 1 || rows[0] != want[2] {
			t.Errorf("site 101 only: rows = %+v, err = %v", rows, err)
		}
		rows, err = q.CountOpenAlarmsBySite(ctx, alarm.CountOpenAlarmsBySiteParams{SiteIds: []int64{100, 101}, Limit: 1})
		if err != nil || len(rows) != 1 || rows[0] != want[0] {
			t.Errorf("limit 1: rows = %+v, err = %v", rows, err)
		}
		rows, err = q.CountOpenAlarmsBySite(ctx, alarm.CountOpenAlarmsBySiteParams{SiteIds: nil, Limit: 10})
		if err != nil || len(rows) != 0 {
			t.Errorf("empty slice: rows = %+v, err = %v, want none", rows, err)
		}
	})

	t.Run("DeleteClearedAlarmsBefore", func(t *testing.T) {
		// Clear a2 and a3 later than a1: three cleared alarms in all.
		for i, id := range []int64{a2, a3} {
			n, err := q.ClearAlarm(ctx, alarm.ClearAlarmParams{ClearedAt: clearAt.Add(time.Duration(i+1) * time.Hour), ID: id})
			cxN(t, "clear", n, err, 1)
		}
		n, err := q.DeleteClearedAlarmsBefore(ctx, alarm.DeleteClearedAlarmsBeforeParams{Cutoff: clearAt, Limit: 100})
		cxN(t, "cutoff equal to the oldest clear", n, err, 0)
		n, err = q.DeleteClearedAlarmsBefore(ctx, alarm.DeleteClearedAlarmsBeforeParams{Cutoff: clearAt.Add(3 * time.Hour), Limit: 1})
		cxN(t, "batch of 1", n, err, 1)
		if _, err := q.GetAlarm(ctx, a1); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("oldest cleared alarm a1 not deleted first: err = %v", err)
		}
		n, err = q.DeleteClearedAlarmsBefore(ctx, alarm.DeleteClearedAlarmsBeforeParams{Cutoff: clearAt.Add(3 * time.Hour), Limit: 100})
		cxN(t, "rest", n, err, 2)
		rows, err := q.ListSiteAlarms(ctx, alarm.ListSiteAlarmsParams{SiteID: 100, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		cxIDsEq(t, "remaining site 100 alarms (open ones untouched)", cxIDs(rows, func(a alarm.Alarm) int64 { return a.ID }), []int64{a5})
	})
}
