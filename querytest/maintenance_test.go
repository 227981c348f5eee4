package querytest_test

import (
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/solarhub/hubdb/gen/maintenance"
	"github.com/solarhub/hubdb/hubtest"
)

func TestMaintenanceQueries(t *testing.T) {
	db := hubtest.New(t, "maintenance").DB("maintenance")
	q := maintenance.New(db)
	ctx := t.Context()
	t0 := time.Date(2025, 7, 14, 7, 0, 0, 0, time.UTC)
	due := time.Date(2025, 7, 31, 0, 0, 0, 0, time.UTC)

	// Work orders: w1 (site 100, device 200, urgent, due date), w2 (site 100), w3 (site 101).
	var w1, w2, w3 int64
	t.Run("CreateWorkOrder", func(t *testing.T) {
		create := func(site int64, device sql.NullInt64, title string, prio maintenance.WorkOrdersPriority, dueDate sql.NullTime) int64 {
			t.Helper()
			id, err := q.CreateWorkOrder(ctx, maintenance.CreateWorkOrderParams{
				OrgID: 10, SiteID: site, DeviceID: device, Title: title, Description: "see alarm",
				Priority: prio, CreatedBy: 42, DueDate: dueDate,
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		w1 = create(100, cxI64(200), "Replace inverter fan", maintenance.WorkOrdersPriorityUrgent, sql.NullTime{Time: due, Valid: true})
		w2 = create(100, sql.NullInt64{}, "Clean modules", maintenance.WorkOrdersPriorityLow, sql.NullTime{})
		w3 = create(101, sql.NullInt64{}, "Annual inspection", maintenance.WorkOrdersPriorityNormal, sql.NullTime{})
		if w1 <= 0 || w2 != w1+1 || w3 != w2+1 {
			t.Fatalf("ids = %d %d %d, want consecutive", w1, w2, w3)
		}
	})

	get := func(t *testing.T, id int64) maintenance.WorkOrder {
		t.Helper()
		w, err := q.GetWorkOrder(ctx, id)
		if err != nil {
			t.Fatalf("GetWorkOrder(%d): %v", id, err)
		}
		return w
	}

	t.Run("GetWorkOrder", func(t *testing.T) {
		w := get(t, w1)
		if w.OrgID != 10 || w.SiteID != 100 || w.DeviceID != cxI64(200) || w.Title != "Replace inverter fan" ||
			w.Description != "see alarm" || w.Priority != maintenance.WorkOrdersPriorityUrgent ||
			w.Status != maintenance.WorkOrdersStatusOpen || w.CreatedBy != 42 || w.AssignedTo.Valid || w.ClosedAt.Valid {
			t.Errorf("w1 = %+v", w)
		}
		cxNullTimeEq(t, "due_date", w.DueDate, &due)
		w = get(t, w2)
		if w.DeviceID.Valid || w.DueDate.Valid || w.Priority != maintenance.WorkOrdersPriorityLow {
			t.Errorf("w2 = %+v, want NULL device and due date", w)
		}
		if _, err := q.GetWorkOrder(ctx, w3+100); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("missing: err = %v, want sql.ErrNoRows", err)
		}
	})

	t.Run("AssignWorkOrder", func(t *testing.T) {
		n, err := q.AssignWorkOrder(ctx, maintenance.AssignWorkOrderParams{TechnicianID: 7, ID: w1})
		cxN(t, "assign w1", n, err, 1)
		w := get(t, w1)
		if w.Status != maintenance.WorkOrdersStatusScheduled || w.AssignedTo != cxI64(7) {
			t.Errorf("w1 = %s assigned %v, want scheduled to 7", w.Status, w.AssignedTo)
		}
		n, err = q.AssignWorkOrder(ctx, maintenance.AssignWorkOrderParams{TechnicianID: 8, ID: w1})
		cxN(t, "reassign scheduled w1", n, err, 1)
		n, err = q.AssignWorkOrder(ctx, maintenance.AssignWorkOrderParams{TechnicianID: 8, ID: w1})
		cxN(t, "same assignment again", n, err, 0)
		n, err = q.AssignWorkOrder(ctx, maintenance.AssignWorkOrderParams{TechnicianID: 7, ID: w3})
		cxN(t, "assign w3", n, err, 1)
	})

	closedAt := t0.Add(48 * time.Hour)
	t.Run("CloseWorkOrder", func(t *testing.T) {
		n, err := q.CloseWorkOrder(ctx, maintenance.CloseWorkOrderParams{Status: maintenance.WorkOrdersStatusCancelled, ClosedAt: closedAt, ID: w2})
		cxN(t, "cancel w2", n, err, 1)
		n, err = q.CloseWorkOrder(ctx, maintenance.CloseWorkOrderParams{Status: maintenance.WorkOrdersStatusDone, ClosedAt: closedAt.Add(time.Hour), ID: w2})
		cxN(t, "close w2 again", n, err, 0)
		w := get(t, w2)
		if w.Status != maintenance.WorkOrdersStatusCancelled {
			t.Errorf("status = %s, want cancelled", w.Status)
		}
		cxNullTimeEq(t, "closed_at", w.ClosedAt, &closedAt)
		n, err = q.AssignWorkOrder(ctx, maintenance.AssignWorkOrderParams{TechnicianID: 7, ID: w2})
		cxN(t, "assign cancelled w2", n, err, 0)
	})

	t.Run("ListSiteWorkOrders", func(t *testing.T) {
		list := func(p maintenance.ListSiteWorkOrdersParams) []int64 {
			t.Helper()
			rows, err := q.ListSiteWorkOrders(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.SiteID != p.SiteID {
					t.Errorf("work order %d of site %d listed for %d", r.ID, r.SiteID, p.SiteID)
				}
			}
			return cxIDs(rows, func(w maintenance.WorkOrder) int64 { return w.ID })
		}
		st := func(s maintenance.WorkOrdersStatus) maintenance.NullWorkOrdersStatus {
			return maintenance.NullWorkOrdersStatus{WorkOrdersStatus: s, Valid: true}
		}
		cxIDsEq(t, "site 100", list(maintenance.ListSiteWorkOrdersParams{SiteID: 100, Limit: 10}), []int64{w1, w2})
		cxIDsEq(t, "site 101", list(maintenance.ListSiteWorkOrdersParams{SiteID: 101, Limit: 10}), []int64{w3})
		cxIDsEq(t, "scheduled", list(maintenance.ListSiteWorkOrdersParams{SiteID: 100, Status: st(maintenance.WorkOrdersStatusScheduled), Limit: 10}), []int64{w1})
		cxIDsEq(t, "open", list(maintenance.ListSiteWorkOrdersParams{SiteID: 100, Status: st(maintenance.WorkOrdersStatusOpen), Limit: 10}), nil)
		cxIDsEq(t, "assigned to 8", list(maintenance.ListSiteWorkOrdersParams{SiteID: 100, AssignedTo: cxI64(8), Limit: 10}), []int64{w1})
		cxIDsEq(t, "assigned to 7", list(maintenance.ListSiteWorkOrdersParams{SiteID: 100, AssignedTo: cxI64(7), Limit: 10}), nil)
		cxIDsEq(t, "site 101 scheduled to 7", list(maintenance.ListSiteWorkOrdersParams{
			SiteID: 101, Status: st(maintenance.WorkOrdersStatusScheduled), AssignedTo: cxI64(7), Limit: 10}), []int64{w3})
		cxIDsEq(t, "page 1", list(maintenance.ListSiteWorkOrdersParams{SiteID: 100, Limit: 1}), []int64{w1})
		cxIDsEq(t, "page 2", list(maintenance.ListSiteWorkOrdersParams{SiteID: 100, AfterID: w1, Limit: 1}), []int64{w2})
		cxIDsEq(t, "page 3", list(maintenance.ListSiteWorkOrdersParams{SiteID: 100, AfterID: w2, Limit: 1}), nil)
	})

	taskID := func(t *testing.T, order int64, pos int32) (id int64, title string, done bool) {
		t.Helper()
		err := db.QueryRowContext(ctx, "SELECT id, title, done FROM work_order_tasks WHERE work_order_id = ? AND position = ?", order, pos).
			Scan(&id, &title, &done)
		if err != nil {
			t.Fatalf("task %d/%d: %v", order, pos, err)
		}
		return id, title, done
	}
	progress := func(t *testing.T, order int64, total, done int64) {
		t.Helper()
		p, err := q.GetWorkOrderProgress(ctx, order)
		if err != nil {
			t.Fatal(err)
		}
		if p.TotalTasks != total || p.DoneTasks != done {
			t.Errorf("progress of %d = %d/%d, want %d/%d", order, p.DoneTasks, p.TotalTasks, done, total)
		}
	}

	t.Run("UpsertWorkOrderTask", func(t *testing.T) {
		upsert := func(order int64, pos int32, title string) int64 {
			t.Helper()
			n, err := q.UpsertWorkOrderTask(ctx, maintenance.UpsertWorkOrderTaskParams{WorkOrderID: order, Position: pos, Title: title})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		for pos, title := range []string{"Isolate inverter", "Swap fan", "Test run"} {
			if n := upsert(w1, int32(pos+1), title); n != 1 {
				t.Errorf("insert task %d: rows affected = %d, want 1", pos+1, n)
			}
		}
		if n := upsert(w1, 2, "Swap fan and filter"); n != 2 {
			t.Errorf("rename task 2: rows affected = %d, want 2", n)
		}
		if n := upsert(w1, 2, "Swap fan and filter"); n != 0 {
			t.Errorf("unchanged task 2: rows affected = %d, want 0", n)
		}
		if _, title, done := taskID(t, w1, 2); title != "Swap fan and filter" || done {
			t.Errorf("task 2 = %q done %v", title, done)
		}
		if _, err := q.UpsertWorkOrderTask(ctx, maintenance.UpsertWorkOrderTaskParams{WorkOrderID: w3 + 100, Position: 1, Title: "x"}); err == nil {
			t.Error("task for unknown work order accepted (foreign key)")
		}
	})

	doneAt := t0.Add(3 * time.Hour)
	t.Run("CompleteWorkOrderTask", func(t *testing.T) {
		id1, _, _ := taskID(t, w1, 1)
		id2, _, _ := taskID(t, w1, 2)
		n, err := q.CompleteWorkOrderTask(ctx, maintenance.CompleteWorkOrderTaskParams{DoneAt: doneAt, UserID: 8, ID: id1})
		cxN(t, "complete task 1", n, err, 1)
		n, err = q.CompleteWorkOrderTask(ctx, maintenance.CompleteWorkOrderTaskParams{DoneAt: doneAt.Add(time.Hour), UserID: 9, ID: id1})
		cxN(t, "complete task 1 again", n, err, 0)
		n, err = q.CompleteWorkOrderTask(ctx, maintenance.CompleteWorkOrderTaskParams{DoneAt: doneAt, UserID: 8, ID: id2})
		cxN(t, "complete task 2", n, err, 1)
		var by int64
		var at time.Time
		if err := db.QueryRowContext(ctx, "SELECT done_by, done_at FROM work_order_tasks WHERE id = ?", id1).Scan(&by, &at); err != nil {
			t.Fatal(err)
		}
		if by != 8 {
			t.Errorf("done_by = %d, want 8 (second completion must not overwrite)", by)
		}
		cxTimeEq(t, "done_at", at, doneAt)
	})

	t.Run("GetWorkOrderProgress", func(t *testing.T) {
		progress(t, w1, 3, 2)
		progress(t, w3, 0, 0)
	})

	// Visits: technician 8 has v1 (w1, Jul 14 08:00) and v3 (w3, Jul 15 08:00); technician 7 has v2.
	var v1, v2, v3 int64
	t.Run("ScheduleVisit", func(t *testing.T) {
		schedule := func(order, tech int64, start time.Time) int64 {
			t.Helper()
			id, err := q.ScheduleVisit(ctx, maintenance.ScheduleVisitParams{
				WorkOrderID: order, TechnicianID: tech, ScheduledStart: start, ScheduledEnd: start.Add(2 * time.Hour),
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		v3 = schedule(w3, 8, t0.Add(25*time.Hour))
		v1 = schedule(w1, 8, t0.Add(time.Hour))
		v2 = schedule(w2, 7, t0.Add(time.Hour))
		if v3 <= 0 || v1 != v3+1 || v2 != v1+1 {
			t.Fatalf("ids = %d %d %d, want consecutive", v3, v1, v2)
		}
	})

	t.Run("ListTechnicianVisits", func(t *testing.T) {
		list := func(tech int64, from, to time.Time, limit int32) []maintenance.ListTechnicianVisitsRow {
			t.Helper()
			rows, err := q.ListTechnicianVisits(ctx, maintenance.ListTechnicianVisitsParams{TechnicianID: tech, FromTs: from, ToTs: to, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			return rows
		}
		ids := func(rows []maintenance.ListTechnicianVisitsRow) []int64 {
			return cxIDs(rows, func(r maintenance.ListTechnicianVisitsRow) int64 { return r.ID })
		}
		rows := list(8, t0, t0.Add(48*time.Hour), 10)
		cxIDsEq(t, "tech 8, two days (by start time)", ids(rows), []int64{v1, v3})
		if len(rows) == 2 {
			r := rows[0]
			if r.WorkOrderID != w1 || r.SiteID != 100 || r.Title != "Replace inverter fan" || r.DepartedAt.Valid {
				t.Errorf("v1 row = %+v", r)
			}
			cxTimeEq(t, "v1 start", r.ScheduledStart, t0.Add(time.Hour))
			cxTimeEq(t, "v1 end", r.ScheduledEnd, t0.Add(3*time.Hour))
			cxDecEq(t, "v1 labor default", r.LaborHours, "0")
			if rows[1].SiteID != 101 {
				t.Errorf("v3 site = %d, want 101", rows[1].SiteID)
			}
		}
		cxIDsEq(t, "tech 8, first day", ids(list(8, t0, t0.Add(24*time.Hour), 10)), []int64{v1})
		cxIDsEq(t, "tech 8, end bound exclusive", ids(list(8, t0, t0.Add(time.Hour), 10)), nil)
		cxIDsEq(t, "tech 8, start bound inclusive", ids(list(8, t0.Add(25*time.Hour), t0.Add(26*time.Hour), 10)), []int64{v3})
		cxIDsEq(t, "tech 8, limit 1", ids(list(8, t0, t0.Add(48*time.Hour), 1)), []int64{v1})
		cxIDsEq(t, "tech 7", ids(list(7, t0, t0.Add(48*time.Hour), 10)), []int64{v2})
	})

	t.Run("RecordVisitDeparture", func(t *testing.T) {
		arrived, departed := t0.Add(70*time.Minute), t0.Add(200*time.Minute)
		n, err := q.RecordVisitDeparture(ctx, maintenance.RecordVisitDepartureParams{
			ArrivedAt: arrived, DepartedAt: departed, LaborHours: cxDec(t, "2.25"), Notes: cxStr("fan replaced"), ID: v1,
		})
		cxN(t, "depart v1", n, err, 1)
		n, err = q.RecordVisitDeparture(ctx, maintenance.RecordVisitDepartureParams{
			ArrivedAt: arrived, DepartedAt: departed.Add(time.Hour), LaborHours: cxDec(t, "9"), ID: v1,
		})
		cxN(t, "depart v1 twice", n, err, 0)
		n, err = q.RecordVisitDeparture(ctx, maintenance.RecordVisitDepartureParams{
			ArrivedAt: arrived, DepartedAt: departed, LaborHours: cxDec(t, "1"), ID: v2,
		})
		cxN(t, "depart v2 without notes", n, err, 1)

		rows, err := q.ListTechnicianVisits(ctx, maintenance.ListTechnicianVisitsParams{TechnicianID: 8, FromTs: t0, ToTs: t0.Add(24 * time.Hour), Limit: 10})
		if err != nil || len(rows) != 1 {
			t.Fatalf("rows = %+v, err = %v", rows, err)
		}
		cxNullTimeEq(t, "departed_at", rows[0].DepartedAt, &departed)
		cxDecEq(t, "labor_hours", rows[0].LaborHours, "2.25")
		var notes1, notes2 sql.NullString
		var arr time.Time
		if err := db.QueryRowContext(ctx, "SELECT notes, arrived_at FROM technician_visits WHERE id = ?", v1).Scan(&notes1, &arr); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, "SELECT notes FROM technician_visits WHERE id = ?", v2).Scan(&notes2); err != nil {
			t.Fatal(err)
		}
		if notes1 != cxStr("fan replaced") || notes2.Valid {
			t.Errorf("notes = %v, %v, want text and NULL", notes1, notes2)
		}
		cxTimeEq(t, "arrived_at", arr, arrived)
	})
}
