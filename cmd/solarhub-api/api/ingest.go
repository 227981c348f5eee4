package api

import (
	"context"
	"net/http"
	"time"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/gen/ess"
)

// ingestRequest is the body of POST .../batteries/{device}/readings: a
// gateway's buffered one-minute samples of one battery.
type ingestRequest struct {
	Readings []readingRequest `json:"readings"`
}

type readingRequest struct {
	// Ts is the sample's time (RFC 3339); samples of the same ts replace
	// nothing: a duplicate is refused and the whole request stores nothing.
	Ts           time.Time       `json:"ts"`
	SocPct       float64         `json:"soc_pct"`
	PowerW       decimal.Decimal `json:"power_w"`
	TemperatureC float64         `json:"temperature_c"`
	EnergyInWh   decimal.Decimal `json:"energy_in_wh"`
	EnergyOutWh  decimal.Decimal `json:"energy_out_wh"`
}

// ingestResponse says how many samples were stored.
type ingestResponse struct {
	Stored int64 `json:"stored"`
}

// MaxReadings bounds one ingest request (a day of one-minute samples).
const MaxReadings = 1440

// ingestReadings serves POST /v1/sites/{site}/batteries/{device}/readings:
// the samples go in with the generated batch insert, in one ESS
// transaction (all or nothing).
func (s *server) ingestReadings(w http.ResponseWriter, r *http.Request) error {
	siteID, deviceID, err := batteryPath(r)
	if err != nil {
		return err
	}
	var req ingestRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.Readings) == 0 || len(req.Readings) > MaxReadings {
		return badRequest("readings: want 1 to %d samples, got %d", MaxReadings, len(req.Readings))
	}
	rows := make([]ess.InsertBatteryReadingParams, len(req.Readings))
	for i, x := range req.Readings {
		if x.Ts.IsZero() || x.SocPct < 0 || x.SocPct > 100 {
			return badRequest("readings[%d]: want a ts and soc_pct 0 to 100", i)
		}
		rows[i] = ess.InsertBatteryReadingParams{DeviceID: deviceID, Ts: x.Ts.UTC(), SiteID: siteID, SocPct: x.SocPct,
			PowerW: x.PowerW, TemperatureC: x.TemperatureC, EnergyInWh: x.EnergyInWh, EnergyOutWh: x.EnergyOutWh}
	}
	ctx := r.Context()
	var resp ingestResponse
	err = s.db.ESS.Write(ctx, func(ctx context.Context, q *ess.Queries) error {
		if err := batteryAt(ctx, q, siteID, deviceID); err != nil {
			return err
		}
		var err error
		resp.Stored, err = q.InsertBatteryReadingBatch(ctx, rows)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, resp)
	return nil
}
