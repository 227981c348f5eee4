package querytest_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/solarhub/hubdb/gen/forecast"
	"github.com/solarhub/hubdb/hubtest"
)

func TestForecastQueries(t *testing.T) {
	db := hubtest.New(t, "forecast").DB("forecast")
	q := forecast.New(db)
	ctx := t.Context()
	t0 := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)

	const siteA, siteB = int64(5), int64(6)
	// r1 pv (t0), r2 load (t0), r3 pv (t0+6h), r4 pv site B (t0), r5 pv (t0+12h, fails).
	var r1, r2, r3, r4, r5 int64
	bStep(t, "CreateRun", func(t *testing.T) {
		create := func(site int64, kind forecast.ForecastRunsKind, model string, issued time.Time, params string) int64 {
			t.Helper()
			id, err := q.CreateRun(ctx, forecast.CreateRunParams{SiteID: site, Kind: kind, Model: model, IssuedAt: issued, HorizonStart: issued, HorizonEnd: issued.Add(24 * time.Hour), IntervalMinutes: 15, Params: json.RawMessage(params)})
			bNoErr(t, "create", err)
			return id
		}
		r1 = create(siteA, forecast.ForecastRunsKindPv, "pvlib", t0, `{"tilt": 30, "azimuth": 180}`)
		r2 = create(siteA, forecast.ForecastRunsKindLoad, "gbm", t0, `{}`)
		r3 = create(siteA, forecast.ForecastRunsKindPv, "pvlib", t0.Add(6*time.Hour), `{"tilt": 30}`)
		r4 = create(siteB, forecast.ForecastRunsKindPv, "pvlib", t0, `{}`)
		r5 = create(siteA, forecast.ForecastRunsKindPv, "nwp", t0.Add(12*time.Hour), `{"members": [1, 2]}`)
		bEq(t, "first id", r1, 1)
		for i, id := range []int64{r2, r3, r4, r5} {
			bEq(t, "sequential id", id, r1+int64(i)+1)
		}
	})

	t.Run("GetRun", func(t *testing.T) {
		r, err := q.GetRun(ctx, r1)
		bNoErr(t, "r1", err)
		bEq(t, "id", r.ID, r1)
		bEq(t, "site", r.SiteID, siteA)
		bEq(t, "kind", r.Kind, forecast.ForecastRunsKindPv)
		bEq(t, "model", r.Model, "pvlib")
		bEqTime(t, "issued", r.IssuedAt, t0)
		bEqTime(t, "horizon start", r.HorizonStart, t0)
		bEqTime(t, "horizon end", r.HorizonEnd, t0.Add(24*time.Hour))
		bEq(t, "interval", r.IntervalMinutes, 15)
		bEq(t, "status default", r.Status, forecast.ForecastRunsStatusRunning)
		bEqNullTime(t, "completed_at", r.CompletedAt, time.Time{})
		bEqJSON(t, "params", r.Params, `{"azimuth": 180, "tilt": 30}`)
		_, err = q.GetRun(ctx, 999)
		bNoRows(t, "unknown run", err)
	})

	bStep(t, "FinishRun", func(t *testing.T) {
		finish := func(id int64, status forecast.ForecastRunsStatus, at time.Time) int64 {
			t.Helper()
			n, err := q.FinishRun(ctx, forecast.FinishRunParams{ID: id, Status: status, CompletedAt: at})
			bNoErr(t, "finish", err)
			return n
		}
		bEq(t, "r1 complete", finish(r1, forecast.ForecastRunsStatusComplete, t0.Add(10*time.Minute)), 1)
		bEq(t, "r1 again (not running)", finish(r1, forecast.ForecastRunsStatusFailed, t0.Add(20*time.Minute)), 0)
		bEq(t, "r2 complete", finish(r2, forecast.ForecastRunsStatusComplete, t0.Add(5*time.Minute)), 1)
		bEq(t, "r3 complete", finish(r3, forecast.ForecastRunsStatusComplete, t0.Add(6*time.Hour+time.Minute)), 1)
		bEq(t, "r5 failed", finish(r5, forecast.ForecastRunsStatusFailed, t0.Add(12*time.Hour+time.Minute)), 1)
		r, err := q.GetRun(ctx, r1)
		bNoErr(t, "r1", err)
		bEq(t, "r1 status kept", r.Status, forecast.ForecastRunsStatusComplete)
		bEqNullTime(t, "r1 completed_at kept", r.CompletedAt, t0.Add(10*time.Minute))
	})

	t.Run("LatestCompleteRun", func(t *testing.T) {
		r, err := q.LatestCompleteRun(ctx, forecast.LatestCompleteRunParams{SiteID: siteA, Kind: forecast.ForecastRunsKindPv})
		bNoErr(t, "pv", err)
		bEq(t, "latest complete pv (r5 is newer but failed)", r.ID, r3)
		bEqJSON(t, "params", r.Params, `{"tilt": 30}`)
		r, err = q.LatestCompleteRun(ctx, forecast.LatestCompleteRunParams{SiteID: siteA, Kind: forecast.ForecastRunsKindLoad})
		bNoErr(t, "load", err)
		bEq(t, "latest load", r.ID, r2)
		_, err = q.LatestCompleteRun(ctx, forecast.LatestCompleteRunParams{SiteID: siteB, Kind: forecast.ForecastRunsKindPv})
		bNoRows(t, "site B has only a running run", err)
	})

	t.Run("ListRunsBySite", func(t *testing.T) {
		list := func(after int64, kind forecast.NullForecastRunsKind, status forecast.NullForecastRunsStatus, limit int32) []int64 {
			t.Helper()
			rows, err := q.ListRunsBySite(ctx, forecast.ListRunsBySiteParams{SiteID: siteA, AfterID: after, Kind: kind, Status: status, Limit: limit})
			bNoErr(t, "list", err)
			ids := []int64{}
			for _, r := range rows {
				ids = append(ids, r.ID)
			}
			return ids
		}
		anyKind, anyStatus := forecast.NullForecastRunsKind{}, forecast.NullForecastRunsStatus{}
		pv := forecast.NullForecastRunsKind{ForecastRunsKind: forecast.ForecastRunsKindPv, Valid: true}
		complete := forecast.NullForecastRunsStatus{ForecastRunsStatus: forecast.ForecastRunsStatusComplete, Valid: true}
		failed := forecast.NullForecastRunsStatus{ForecastRunsStatus: forecast.ForecastRunsStatusFailed, Valid: true}
		for _, c := range []struct {
			what   string
			got    []int64
			expect []int64
		}{
			{"all", list(0, anyKind, anyStatus, 10), []int64{r1, r2, r3, r5}},
			{"page after r1", list(r1, anyKind, anyStatus, 2), []int64{r2, r3}},
			{"last page", list(r3, anyKind, anyStatus, 2), []int64{r5}},
			{"pv", list(0, pv, anyStatus, 10), []int64{r1, r3, r5}},
			{"pv complete", list(0, pv, complete, 10), []int64{r1, r3}},
			{"failed", list(0, anyKind, failed, 10), []int64{r5}},
			{"after the last", list(r5, anyKind, anyStatus, 10), []int64{}},
		} {
			if !reflect.DeepEqual(c.got, c.expect) {
				t.Errorf("%s = %v, want %v", c.what, c.got, c.expect)
			}
		}
	})

	pvAt := func(t *testing.T, at time.Duration, e, p10, p90 string) int64 {
		t.Helper()
		n, err := q.UpsertPVForecast(ctx, forecast.UpsertPVForecastParams{RunID: r1, IntervalStart: t0.Add(at), SiteID: siteA, EnergyWh: bDec(e), P10Wh: bNullDec(p10), P90Wh: bNullDec(p90)})
		bNoErr(t, "upsert pv", err)
		return n
	}
	bStep(t, "UpsertPVForecast", func(t *testing.T) {
		bEq(t, "insert 00:00", pvAt(t, 0, "100.5", "", ""), 1)
		bEq(t, "insert 00:15", pvAt(t, 15*time.Minute, "200", "150", "250"), 1)
		bEq(t, "insert 00:30", pvAt(t, 30*time.Minute, "1", "", ""), 1)
		bEq(t, "insert 00:45", pvAt(t, 45*time.Minute, "400.25", "350", ""), 1)
		bEq(t, "update 00:30", pvAt(t, 30*time.Minute, "300", "280", "320"), 2)
		bEq(t, "unchanged 00:30", pvAt(t, 30*time.Minute, "300", "280", "320"), 0)
	})

	t.Run("ListPVForecast", func(t *testing.T) {
		rows, err := q.ListPVForecast(ctx, forecast.ListPVForecastParams{RunID: r1, FromTs: t0.Add(15 * time.Minute), ToTs: t0.Add(45 * time.Minute), Limit: 10})
		bNoErr(t, "list", err)
		bLen(t, "[00:15, 00:45)", rows, 2)
		bEqTime(t, "first", rows[0].IntervalStart, t0.Add(15*time.Minute))
		bEqDec(t, "first energy", rows[0].EnergyWh, "200")
		bEqNullDec(t, "first p10", rows[0].P10Wh, "150")
		bEqNullDec(t, "first p90", rows[0].P90Wh, "250")
		bEqTime(t, "second", rows[1].IntervalStart, t0.Add(30*time.Minute))
		bEqDec(t, "updated energy", rows[1].EnergyWh, "300")
		bEq(t, "run", rows[1].RunID, r1)
		bEq(t, "site", rows[1].SiteID, siteA)
		rows, err = q.ListPVForecast(ctx, forecast.ListPVForecastParams{RunID: r1, FromTs: t0, ToTs: t0.Add(time.Hour), Limit: 1})
		bNoErr(t, "limit", err)
		bLen(t, "limit 1", rows, 1)
		bEqNullDec(t, "00:00 p10 NULL", rows[0].P10Wh, "")
		rows, err = q.ListPVForecast(ctx, forecast.ListPVForecastParams{RunID: r3, FromTs: t0, ToTs: t0.Add(time.Hour), Limit: 10})
		bNoErr(t, "r3", err)
		bLen(t, "r3 has no values", rows, 0)
	})

	t.Run("SumPVForecast", func(t *testing.T) {
		s, err := q.SumPVForecast(ctx, forecast.SumPVForecastParams{RunID: r1, FromTs: t0, ToTs: t0.Add(time.Hour)})
		bNoErr(t, "sum", err)
		bEq(t, "intervals", s.Intervals, 4)
		bEqDec(t, "energy 100.5+200+300+400.25", s.EnergyWh, "1000.75")
		s, err = q.SumPVForecast(ctx, forecast.SumPVForecastParams{RunID: r1, FromTs: t0.Add(15 * time.Minute), ToTs: t0.Add(45 * time.Minute)})
		bNoErr(t, "sum", err)
		bEq(t, "intervals", s.Intervals, 2)
		bEqDec(t, "energy", s.EnergyWh, "500")
		s, err = q.SumPVForecast(ctx, forecast.SumPVForecastParams{RunID: r1, FromTs: t0.Add(2 * time.Hour), ToTs: t0.Add(3 * time.Hour)})
		bNoErr(t, "empty", err)
		bEq(t, "no intervals", s.Intervals, 0)
		bEqDec(t, "zero energy", s.EnergyWh, "0")
	})

	bStep(t, "UpsertLoadForecast", func(t *testing.T) {
		for _, v := range []struct {
			at time.Duration
			e  string
		}{{0, "999"}, {15 * time.Minute, "250"}, {30 * time.Minute, "100"}, {0, "150.5"}} { // 00:00 is replaced
			err := q.UpsertLoadForecast(ctx, forecast.UpsertLoadForecastParams{RunID: r2, IntervalStart: t0.Add(v.at), SiteID: siteA, EnergyWh: bDec(v.e)})
			bNoErr(t, "upsert load", err)
		}
		if err := q.UpsertLoadForecast(ctx, forecast.UpsertLoadForecastParams{RunID: 999, IntervalStart: t0, SiteID: siteA, EnergyWh: bDec("1")}); err == nil {
			t.Error("a load value for an unknown run was accepted")
		}
	})

	t.Run("NetForecast", func(t *testing.T) {
		rows, err := q.NetForecast(ctx, forecast.NetForecastParams{PvRunID: r1, LoadRunID: r2, FromTs: t0, ToTs: t0.Add(time.Hour), Limit: 10})
		bNoErr(t, "net", err)
		bLen(t, "intervals in both runs (00:45 has no load)", rows, 3)
		want := []struct{ pv, load, net string }{{"100.5", "150.5", "-50"}, {"200", "250", "-50"}, {"300", "100", "200"}}
		for i, w := range want {
			bEqTime(t, "interval", rows[i].IntervalStart, t0.Add(time.Duration(i)*15*time.Minute))
			bEqDec(t, "pv", rows[i].PvWh, w.pv)
			bEqDec(t, "load", rows[i].LoadWh, w.load)
			bEqDec(t, "net", rows[i].NetWh, w.net)
		}
		rows, err = q.NetForecast(ctx, forecast.NetForecastParams{PvRunID: r1, LoadRunID: r2, FromTs: t0.Add(15 * time.Minute), ToTs: t0.Add(time.Hour), Limit: 1})
		bNoErr(t, "net", err)
		bLen(t, "from 00:15, limit 1", rows, 1)
		bEqTime(t, "first", rows[0].IntervalStart, t0.Add(15*time.Minute))
		rows, err = q.NetForecast(ctx, forecast.NetForecastParams{PvRunID: r3, LoadRunID: r2, FromTs: t0, ToTs: t0.Add(time.Hour), Limit: 10})
		bNoErr(t, "net", err)
		bLen(t, "pv run without values", rows, 0)
	})

	t.Run("DeleteRunsIssuedBefore", func(t *testing.T) {
		del := func(site int64, before time.Time) int64 {
			t.Helper()
			n, err := q.DeleteRunsIssuedBefore(ctx, forecast.DeleteRunsIssuedBeforeParams{SiteID: site, BeforeTs: before})
			bNoErr(t, "delete", err)
			return n
		}
		bEq(t, "site A before t0+6h (r1, r2)", del(siteA, t0.Add(6*time.Hour)), 2)
		bEq(t, "again", del(siteA, t0.Add(6*time.Hour)), 0)
		_, err := q.GetRun(ctx, r1)
		bNoRows(t, "r1 deleted", err)
		s, err := q.SumPVForecast(ctx, forecast.SumPVForecastParams{RunID: r1, FromTs: t0, ToTs: t0.Add(time.Hour)})
		bNoErr(t, "sum", err)
		bEq(t, "r1 values cascaded", s.Intervals, 0)
		for _, id := range []int64{r3, r4, r5} {
			if _, err := q.GetRun(ctx, id); err != nil {
				t.Errorf("run %d: %v, want kept", id, err)
			}
		}
	})
}
