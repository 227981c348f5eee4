package querytest_test

import (
	"database/sql"
	"reflect"
	"testing"
	"time"

	"github.com/solarhub/hubdb/gen/schedule"
	"github.com/solarhub/hubdb/hubtest"
)

func TestScheduleQueries(t *testing.T) {
	db := hubtest.New(t, "schedule").DB("schedule")
	q := schedule.New(db)
	ctx := t.Context()
	d0 := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	m := func(n int) time.Time { return d0.Add(time.Duration(n) * time.Minute) }

	const siteA, siteB = int64(9), int64(10)
	const dev1, dev2 = int64(700), int64(701)
	var p1, p2, p3 int64
	bStep(t, "CreatePlan", func(t *testing.T) {
		create := func(site int64, name string, by int64) int64 {
			t.Helper()
			id, err := q.CreatePlan(ctx, schedule.CreatePlanParams{SiteID: site, Name: name, ValidFrom: d0, ValidTo: d0.Add(24 * time.Hour), CreatedBy: sql.NullInt64{Int64: by, Valid: by != 0}})
			bNoErr(t, "create", err)
			return id
		}
		p1 = create(siteA, "Day-ahead", 3)
		p2 = create(siteA, "Manual", 0)
		p3 = create(siteB, "Day-ahead", 3)
		bEq(t, "first id", p1, 1)
		bEq(t, "p2", p2, p1+1)
		bEq(t, "p3", p3, p1+2)
	})

	t.Run("GetPlan", func(t *testing.T) {
		p, err := q.GetPlan(ctx, p1)
		bNoErr(t, "p1", err)
		bEq(t, "id", p.ID, p1)
		bEq(t, "site", p.SiteID, siteA)
		bEq(t, "name", p.Name, "Day-ahead")
		bEq(t, "status default", p.Status, schedule.SchedulePlansStatusDraft)
		bEqTime(t, "valid_from", p.ValidFrom, d0)
		bEqTime(t, "valid_to", p.ValidTo, d0.Add(24*time.Hour))
		bEq(t, "created_by", p.CreatedBy, sql.NullInt64{Int64: 3, Valid: true})
		p, err = q.GetPlan(ctx, p2)
		bNoErr(t, "p2", err)
		bEq(t, "created_by NULL", p.CreatedBy, sql.NullInt64{})
		_, err = q.GetPlan(ctx, 999)
		bNoRows(t, "unknown plan", err)
	})

	bStep(t, "ActivatePlan", func(t *testing.T) {
		n, err := q.ActivatePlan(ctx, p1)
		bNoErr(t, "activate", err)
		bEq(t, "draft -> active", n, 1)
		n, err = q.ActivatePlan(ctx, p1)
		bNoErr(t, "activate again", err)
		bEq(t, "already active", n, 0)
		n, err = q.ActivatePlan(ctx, 999)
		bNoErr(t, "activate unknown", err)
		bEq(t, "unknown plan", n, 0)
		p, err := q.GetPlan(ctx, p1)
		bNoErr(t, "p1", err)
		bEq(t, "status", p.Status, schedule.SchedulePlansStatusActive)
	})

	t.Run("ListPlansBySite", func(t *testing.T) {
		list := func(site, after int64, status schedule.NullSchedulePlansStatus, limit int32) []int64 {
			t.Helper()
			rows, err := q.ListPlansBySite(ctx, schedule.ListPlansBySiteParams{SiteID: site, AfterID: after, Status: status, Limit: limit})
			bNoErr(t, "list", err)
			ids := []int64{}
			for _, r := range rows {
				ids = append(ids, r.ID)
			}
			return ids
		}
		st := func(s schedule.SchedulePlansStatus) schedule.NullSchedulePlansStatus {
			return schedule.NullSchedulePlansStatus{SchedulePlansStatus: s, Valid: true}
		}
		for _, c := range []struct {
			what      string
			got, want []int64
		}{
			{"page 1", list(siteA, 0, schedule.NullSchedulePlansStatus{}, 1), []int64{p1}},
			{"page 2", list(siteA, p1, schedule.NullSchedulePlansStatus{}, 1), []int64{p2}},
			{"page 3", list(siteA, p2, schedule.NullSchedulePlansStatus{}, 1), []int64{}},
			{"active", list(siteA, 0, st(schedule.SchedulePlansStatusActive), 10), []int64{p1}},
			{"draft", list(siteA, 0, st(schedule.SchedulePlansStatusDraft), 10), []int64{p2}},
			{"archived", list(siteA, 0, st(schedule.SchedulePlansStatusArchived), 10), []int64{}},
			{"site B", list(siteB, 0, schedule.NullSchedulePlansStatus{}, 10), []int64{p3}},
		} {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
			}
		}
	})

	type slot struct {
		dev     int64
		start   int
		plan    int64
		mode    schedule.ScheduleSlotsMode
		power   string
		soc     float64 // <0: NULL
		updated int
	}
	upsert := func(t *testing.T, s slot) int64 {
		t.Helper()
		n, err := q.UpsertSlot(ctx, schedule.UpsertSlotParams{DeviceID: s.dev, SlotStart: m(s.start), PlanID: s.plan, SiteID: siteA, SlotMinutes: 15, Mode: s.mode, PowerW: bDec(s.power), TargetSocPct: sql.NullFloat64{Float64: s.soc, Valid: s.soc >= 0}, UpdatedAt: m(s.updated)})
		bNoErr(t, "upsert", err)
		return n
	}
	charge, discharge, idle, hold := schedule.ScheduleSlotsModeCharge, schedule.ScheduleSlotsModeDischarge, schedule.ScheduleSlotsModeIdle, schedule.ScheduleSlotsModeHold
	bStep(t, "UpsertSlot", func(t *testing.T) {
		for _, s := range []slot{
			{dev1, 0, p1, charge, "3000", 60, -60},
			{dev1, 15, p1, charge, "2000", -1, -60},
			{dev1, 30, p1, discharge, "1500", 40, -60},
			{dev1, 45, p1, idle, "0", -1, -60},
			{dev2, 0, p2, hold, "0", 80, -60},
		} {
			bEq(t, "insert", upsert(t, s), 1)
		}
		bEq(t, "update dev1@00:15", upsert(t, slot{dev1, 15, p1, discharge, "1000", 30, -30}), 2)
		bEq(t, "same values", upsert(t, slot{dev1, 15, p1, discharge, "1000", 30, -30}), 0)
	})

	bStep(t, "SetSlotLocked", func(t *testing.T) {
		lock := func(dev int64, start int, locked bool) int64 {
			t.Helper()
			n, err := q.SetSlotLocked(ctx, schedule.SetSlotLockedParams{DeviceID: dev, SlotStart: m(start), Locked: locked})
			bNoErr(t, "lock", err)
			return n
		}
		bEq(t, "lock dev1@00:30", lock(dev1, 30, true), 1)
		bEq(t, "lock again", lock(dev1, 30, true), 0)
		bEq(t, "no such slot", lock(dev1, 5, true), 0)
		bEq(t, "upsert over a locked slot changes nothing", upsert(t, slot{dev1, 30, p2, charge, "5000", 90, 0}), 0)
	})

	t.Run("ListSlotsForDevices", func(t *testing.T) {
		list := func(devs []int64, from, to time.Time, limit int32) []schedule.ListSlotsForDevicesRow {
			t.Helper()
			rows, err := q.ListSlotsForDevices(ctx, schedule.ListSlotsForDevicesParams{DeviceIds: devs, FromTs: from, ToTs: to, Limit: limit})
			bNoErr(t, "list", err)
			return rows
		}
		rows := list([]int64{dev2, dev1}, d0, m(45), 10)
		bLen(t, "[00:00, 00:45) for both devices", rows, 4)
		type key struct {
			dev   int64
			start time.Time
		}
		for i, w := range []key{{dev1, m(0)}, {dev1, m(15)}, {dev1, m(30)}, {dev2, m(0)}} {
			if g := (key{rows[i].DeviceID, rows[i].SlotStart}); !g.start.Equal(w.start) || g.dev != w.dev {
				t.Errorf("row %d = %+v, want %+v", i, g, w)
			}
		}
		r := rows[1]
		bEq(t, "updated mode", r.Mode, discharge)
		bEqDec(t, "updated power", r.PowerW, "1000")
		bEq(t, "updated soc", r.TargetSocPct, sql.NullFloat64{Float64: 30, Valid: true})
		bEqTime(t, "updated_at", r.UpdatedAt, m(-30))
		bEq(t, "unlocked", r.Locked, false)
		r = rows[2]
		bEq(t, "locked", r.Locked, true)
		bEq(t, "locked slot keeps plan", r.PlanID, p1)
		bEq(t, "locked slot keeps mode", r.Mode, discharge)
		bEqDec(t, "locked slot keeps power", r.PowerW, "1500")
		bEq(t, "locked slot keeps soc", r.TargetSocPct, sql.NullFloat64{Float64: 40, Valid: true})
		bEqTime(t, "locked slot keeps updated_at", r.UpdatedAt, m(-60))
		bEq(t, "dev2 plan", rows[3].PlanID, p2)
		bEq(t, "slot minutes", rows[3].SlotMinutes, 15)
		bEq(t, "site", rows[3].SiteID, siteA)
		bLen(t, "limit 2", list([]int64{dev1, dev2}, d0, m(60), 2), 2)
		bLen(t, "empty slice", list([]int64{}, d0, m(60), 10), 0)
		bLen(t, "unknown device", list([]int64{999}, d0, m(60), 10), 0)
	})

	t.Run("CurrentSlot", func(t *testing.T) {
		cur := func(dev int64, at time.Time) (schedule.CurrentSlotRow, error) {
			t.Helper()
			return q.CurrentSlot(ctx, schedule.CurrentSlotParams{DeviceID: dev, AtTs: at})
		}
		r, err := cur(dev1, m(20))
		bNoErr(t, "00:20", err)
		bEqTime(t, "00:20 is in the 00:15 slot", r.SlotStart, m(15))
		bEq(t, "mode", r.Mode, discharge)
		r, err = cur(dev1, m(45))
		bNoErr(t, "00:45", err)
		bEqTime(t, "slot start is inclusive", r.SlotStart, m(45))
		bEq(t, "mode", r.Mode, idle)
		_, err = cur(dev1, m(60))
		bNoRows(t, "after the last slot ended", err)
		_, err = cur(dev1, m(-1))
		bNoRows(t, "before the first slot", err)
		r, err = cur(dev2, m(10))
		bNoErr(t, "dev2", err)
		bEq(t, "dev2 mode", r.Mode, hold)
		bEq(t, "dev2 soc", r.TargetSocPct, sql.NullFloat64{Float64: 80, Valid: true})
	})

	t.Run("PlanModeSummary", func(t *testing.T) {
		rows, err := q.PlanModeSummary(ctx, p1)
		bNoErr(t, "p1", err)
		bLen(t, "p1 modes", rows, 3)
		// ENUM columns sort by declaration order: charge, discharge, idle, hold.
		want := []struct {
			mode   schedule.ScheduleSlotsMode
			slots  int64
			energy string
		}{{charge, 1, "750"}, {discharge, 2, "625"}, {idle, 1, "0"}}
		for i, w := range want {
			bEq(t, "mode", rows[i].Mode, w.mode)
			bEq(t, "slots", rows[i].Slots, w.slots)
			bEqDec(t, "energy", rows[i].EnergyWh, w.energy)
		}
		rows, err = q.PlanModeSummary(ctx, p2)
		bNoErr(t, "p2", err)
		bLen(t, "p2 modes", rows, 1)
		bEq(t, "p2 mode", rows[0].Mode, hold)
		rows, err = q.PlanModeSummary(ctx, p3)
		bNoErr(t, "p3", err)
		bLen(t, "p3 has no slots", rows, 0)
	})

	t.Run("DeleteSlotsBefore", func(t *testing.T) {
		del := func(dev int64, before time.Time) int64 {
			t.Helper()
			n, err := q.DeleteSlotsBefore(ctx, schedule.DeleteSlotsBeforeParams{DeviceID: dev, BeforeTs: before})
			bNoErr(t, "delete", err)
			return n
		}
		bEq(t, "dev1 before 00:45 (00:30 is locked)", del(dev1, m(45)), 2)
		bEq(t, "again", del(dev1, m(45)), 0)
		rows, err := q.ListSlotsForDevices(ctx, schedule.ListSlotsForDevicesParams{DeviceIds: []int64{dev1, dev2}, FromTs: d0, ToTs: m(120), Limit: 10})
		bNoErr(t, "list", err)
		bLen(t, "left", rows, 3)
		bEqTime(t, "locked kept", rows[0].SlotStart, m(30))
		bEqTime(t, "00:45 kept (exclusive bound)", rows[1].SlotStart, m(45))
		bEq(t, "dev2 untouched", rows[2].DeviceID, dev2)
	})
}
