package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/solarhub/hubdb/gen/ess"
)

// curveResponse is a battery's day.
type curveResponse struct {
	SiteID   int64        `json:"site_id"`
	DeviceID int64        `json:"device_id"`
	Date     string       `json:"date"`
	Summary  curveSummary `json:"summary"`
	Points   []curvePoint `json:"points"`
}

type curveSummary struct {
	Samples     int64       `json:"samples"`
	EnergyInWh  json.Number `json:"energy_in_wh"`
	EnergyOutWh json.Number `json:"energy_out_wh"`
	MinSocPct   float64     `json:"min_soc_pct"`
	MaxSocPct   float64     `json:"max_soc_pct"`
}

type curvePoint struct {
	Ts           time.Time   `json:"ts"`
	SocPct       float64     `json:"soc_pct"`
	PowerW       json.Number `json:"power_w"`
	TemperatureC float64     `json:"temperature_c"`
}

// MaxCurvePoints bounds a day curve (one sample a minute is 1440).
const MaxCurvePoints = 2880

// curve serves GET /v1/sites/{site}/batteries/{device}/curve?date=D: the
// battery's samples on day D (UTC) and their summary, in one read-only
// transaction on the ESS database.
func (s *server) curve(w http.ResponseWriter, r *http.Request) error {
	siteID, deviceID, err := batteryPath(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if err := knownParams(q, "date"); err != nil {
		return err
	}
	day, err := parseDate("date", q.Get("date"), s.now())
	if err != nil {
		return err
	}
	resp := curveResponse{SiteID: siteID, DeviceID: deviceID, Date: day.Format(time.DateOnly), Points: []curvePoint{}}
	from, to := day, day.Add(24*time.Hour)
	err = s.db.ESS.Read(r.Context(), func(ctx context.Context, q ess.Reader) error {
		if err := batteryAt(ctx, q, siteID, deviceID); err != nil {
			return err
		}
		sum, err := q.BatteryEnergyBetween(ctx, ess.BatteryEnergyBetweenParams{DeviceID: deviceID, FromTs: from, ToTs: to})
		if err != nil {
			return err
		}
		resp.Summary = curveSummary{sum.Samples, num(sum.EnergyInWh), num(sum.EnergyOutWh), sum.MinSocPct, sum.MaxSocPct}
		rows, err := q.ListBatteryReadings(ctx, ess.ListBatteryReadingsParams{
			DeviceID: deviceID, FromTs: from, ToTs: to, Limit: MaxCurvePoints,
		})
		for _, x := range rows {
			resp.Points = append(resp.Points, curvePoint{x.Ts, x.SocPct, num(x.PowerW), x.TemperatureC})
		}
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// batteryAt returns a 404 error unless device is a battery of site.
func batteryAt(ctx context.Context, q ess.Reader, siteID, deviceID int64) error {
	st, err := q.GetBatteryState(ctx, deviceID)
	if errors.Is(err, sql.ErrNoRows) || err == nil && st.SiteID != siteID {
		return notFound("battery %d not found at site %d", deviceID, siteID)
	}
	return err
}
