package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/solarhub/hubdb/gen/analysis"
)

// kpiResponse is a site's KPIs over [from, to].
type kpiResponse struct {
	SiteID  int64      `json:"site_id"`
	From    string     `json:"from"`
	To      string     `json:"to"`
	Summary kpiSummary `json:"summary"`
	Days    []kpiDay   `json:"days"`
}

type kpiSummary struct {
	Days                int64       `json:"days"`
	PVEnergyKWh         json.Number `json:"pv_energy_kwh"`
	LoadEnergyKWh       json.Number `json:"load_energy_kwh"`
	GridImportKWh       json.Number `json:"grid_import_kwh"`
	GridExportKWh       json.Number `json:"grid_export_kwh"`
	AvgPerformanceRatio json.Number `json:"avg_performance_ratio"`
	AvgAutarkyPct       json.Number `json:"avg_autarky_pct"`
}

type kpiDay struct {
	Day                string       `json:"day"`
	PVEnergyKWh        json.Number  `json:"pv_energy_kwh"`
	LoadEnergyKWh      json.Number  `json:"load_energy_kwh"`
	GridImportKWh      json.Number  `json:"grid_import_kwh"`
	GridExportKWh      json.Number  `json:"grid_export_kwh"`
	SelfConsumptionPct float64      `json:"self_consumption_pct"`
	AutarkyPct         float64      `json:"autarky_pct"`
	PerformanceRatio   *float64     `json:"performance_ratio"`
	SpecificYield      *json.Number `json:"specific_yield"`
}

// MaxKPIDays bounds a KPI range.
const MaxKPIDays = 366

// kpis serves GET /v1/sites/{site}/kpis?from=D&to=D (inclusive): the
// summary and the daily rows in one read-only analysis transaction.
func (s *server) kpis(w http.ResponseWriter, r *http.Request) error {
	siteID, err := pathID(r, "site")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if err := knownParams(q, "from", "to"); err != nil {
		return err
	}
	now := s.now()
	from, err := parseDate("from", q.Get("from"), now)
	if err != nil {
		return err
	}
	to, err := parseDate("to", q.Get("to"), now)
	if err != nil {
		return err
	}
	if to.Before(from) {
		return badRequest("to %s is before from %s", q.Get("to"), q.Get("from"))
	}
	if days := int(to.Sub(from)/(24*time.Hour)) + 1; days > MaxKPIDays {
		return badRequest("range of %d days: want at most %d", days, MaxKPIDays)
	}
	ctx := r.Context()
	if _, err := s.site(ctx, siteID); err != nil {
		return err
	}
	resp := kpiResponse{SiteID: siteID, From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Days: []kpiDay{}}
	err = s.db.Analysis.Read(ctx, func(ctx context.Context, q analysis.Reader) error {
		sum, err := q.SummarizeSiteKPIs(ctx, analysis.SummarizeSiteKPIsParams{SiteID: siteID, FromDay: from, ToDay: to})
		if err != nil {
			return err
		}
		resp.Summary = kpiSummary{sum.Days, num(sum.PvEnergyKwh), num(sum.LoadEnergyKwh), num(sum.GridImportKwh),
			num(sum.GridExportKwh), num(sum.AvgPerformanceRatio), num(sum.AvgAutarkyPct)}
		rows, err := q.ListSiteDailyKPIs(ctx, analysis.ListSiteDailyKPIsParams{SiteID: siteID, FromDay: from, ToDay: to, Limit: MaxKPIDays})
		for _, k := range rows {
			d := kpiDay{
				Day: k.Day.Format(time.DateOnly), PVEnergyKWh: num(k.PvEnergyKwh), LoadEnergyKWh: num(k.LoadEnergyKwh),
				GridImportKWh: num(k.GridImportKwh), GridExportKWh: num(k.GridExportKwh),
				SelfConsumptionPct: k.SelfConsumptionPct, AutarkyPct: k.AutarkyPct,
			}
			if k.PerformanceRatio.Valid {
				d.PerformanceRatio = &k.PerformanceRatio.Float64
			}
			if k.SpecificYield.Valid {
				n := num(k.SpecificYield.Decimal)
				d.SpecificYield = &n
			}
			resp.Days = append(resp.Days, d)
		}
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
