package gen_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/gen/pv"
)

func batteryRows(n int, device int64, t0 time.Time) []ess.InsertBatteryReadingParams {
	rows := make([]ess.InsertBatteryReadingParams, n)
	for i := range rows {
		rows[i] = ess.InsertBatteryReadingParams{DeviceID: device, Ts: t0.Add(time.Duration(i) * time.Minute), SiteID: 1,
			SocPct: 50, PowerW: decimal.New(int64(i), -1), TemperatureC: 20,
			EnergyInWh: decimal.NewFromInt(int64(i)), EnergyOutWh: decimal.Zero}
	}
	return rows
}

// TestBatchInsert: a generated batch method stores every row (10,000 rows:
// ten statements of BatchRows), and inside Write a constraint violation in
// row 500 of 1,000 stores nothing, with the error typed and named.
func TestBatchInsert(t *testing.T) {
	hub := openHub(t)
	ctx := context.Background()
	t0 := time.Date(2025, 6, 21, 0, 0, 0, 0, time.UTC)
	const many = 10_000
	var stored int64
	err := hub.ESS.Write(ctx, func(ctx context.Context, q *ess.Queries) error {
		var err error
		stored, err = q.InsertBatteryReadingBatch(ctx, batteryRows(many, 1, t0))
		return err
	})
	if err != nil || stored != many {
		t.Fatalf("batch of %d rows: %d stored, %v", many, stored, err)
	}
	list, err := hub.ESS.Queries(ctx).ListBatteryReadings(ctx, ess.ListBatteryReadingsParams{
		DeviceID: 1, FromTs: t0, ToTs: t0.Add(many * time.Minute), Limit: many + 1})
	if err != nil || len(list) != many {
		t.Fatalf("read back %d rows, %v; want %d", len(list), err, many)
	}
	if !list[4321].PowerW.Equal(decimal.New(4321, -1)) || !list[4321].Ts.Equal(t0.Add(4321*time.Minute)) {
		t.Errorf("row 4321 = %+v", list[4321])
	}

	bad := batteryRows(1000, 2, t0)
	bad[500].Ts = bad[0].Ts // the primary key (device_id, ts) again
	err = hub.ESS.Write(ctx, func(ctx context.Context, q *ess.Queries) error {
		_, err := q.InsertBatteryReadingBatch(ctx, bad)
		return err
	})
	if !errors.Is(err, dbx.ErrDuplicateKey) || !strings.Contains(err.Error(), "InsertBatteryReadingBatch") {
		t.Fatalf("batch with a duplicate at row 500: %v; want ErrDuplicateKey naming InsertBatteryReadingBatch", err)
	}
	list, err = hub.ESS.Queries(ctx).ListBatteryReadings(ctx, ess.ListBatteryReadingsParams{
		DeviceID: 2, FromTs: t0, ToTs: t0.Add(2000 * time.Minute), Limit: 2000})
	if err != nil || len(list) != 0 {
		t.Errorf("after the failed batch: %d rows of device 2 stored, %v; want none", len(list), err)
	}
}

// TestBatchInsertKeepsConflictHandling: pv's INSERT IGNORE stays in the
// batch form: ingesting the same rows again stores nothing new.
func TestBatchInsertKeepsConflictHandling(t *testing.T) {
	hub := openHub(t)
	ctx := context.Background()
	t0 := time.Date(2025, 6, 21, 0, 0, 0, 0, time.UTC)
	rows := make([]pv.InsertInverterReadingParams, 1500)
	for i := range rows {
		rows[i] = pv.InsertInverterReadingParams{DeviceID: 9, Ts: t0.Add(time.Duration(i) * time.Minute), SiteID: 1,
			AcPowerW: decimal.NewFromInt(100), DcPowerW: decimal.NewFromInt(110), EnergyWh: decimal.NewFromInt(int64(i)),
			AcVoltageV: 230, DcVoltageV: 600, TemperatureC: sql.NullFloat64{Float64: 30, Valid: true}}
	}
	for round, want := range []int64{1500, 0} {
		var n int64
		err := hub.PV.Write(ctx, func(ctx context.Context, q *pv.Queries) error {
			var err error
			n, err = q.InsertInverterReadingBatch(ctx, rows)
			return err
		})
		if err != nil || n != want {
			t.Errorf("round %d: %d rows stored, %v; want %d", round, n, err, want)
		}
	}
}
