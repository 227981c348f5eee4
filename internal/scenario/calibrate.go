package scenario

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/solarhub/hubdb/gen/ess"
)

// calibrationRounds is how many times each transaction is timed.
const calibrationRounds = 40

// Calibration holds the transaction times measured on one idle
// connection of database/sql (the medians of calibrationRounds runs), the
// floor under both pools.
type Calibration struct {
	// Read is a read-only transaction with the request's read; Write a
	// read-write one with its write; Held one with both (no call).
	Read, Write, Held time.Duration
}

// calibrate times the scenario's transactions one at a time.
func calibrate(ctx context.Context, cfg Config) (Calibration, error) {
	db, err := openRawDB(cfg)
	if err != nil {
		return Calibration{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	p := &rawPool{db: db, timeout: time.Minute}
	sp := setpoint{Mode: "idle", SocPct: 50}
	var st ess.GetBatteryStateRow
	read := func(q *ess.Queries) (err error) {
		st, err = readState(ctx, q, calibrationDevice)
		return err
	}
	write := func(q *ess.Queries) error { return writeState(ctx, q, st, sp) }
	held := func(q *ess.Queries) error {
		if err := read(q); err != nil {
			return err
		}
		return write(q)
	}
	var c Calibration
	for _, m := range []struct {
		readOnly bool
		fn       func(*ess.Queries) error
		out      *time.Duration
	}{{true, read, &c.Read}, {false, write, &c.Write}, {false, held, &c.Held}} {
		times := make([]time.Duration, 0, calibrationRounds)
		for i := range calibrationRounds + 3 {
			start := time.Now()
			if err := p.tx(ctx, m.readOnly, m.fn); err != nil {
				return Calibration{}, fmt.Errorf("scenario: timing the transactions on %s: %w", cfg.Schema, err)
			}
			if i >= 3 { // the first runs warm the connection and the caches
				times = append(times, time.Since(start))
			}
		}
		slices.Sort(times)
		*m.out = times[len(times)/2]
	}
	return c, nil
}

// best returns the theoretical best wall time of N requests of pattern p
// on a pool of cfg.max() connections.
func (c Calibration) best(cfg Config, p Pattern, n int) time.Duration {
	conns := cfg.max()
	if p == Held {
		rounds := (n + conns - 1) / conns
		return time.Duration(rounds) * (cfg.CallLatency + c.Held)
	}
	one := cfg.CallLatency + c.Read + c.Write
	all := time.Duration(n) * (c.Read + c.Write) / time.Duration(conns)
	return max(one, all)
}

// capacity is how many held requests per second the pool can finish.
func (c Calibration) capacity(cfg Config) float64 {
	return float64(cfg.max()) / (cfg.CallLatency + c.Held).Seconds()
}

// overload returns the overload part's arrivals.
func (c Calibration) overload(cfg Config) arrivals {
	rate := cfg.OverloadFactor * c.capacity(cfg)
	return arrivals{n: int(math.Round(rate * cfg.OverloadFor.Seconds())), rate: rate}
}
