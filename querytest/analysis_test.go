package querytest_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/gen/analysis"
	"github.com/solarhub/hubdb/hubtest"
)

func TestAnalysisQueries(t *testing.T) {
	db := hubtest.New(t, "analysis").DB("analysis")
	q := analysis.New(db)
	ctx := t.Context()
	day := func(d int) time.Time { return time.Date(2025, 6, d, 0, 0, 0, 0, time.UTC) }
	computed := time.Date(2025, 6, 4, 1, 2, 3, 456789000, time.UTC)

	type kpi struct {
		site, org int64
		d         int
		pv, load  string
		pr        sql.NullFloat64
		autarky   float64
		yield     decimal.NullDecimal
	}
	upsert := func(t *testing.T, k kpi) int64 {
		t.Helper()
		n, err := q.UpsertDailyKPI(ctx, analysis.UpsertDailyKPIParams{
			SiteID: k.site, Day: day(k.d), OrgID: k.org,
			PvEnergyKwh: cxDec(t, k.pv), LoadEnergyKwh: cxDec(t, k.load),
			GridImportKwh: cxDec(t, "5.250"), GridExportKwh: cxDec(t, "12.125"),
			PerformanceRatio: k.pr, SelfConsumptionPct: 55.5, AutarkyPct: k.autarky,
			SpecificYield: k.yield, ComputedAt: computed,
		})
		if err != nil {
			t.Fatalf("UpsertDailyKPI %+v: %v", k, err)
		}
		return n
	}
	pr := func(v float64) sql.NullFloat64 { return sql.NullFloat64{Float64: v, Valid: true} }
	yield := func(s string) decimal.NullDecimal { return decimal.NullDecimal{Decimal: cxDec(t, s), Valid: true} }

	t.Run("UpsertDailyKPI", func(t *testing.T) {
		seed := []kpi{
			{site: 100, org: 10, d: 1, pv: "40.100", load: "30.000", pr: pr(0.82), autarky: 60, yield: yield("4.0100")},
			{site: 100, org: 10, d: 2, pv: "10.000", load: "30.000", pr: pr(0.5), autarky: 10},
			{site: 100, org: 10, d: 3, pv: "45.900", load: "32.500", pr: pr(0.86), autarky: 80},
			{site: 101, org: 10, d: 1, pv: "1.000", load: "2.000", autarky: 1},
			{site: 102, org: 10, d: 1, pv: "2.000", load: "2.000", autarky: 2},
			{site: 200, org: 11, d: 1, pv: "3.000", load: "2.000", autarky: 3},
		}
		for _, k := range seed {
			if n := upsert(t, k); n != 1 {
				t.Errorf("insert %+v: rows affected = %d, want 1", k, n)
			}
		}
		// Recompute site 100, June 2: NULL performance ratio, new energies.
		k := kpi{site: 100, org: 10, d: 2, pv: "38.000", load: "31.000", autarky: 70}
		if n := upsert(t, k); n != 2 {
			t.Errorf("recompute: rows affected = %d, want 2", n)
		}
		if n := upsert(t, k); n != 0 {
			t.Errorf("identical recompute: rows affected = %d, want 0", n)
		}
	})

	t.Run("GetDailyKPI", func(t *testing.T) {
		k, err := q.GetDailyKPI(ctx, analysis.GetDailyKPIParams{SiteID: 100, Day: day(1)})
		if err != nil {
			t.Fatal(err)
		}
		if k.SiteID != 100 || k.OrgID != 10 || k.PerformanceRatio != pr(0.82) || k.SelfConsumptionPct != 55.5 || k.AutarkyPct != 60 {
			t.Errorf("kpi = %+v", k)
		}
		cxTimeEq(t, "day", k.Day, day(1))
		cxTimeEq(t, "computed_at", k.ComputedAt, computed)
		cxDecEq(t, "pv", k.PvEnergyKwh, "40.1")
		cxDecEq(t, "load", k.LoadEnergyKwh, "30")
		cxDecEq(t, "import", k.GridImportKwh, "5.25")
		cxDecEq(t, "export", k.GridExportKwh, "12.125")
		if !k.SpecificYield.Valid {
			t.Error("specific_yield is NULL, want 4.01")
		} else {
			cxDecEq(t, "specific_yield", k.SpecificYield.Decimal, "4.01")
		}

		k, err = q.GetDailyKPI(ctx, analysis.GetDailyKPIParams{SiteID: 100, Day: day(2)})
		if err != nil {
			t.Fatal(err)
		}
		if k.PerformanceRatio.Valid || k.SpecificYield.Valid || k.AutarkyPct != 70 {
			t.Errorf("recomputed kpi = %+v, want NULL ratio, NULL yield, autarky 70", k)
		}
		cxDecEq(t, "recomputed pv", k.PvEnergyKwh, "38")
		if _, err := q.GetDailyKPI(ctx, analysis.GetDailyKPIParams{SiteID: 100, Day: day(9)}); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("missing day: err = %v, want sql.ErrNoRows", err)
		}
	})

	t.Run("ListSiteDailyKPIs", func(t *testing.T) {
		list := func(from, to int, limit int32) []time.Time {
			t.Helper()
			rows, err := q.ListSiteDailyKPIs(ctx, analysis.ListSiteDailyKPIsParams{SiteID: 100, FromDay: day(from), ToDay: day(to), Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			var days []time.Time
			for _, r := range rows {
				if r.SiteID != 100 {
					t.Errorf("row of site %d", r.SiteID)
				}
				days = append(days, r.Day)
			}
			return days
		}
		check := func(what string, got []time.Time, want ...int) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: days = %v, want days %v", what, got, want)
				return
			}
			for i := range want {
				cxTimeEq(t, what, got[i], day(want[i]))
			}
		}
		check("1..3", list(1, 3, 10), 1, 2, 3)
		check("2..3 (inclusive bounds)", list(2, 3, 10), 2, 3)
		check("1..3 limit 2", list(1, 3, 2), 1, 2)
		check("4..9", list(4, 9, 10))
	})

	t.Run("SummarizeSiteKPIs", func(t *testing.T) {
		s, err := q.SummarizeSiteKPIs(ctx, analysis.SummarizeSiteKPIsParams{SiteID: 100, FromDay: day(1), ToDay: day(3)})
		if err != nil {
			t.Fatal(err)
		}
		if s.Days != 3 {
			t.Errorf("days = %d, want 3", s.Days)
		}
		cxDecEq(t, "pv", s.PvEnergyKwh, "124.0")    // 40.1 + 38 + 45.9
		cxDecEq(t, "load", s.LoadEnergyKwh, "93.5") // 30 + 31 + 32.5
		cxDecEq(t, "import", s.GridImportKwh, "15.75")
		cxDecEq(t, "export", s.GridExportKwh, "36.375")
		cxDecEq(t, "avg performance ratio (NULL day ignored)", s.AvgPerformanceRatio, "0.84")
		cxDecEq(t, "avg autarky", s.AvgAutarkyPct, "70")

		s, err = q.SummarizeSiteKPIs(ctx, analysis.SummarizeSiteKPIsParams{SiteID: 100, FromDay: day(2), ToDay: day(2)})
		if err != nil {
			t.Fatal(err)
		}
		if s.Days != 1 {
			t.Errorf("one day: days = %d", s.Days)
		}
		cxDecEq(t, "one day pv", s.PvEnergyKwh, "38")
		cxDecEq(t, "one day avg ratio of only NULL", s.AvgPerformanceRatio, "0")

		s, err = q.SummarizeSiteKPIs(ctx, analysis.SummarizeSiteKPIsParams{SiteID: 999, FromDay: day(1), ToDay: day(3)})
		if err != nil {
			t.Fatal(err)
		}
		if s.Days != 0 {
			t.Errorf("no data: days = %d", s.Days)
		}
		cxDecEq(t, "no data pv", s.PvEnergyKwh, "0")
	})

	t.Run("ListOrgKPIsForDay", func(t *testing.T) {
		list := func(org int64, d int, after int64, limit int32) []int64 {
			t.Helper()
			rows, err := q.ListOrgKPIsForDay(ctx, analysis.ListOrgKPIsForDayParams{OrgID: org, Day: day(d), AfterSiteID: after, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			return cxIDs(rows, func(k analysis.SiteDailyKpi) int64 { return k.SiteID })
		}
		cxIDsEq(t, "org 10 June 1", list(10, 1, 0, 10), []int64{100, 101, 102})
		cxIDsEq(t, "org 10 June 2", list(10, 2, 0, 10), []int64{100})
		cxIDsEq(t, "org 11 June 1", list(11, 1, 0, 10), []int64{200})
		cxIDsEq(t, "page 1", list(10, 1, 0, 2), []int64{100, 101})
		cxIDsEq(t, "page 2", list(10, 1, 101, 2), []int64{102})
		cxIDsEq(t, "page 3", list(10, 1, 102, 2), nil)
	})

	t.Run("DeleteDailyKPIsBefore", func(t *testing.T) {
		n, err := q.DeleteDailyKPIsBefore(ctx, day(1))
		cxN(t, "before June 1", n, err, 0)
		n, err = q.DeleteDailyKPIsBefore(ctx, day(2))
		cxN(t, "before June 2", n, err, 4)
		if _, err := q.GetDailyKPI(ctx, analysis.GetDailyKPIParams{SiteID: 100, Day: day(1)}); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("June 1 still there: err = %v", err)
		}
		if _, err := q.GetDailyKPI(ctx, analysis.GetDailyKPIParams{SiteID: 100, Day: day(2)}); err != nil {
			t.Errorf("June 2 deleted: %v", err)
		}
	})

	var j1, j2, j3 int64
	t.Run("EnqueueRollupJob", func(t *testing.T) {
		enqueue := func(kind analysis.RollupJobsKind, site sql.NullInt64, from, to int) int64 {
			t.Helper()
			id, err := q.EnqueueRollupJob(ctx, analysis.EnqueueRollupJobParams{
				Kind: kind, SiteID: site, PeriodStart: day(from), PeriodEnd: day(to), Params: json.RawMessage(`{"force": true}`),
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		j1 = enqueue(analysis.RollupJobsKindDaily, cxI64(100), 3, 3)
		j2 = enqueue(analysis.RollupJobsKindMonthly, sql.NullInt64{}, 1, 30)
		j3 = enqueue(analysis.RollupJobsKindBackfill, cxI64(101), 1, 2)
		if j1 <= 0 || j2 != j1+1 || j3 != j2+1 {
			t.Fatalf("ids = %d %d %d, want consecutive", j1, j2, j3)
		}
	})

	startedAt := time.Date(2025, 6, 4, 2, 0, 0, 0, time.UTC)
	// claim runs NextPendingRollupJob + StartRollupJob in one transaction, as a worker does.
	claim := func(t *testing.T) (analysis.RollupJob, error) {
		t.Helper()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		qtx := q.WithTx(tx)
		job, err := qtx.NextPendingRollupJob(ctx)
		if err != nil {
			return job, err
		}
		n, err := qtx.StartRollupJob(ctx, analysis.StartRollupJobParams{StartedAt: startedAt, ID: job.ID})
		cxN(t, "StartRollupJob in claim", n, err, 1)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		return job, nil
	}

	t.Run("NextPendingRollupJob", func(t *testing.T) {
		job, err := claim(t)
		if err != nil {
			t.Fatal(err)
		}
		if job.ID != j1 || job.Kind != analysis.RollupJobsKindDaily || job.SiteID != cxI64(100) ||
			job.Status != analysis.RollupJobsStatusPending || job.Attempts != 0 || job.ErrorMessage.Valid {
			t.Errorf("job = %+v, want pending daily job %d", job, j1)
		}
		cxTimeEq(t, "period_start", job.PeriodStart, day(3))
		cxJSONEq(t, "params", job.Params, `{"force": true}`)
		job, err = claim(t)
		if err != nil {
			t.Fatal(err)
		}
		if job.ID != j2 || job.SiteID.Valid {
			t.Errorf("second claim = job %d site %v, want %d with NULL site", job.ID, job.SiteID, j2)
		}
	})

	t.Run("StartRollupJob", func(t *testing.T) {
		n, err := q.StartRollupJob(ctx, analysis.StartRollupJobParams{StartedAt: startedAt.Add(time.Hour), ID: j1})
		cxN(t, "start a running job", n, err, 0)
		rows, err := q.ListRollupJobs(ctx, analysis.ListRollupJobsParams{Limit: 1})
		if err != nil || len(rows) != 1 {
			t.Fatalf("rows = %+v, err = %v", rows, err)
		}
		j := rows[0]
		if j.ID != j1 || j.Status != analysis.RollupJobsStatusRunning || j.Attempts != 1 {
			t.Errorf("job = %+v, want running with 1 attempt", j)
		}
		cxNullTimeEq(t, "started_at", j.StartedAt, &startedAt)
	})

	finished := startedAt.Add(90 * time.Second)
	t.Run("FinishRollupJob", func(t *testing.T) {
		n, err := q.FinishRollupJob(ctx, analysis.FinishRollupJobParams{Status: analysis.RollupJobsStatusSucceeded, FinishedAt: finished, ID: j1})
		cxN(t, "finish j1", n, err, 1)
		n, err = q.FinishRollupJob(ctx, analysis.FinishRollupJobParams{Status: analysis.RollupJobsStatusFailed, FinishedAt: finished, ID: j1})
		cxN(t, "finish j1 again", n, err, 0)
		n, err = q.FinishRollupJob(ctx, analysis.FinishRollupJobParams{
			Status: analysis.RollupJobsStatusFailed, FinishedAt: finished, ErrorMessage: cxStr("no telemetry"), ID: j2,
		})
		cxN(t, "fail j2", n, err, 1)
		n, err = q.FinishRollupJob(ctx, analysis.FinishRollupJobParams{Status: analysis.RollupJobsStatusSucceeded, FinishedAt: finished, ID: j3})
		cxN(t, "finish pending j3", n, err, 0)
	})

	t.Run("ListRollupJobs", func(t *testing.T) {
		list := func(p analysis.ListRollupJobsParams) []analysis.RollupJob {
			t.Helper()
			rows, err := q.ListRollupJobs(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			return rows
		}
		ids := func(rows []analysis.RollupJob) []int64 {
			return cxIDs(rows, func(j analysis.RollupJob) int64 { return j.ID })
		}
		all := list(analysis.ListRollupJobsParams{Limit: 10})
		cxIDsEq(t, "all", ids(all), []int64{j1, j2, j3})
		if len(all) == 3 {
			if all[0].Status != analysis.RollupJobsStatusSucceeded || all[0].ErrorMessage.Valid {
				t.Errorf("j1 = %+v, want succeeded without error", all[0])
			}
			cxNullTimeEq(t, "j1 finished_at", all[0].FinishedAt, &finished)
			if all[1].Status != analysis.RollupJobsStatusFailed || all[1].ErrorMessage != cxStr("no telemetry") {
				t.Errorf("j2 = %+v, want failed with error", all[1])
			}
			if all[2].Status != analysis.RollupJobsStatusPending || all[2].Attempts != 0 || all[2].StartedAt.Valid {
				t.Errorf("j3 = %+v, want untouched pending", all[2])
			}
		}
		status := func(s analysis.RollupJobsStatus) analysis.NullRollupJobsStatus {
			return analysis.NullRollupJobsStatus{RollupJobsStatus: s, Valid: true}
		}
		kind := func(k analysis.RollupJobsKind) analysis.NullRollupJobsKind {
			return analysis.NullRollupJobsKind{RollupJobsKind: k, Valid: true}
		}
		cxIDsEq(t, "pending", ids(list(analysis.ListRollupJobsParams{Status: status(analysis.RollupJobsStatusPending), Limit: 10})), []int64{j3})
		cxIDsEq(t, "monthly", ids(list(analysis.ListRollupJobsParams{Kind: kind(analysis.RollupJobsKindMonthly), Limit: 10})), []int64{j2})
		cxIDsEq(t, "succeeded daily", ids(list(analysis.ListRollupJobsParams{
			Status: status(analysis.RollupJobsStatusSucceeded), Kind: kind(analysis.RollupJobsKindDaily), Limit: 10})), []int64{j1})
		cxIDsEq(t, "failed daily", ids(list(analysis.ListRollupJobsParams{
			Status: status(analysis.RollupJobsStatusFailed), Kind: kind(analysis.RollupJobsKindDaily), Limit: 10})), nil)
		cxIDsEq(t, "page 2", ids(list(analysis.ListRollupJobsParams{AfterID: j1, Limit: 1})), []int64{j2})
		cxIDsEq(t, "page 3", ids(list(analysis.ListRollupJobsParams{AfterID: j2, Limit: 1})), []int64{j3})
		cxIDsEq(t, "page 4", ids(list(analysis.ListRollupJobsParams{AfterID: j3, Limit: 1})), nil)
	})

	t.Run("NextPendingRollupJob empty", func(t *testing.T) {
		if job, err := claim(t); err != nil || job.ID != j3 {
			t.Fatalf("claim = %d, %v, want %d", job.ID, err, j3)
		}
		if _, err := claim(t); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("no pending jobs: err = %v, want sql.ErrNoRows", err)
		}
	})
}
