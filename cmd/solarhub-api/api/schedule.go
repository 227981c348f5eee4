package api

import (
	"context"
	"database/sql"
	"net/http"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/gen/schedule"
)

// scheduleRequest is the body of PUT .../schedule/{date}: the battery's
// slots that day; slots not listed are left as they are.
type scheduleRequest struct {
	Slots []slotRequest `json:"slots"`
}

type slotRequest struct {
	// Start is the slot's start time of day (UTC), "HH:MM", on a multiple
	// of 15 minutes.
	Start string `json:"start"`
	// Minutes is the slot's length: 15, 30, 45 or 60. Default 15.
	Minutes int `json:"minutes"`
	// Mode is charge, discharge, idle or hold.
	Mode string `json:"mode"`
	// PowerW is the charge or discharge power, 0 to 1,000,000 W, at most
	// one decimal.
	PowerW decimal.Decimal `json:"power_w"`
	// TargetSocPct optionally stops the slot at this state of charge, 0 to 100.
	TargetSocPct *float64 `json:"target_soc_pct"`
}

// scheduleResponse says what the upsert did.
type scheduleResponse struct {
	PlanID    int64 `json:"plan_id"`
	Inserted  int   `json:"inserted"`
	Updated   int   `json:"updated"`
	Unchanged int   `json:"unchanged"` // same values, or a slot an operator locked
}

// MaxSlots bounds one request's slots (a day of 15-minute slots).
const MaxSlots = 96

// planName is the plan the API keeps per site and day.
func planName(day time.Time) string { return "API " + day.Format(time.DateOnly) }

// putSchedule serves PUT /v1/sites/{site}/batteries/{device}/schedule/{date}.
// The battery is checked in a read-only ESS transaction; the plan (found
// or created) and its slots are written in one schedule transaction.
func (s *server) putSchedule(w http.ResponseWriter, r *http.Request) error {
	siteID, deviceID, err := batteryPath(r)
	if err != nil {
		return err
	}
	day, err := parseDate("date", r.PathValue("date"), s.now())
	if err != nil {
		return err
	}
	var req scheduleRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	now := s.now().UTC()
	slots, err := req.params(day, siteID, deviceID, now)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.db.ESS.Read(ctx, func(ctx context.Context, q ess.Reader) error {
		return batteryAt(ctx, q, siteID, deviceID)
	}); err != nil {
		return err
	}
	var resp scheduleResponse
	status := http.StatusOK
	err = s.db.Schedule.Write(ctx, func(ctx context.Context, q *schedule.Queries) error {
		resp, status = scheduleResponse{}, http.StatusOK
		plans, err := q.ListPlansBySite(ctx, schedule.ListPlansBySiteParams{SiteID: siteID, Limit: 1000})
		if err != nil {
			return err
		}
		for _, p := range plans {
			if p.Name == planName(day) {
				resp.PlanID = p.ID
			}
		}
		if resp.PlanID == 0 {
			if resp.PlanID, err = q.CreatePlan(ctx, schedule.CreatePlanParams{
				SiteID: siteID, Name: planName(day), ValidFrom: day, ValidTo: day.Add(24 * time.Hour),
			}); err != nil {
				return err
			}
			if _, err := q.ActivatePlan(ctx, resp.PlanID); err != nil {
				return err
			}
			status = http.StatusCreated
		}
		for _, p := range slots {
			p.PlanID = resp.PlanID
			n, err := q.UpsertSlot(ctx, p)
			if err != nil {
				return err
			}
			switch n {
			case 1:
				resp.Inserted++
			case 2:
				resp.Updated++
			default:
				resp.Unchanged++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, status, resp)
	return nil
}

var slotModes = []string{"charge", "discharge", "idle", "hold"}

// params validates the slots and turns them into upserts.
func (req scheduleRequest) params(day time.Time, siteID, deviceID int64, now time.Time) ([]schedule.UpsertSlotParams, error) {
	if len(req.Slots) == 0 || len(req.Slots) > MaxSlots {
		return nil, badRequest("slots: want 1 to %d slots, got %d", MaxSlots, len(req.Slots))
	}
	maxPower := decimal.NewFromInt(1_000_000)
	out := make([]schedule.UpsertSlotParams, 0, len(req.Slots))
	end := time.Time{}
	for i, sl := range req.Slots {
		at, err := time.Parse("15:04", sl.Start)
		if err != nil || at.Minute()%15 != 0 {
			return nil, badRequest("slots[%d].start %q: want HH:MM on a quarter hour", i, sl.Start)
		}
		start := day.Add(time.Duration(at.Hour())*time.Hour + time.Duration(at.Minute())*time.Minute)
		minutes := sl.Minutes
		if minutes == 0 {
			minutes = 15
		}
		if minutes%15 != 0 || minutes < 15 || minutes > 60 {
			return nil, badRequest("slots[%d].minutes %d: want 15, 30, 45 or 60", i, sl.Minutes)
		}
		if stop := start.Add(time.Duration(minutes) * time.Minute); stop.After(day.Add(24 * time.Hour)) {
			return nil, badRequest("slots[%d] ends after midnight", i)
		}
		if start.Before(end) {
			return nil, badRequest("slots[%d] starts before slots[%d] ends: list slots in order, without overlap", i, i-1)
		}
		end = start.Add(time.Duration(minutes) * time.Minute)
		if !slices.Contains(slotModes, sl.Mode) {
			return nil, badRequest("slots[%d].mode %q: want one of %v", i, sl.Mode, slotModes)
		}
		if sl.PowerW.IsNegative() || sl.PowerW.GreaterThan(maxPower) || !sl.PowerW.Round(1).Equal(sl.PowerW) {
			return nil, badRequest("slots[%d].power_w %s: want 0 to 1000000 W with at most one decimal", i, sl.PowerW)
		}
		p := schedule.UpsertSlotParams{
			DeviceID: deviceID, SlotStart: start, SiteID: siteID, SlotMinutes: int16(minutes),
			Mode: schedule.ScheduleSlotsMode(sl.Mode), PowerW: sl.PowerW, UpdatedAt: now,
		}
		if t := sl.TargetSocPct; t != nil {
			if *t < 0 || *t > 100 {
				return nil, badRequest("slots[%d].target_soc_pct %v: want 0 to 100", i, *t)
			}
			p.TargetSocPct = sql.NullFloat64{Float64: *t, Valid: true}
		}
		out = append(out, p)
	}
	return out, nil
}
