package querytest_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/solarhub/hubdb/gen/audit"
	"github.com/solarhub/hubdb/hubtest"
)

func TestAuditQueries(t *testing.T) {
	db := hubtest.New(t, "audit").DB("audit")
	q := audit.New(db)
	ctx := t.Context()
	t0 := time.Date(2025, 10, 1, 8, 0, 0, 654321000, time.UTC)

	// Events: e1..e4 and e6 of org 10, e5 of org 11; e6 is a day old.
	var e1, e2, e3, e4, e5, e6 int64
	t.Run("InsertAuditEvent", func(t *testing.T) {
		insert := func(org int64, actorType audit.AuditEventsActorType, actor sql.NullInt64, action, entityType, entityID string,
			ip, req sql.NullString, at time.Time) int64 {
			t.Helper()
			id, err := q.InsertAuditEvent(ctx, audit.InsertAuditEventParams{
				OrgID: org, ActorType: actorType, ActorID: actor, Action: action, EntityType: entityType, EntityID: entityID,
				Details: json.RawMessage(`{"changed": ["name"], "by": "` + action + `"}`), Ip: ip, RequestID: req, OccurredAt: at,
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		user, key, sys := audit.AuditEventsActorTypeUser, audit.AuditEventsActorTypeApikey, audit.AuditEventsActorTypeSystem
		none := sql.NullString{}
		e1 = insert(10, user, cxI64(42), "site.update", "site", "100", cxStr("203.0.113.5"), cxStr("req-1"), t0)
		e2 = insert(10, user, cxI64(42), "device.create", "device", "200", cxStr("203.0.113.5"), cxStr("req-1"), t0.Add(time.Minute))
		e3 = insert(10, key, cxI64(7), "site.update", "site", "100", none, cxStr("req-2"), t0.Add(2*time.Minute))
		e4 = insert(10, sys, sql.NullInt64{}, "alarm.clear", "alarm", "5", none, none, t0.Add(3*time.Minute))
		e5 = insert(11, user, cxI64(50), "site.update", "site", "300", none, none, t0.Add(time.Minute))
		e6 = insert(10, user, cxI64(42), "site.update", "site", "100", none, none, t0.Add(-24*time.Hour))
		got := []int64{e1, e2, e3, e4, e5, e6}
		for i := 1; i < len(got); i++ {
			if got[0] <= 0 || got[i] != got[i-1]+1 {
				t.Fatalf("ids = %v, want consecutive", got)
			}
		}
	})

	ids := func(rows []audit.AuditEvent) []int64 {
		return cxIDs(rows, func(e audit.AuditEvent) int64 { return e.ID })
	}

	t.Run("GetAuditEvent", func(t *testing.T) {
		e, err := q.GetAuditEvent(ctx, e1)
		if err != nil {
			t.Fatal(err)
		}
		if e.OrgID != 10 || e.ActorType != audit.AuditEventsActorTypeUser || e.ActorID != cxI64(42) || e.Action != "site.update" ||
			e.EntityType != "site" || e.EntityID != "100" || e.Ip != cxStr("203.0.113.5") || e.RequestID != cxStr("req-1") {
			t.Errorf("e1 = %+v", e)
		}
		cxTimeEq(t, "occurred_at", e.OccurredAt, t0)
		cxJSONEq(t, "details", e.Details, `{"by": "site.update", "changed": ["name"]}`)
		e, err = q.GetAuditEvent(ctx, e4)
		if err != nil {
			t.Fatal(err)
		}
		if e.ActorType != audit.AuditEventsActorTypeSystem || e.ActorID.Valid || e.Ip.Valid || e.RequestID.Valid {
			t.Errorf("e4 = %+v, want system actor with NULL actor, ip and request", e)
		}
		if _, err := q.GetAuditEvent(ctx, e6+100); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("missing: err = %v, want sql.ErrNoRows", err)
		}
	})

	t.Run("ListOrgAuditEvents", func(t *testing.T) {
		list := func(p audit.ListOrgAuditEventsParams) []int64 {
			t.Helper()
			if p.FromTs.IsZero() {
				p.FromTs, p.ToTs = t0, t0.Add(time.Hour)
			}
			rows, err := q.ListOrgAuditEvents(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.OrgID != p.OrgID {
					t.Errorf("event %d of org %d listed for %d", r.ID, r.OrgID, p.OrgID)
				}
			}
			return ids(rows)
		}
		cxIDsEq(t, "org 10, last hour", list(audit.ListOrgAuditEventsParams{OrgID: 10, Limit: 10}), []int64{e1, e2, e3, e4})
		cxIDsEq(t, "org 10, two days", list(audit.ListOrgAuditEventsParams{OrgID: 10, FromTs: t0.Add(-48 * time.Hour), ToTs: t0.Add(time.Hour), Limit: 10}),
			[]int64{e1, e2, e3, e4, e6})
		cxIDsEq(t, "to bound exclusive", list(audit.ListOrgAuditEventsParams{OrgID: 10, FromTs: t0, ToTs: t0.Add(2 * time.Minute), Limit: 10}), []int64{e1, e2})
		cxIDsEq(t, "org 11", list(audit.ListOrgAuditEventsParams{OrgID: 11, Limit: 10}), []int64{e5})
		cxIDsEq(t, "actor 42", list(audit.ListOrgAuditEventsParams{OrgID: 10, ActorID: cxI64(42), Limit: 10}), []int64{e1, e2})
		cxIDsEq(t, "action site.update", list(audit.ListOrgAuditEventsParams{OrgID: 10, Action: cxStr("site.update"), Limit: 10}), []int64{e1, e3})
		cxIDsEq(t, "actor 42 and site.update", list(audit.ListOrgAuditEventsParams{OrgID: 10, ActorID: cxI64(42), Action: cxStr("site.update"), Limit: 10}), []int64{e1})
		cxIDsEq(t, "actor 7 and alarm.clear", list(audit.ListOrgAuditEventsParams{OrgID: 10, ActorID: cxI64(7), Action: cxStr("alarm.clear"), Limit: 10}), nil)
		cxIDsEq(t, "page 1", list(audit.ListOrgAuditEventsParams{OrgID: 10, Limit: 3}), []int64{e1, e2, e3})
		cxIDsEq(t, "page 2", list(audit.ListOrgAuditEventsParams{OrgID: 10, AfterID: e3, Limit: 3}), []int64{e4})
		cxIDsEq(t, "page 3", list(audit.ListOrgAuditEventsParams{OrgID: 10, AfterID: e4, Limit: 3}), nil)
	})

	t.Run("ListEntityHistory", func(t *testing.T) {
		list := func(typ, id string, limit int32) []int64 {
			t.Helper()
			rows, err := q.ListEntityHistory(ctx, audit.ListEntityHistoryParams{EntityType: typ, EntityID: id, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			return ids(rows)
		}
		cxIDsEq(t, "site 100, newest first", list("site", "100", 10), []int64{e3, e1, e6})
		cxIDsEq(t, "site 100, limit 2", list("site", "100", 2), []int64{e3, e1})
		cxIDsEq(t, "device 200", list("device", "200", 10), []int64{e2})
		cxIDsEq(t, "device 100 (type matters)", list("device", "100", 10), nil)
	})

	t.Run("ListAuditEventsByIDs", func(t *testing.T) {
		list := func(in []int64, limit int32) []int64 {
			t.Helper()
			rows, err := q.ListAuditEventsByIDs(ctx, audit.ListAuditEventsByIDsParams{Ids: in, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			return ids(rows)
		}
		cxIDsEq(t, "ids", list([]int64{e4, e1, e6 + 100, e5}, 10), []int64{e1, e4, e5})
		cxIDsEq(t, "limit 2", list([]int64{e4, e1, e5}, 2), []int64{e1, e4})
		cxIDsEq(t, "single", list([]int64{e2}, 10), []int64{e2})
		cxIDsEq(t, "empty", list(nil, 10), nil)
	})

	t.Run("ListRequestAuditEvents", func(t *testing.T) {
		list := func(req string, limit int32) []int64 {
			t.Helper()
			rows, err := q.ListRequestAuditEvents(ctx, audit.ListRequestAuditEventsParams{RequestID: cxStr(req), Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			return ids(rows)
		}
		cxIDsEq(t, "req-1", list("req-1", 10), []int64{e1, e2})
		cxIDsEq(t, "req-1 limit 1", list("req-1", 1), []int64{e1})
		cxIDsEq(t, "req-2", list("req-2", 10), []int64{e3})
		cxIDsEq(t, "unknown", list("req-9", 10), nil)
	})

	t.Run("CountAuditActions", func(t *testing.T) {
		rows, err := q.CountAuditActions(ctx, audit.CountAuditActionsParams{OrgID: 10, FromTs: t0.Add(-48 * time.Hour), ToTs: t0.Add(time.Hour), Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		want := []audit.CountAuditActionsRow{
			{Action: "site.update", Events: 3, LastAt: t0.Add(2 * time.Minute)},
			{Action: "alarm.clear", Events: 1, LastAt: t0.Add(3 * time.Minute)},
			{Action: "device.create", Events: 1, LastAt: t0.Add(time.Minute)},
		}
		if len(rows) != len(want) {
			t.Fatalf("rows = %+v, want %+v", rows, want)
		}
		for i, w := range want {
			if rows[i].Action != w.Action || rows[i].Events != w.Events {
				t.Errorf("row %d = %+v, want %+v", i, rows[i], w)
			}
			cxTimeEq(t, w.Action+" last_at", rows[i].LastAt, w.LastAt)
		}
		rows, err = q.CountAuditActions(ctx, audit.CountAuditActionsParams{OrgID: 10, FromTs: t0, ToTs: t0.Add(time.Hour), Limit: 1})
		if err != nil || len(rows) != 1 || rows[0].Action != "site.update" || rows[0].Events != 2 {
			t.Errorf("last hour, limit 1 = %+v, %v, want site.update x2", rows, err)
		}
		rows, err = q.CountAuditActions(ctx, audit.CountAuditActionsParams{OrgID: 12, FromTs: t0, ToTs: t0.Add(time.Hour), Limit: 10})
		if err != nil || len(rows) != 0 {
			t.Errorf("org without events = %+v, %v", rows, err)
		}
	})

	t.Run("UpsertRetentionPolicy", func(t *testing.T) {
		upsert := func(org int64, days int32, want int64) {
			t.Helper()
			n, err := q.UpsertRetentionPolicy(ctx, audit.UpsertRetentionPolicyParams{OrgID: org, RetainDays: days})
			cxN(t, "UpsertRetentionPolicy", n, err, want)
		}
		upsert(10, 30, 1)
		upsert(10, 90, 2)
		upsert(10, 90, 0)
		upsert(12, 365, 1)
		upsert(11, 7, 1)
	})

	t.Run("GetRetentionPolicy", func(t *testing.T) {
		p, err := q.GetRetentionPolicy(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if p.OrgID != 10 || p.RetainDays != 90 || p.UpdatedAt.IsZero() {
			t.Errorf("policy = %+v, want org 10, 90 days", p)
		}
		if _, err := q.GetRetentionPolicy(ctx, 99); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("missing: err = %v, want sql.ErrNoRows", err)
		}
	})

	t.Run("ListRetentionPolicies", func(t *testing.T) {
		list := func(after int64, limit int32) []int64 {
			t.Helper()
			rows, err := q.ListRetentionPolicies(ctx, audit.ListRetentionPoliciesParams{AfterOrgID: after, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			return cxIDs(rows, func(p audit.RetentionPolicy) int64 { return p.OrgID })
		}
		cxIDsEq(t, "all", list(0, 10), []int64{10, 11, 12})
		cxIDsEq(t, "page 1", list(0, 2), []int64{10, 11})
		cxIDsEq(t, "page 2", list(11, 2), []int64{12})
		cxIDsEq(t, "page 3", list(12, 2), nil)
	})

	t.Run("DeleteAuditEventsBefore", func(t *testing.T) {
		del := func(org int64, cutoff time.Time, limit int32, want int64) {
			t.Helper()
			n, err := q.DeleteAuditEventsBefore(ctx, audit.DeleteAuditEventsBeforeParams{OrgID: org, Cutoff: cutoff, Limit: limit})
			cxN(t, "DeleteAuditEventsBefore", n, err, want)
		}
		del(10, t0.Add(-24*time.Hour), 10, 0) // cutoff exclusive
		del(10, t0, 10, 1)                    // e6
		del(10, t0.Add(2*time.Minute), 1, 1)  // oldest first: e1
		rows, err := q.ListAuditEventsByIDs(ctx, audit.ListAuditEventsByIDsParams{Ids: []int64{e1, e2, e3, e4, e5, e6}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		cxIDsEq(t, "remaining", ids(rows), []int64{e2, e3, e4, e5})
		del(10, t0.Add(time.Hour), 10, 3) // e2, e3, e4; e5 of org 11 stays
		rows, err = q.ListAuditEventsByIDs(ctx, audit.ListAuditEventsByIDsParams{Ids: []int64{e1, e2, e3, e4, e5, e6}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		cxIDsEq(t, "other org untouched", ids(rows), []int64{e5})
	})
}
