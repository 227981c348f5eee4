package scenario

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/gen/ess"
)

// siteID is the site of the scenario's batteries; no seeded site has it.
const siteID = 0

// calibrationDevice is the device the calibration writes, outside the
// range of the requests' devices.
const calibrationDevice = DeviceBase + maxRequests

// readState is the request's read: the battery's current state. A battery
// the scenario has not written yet has none, which is no error.
func readState(ctx context.Context, q ess.Reader, device int64) (ess.GetBatteryStateRow, error) {
	st, err := q.GetBatteryState(ctx, device)
	if errors.Is(err, sql.ErrNoRows) {
		return ess.GetBatteryStateRow{DeviceID: device, SohPct: 100, CapacityWh: decimal.NewFromInt(10_000)}, nil
	}
	return st, err
}

// writeState is the request's write: the battery's new state after the
// set-point.
func writeState(ctx context.Context, q *ess.Queries, prev ess.GetBatteryStateRow, sp setpoint) error {
	_, err := q.UpsertBatteryState(ctx, ess.UpsertBatteryStateParams{
		DeviceID:   prev.DeviceID,
		SiteID:     siteID,
		Mode:       ess.BatteryStatesMode(sp.Mode),
		SocPct:     sp.SocPct,
		SohPct:     prev.SohPct,
		CapacityWh: prev.CapacityWh,
		FaultCodes: json.RawMessage(`[]`),
		UpdatedAt:  time.Now().UTC(),
	})
	return err
}

// caller is the external call of a request.
type caller func(ctx context.Context, device int64) (setpoint, error)

// pool runs the two patterns on one connection pool.
type pool interface {
	// held runs read, call and write in one read-write transaction.
	held(ctx context.Context, device int64, call caller) error
	// scoped runs a read-only transaction, the call, then a read-write one.
	scoped(ctx context.Context, device int64, call caller) error
	// isTimeout reports whether err is a pool timeout.
	isTimeout(err error) bool
	// peak is the most transactions running at once, each on its own
	// connection.
	peak() int
	// idleWarnings counts idle-in-transaction warnings, or -1 when the pool
	// has none.
	idleWarnings() int
	close() error
}

// peakCounter tracks a current count and its maximum. Both pools count
// the same thing: transactions whose function is running, each holding
// one connection (BEGIN and COMMIT fall outside, so it never counts a
// connection that is already on its way back).
type peakCounter struct {
	cur, max atomicInt
}

func (p *peakCounter) observe(n int64) {
	for {
		m := p.max.Load()
		if n <= m || p.max.CompareAndSwap(m, n) {
			return
		}
	}
}

func (p *peakCounter) inc() { p.observe(p.cur.Add(1)) }
func (p *peakCounter) dec() { p.cur.Add(-1) }
