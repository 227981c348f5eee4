package scenario

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// arrivals says when a run's requests arrive: all at once (rate 0) or
// evenly spaced at rate per second.
type arrivals struct {
	n    int
	rate float64
}

func burst(n int) arrivals { return arrivals{n: n} }

// at returns when request i arrives, counted from the run's start.
func (a arrivals) at(i int) time.Duration {
	if a.rate <= 0 {
		return 0
	}
	return time.Duration(float64(i) / a.rate * float64(time.Second))
}

// Result is what happened to one run: one pool, one pattern, N requests.
type Result struct {
	Impl    Impl
	Pattern Pattern
	// N is how many requests were sent; Rate their arrival rate per
	// second, 0 when they all arrived at once.
	N    int
	Rate float64
	// Completed requests succeeded; Failed ones got a pool timeout; Errors
	// failed otherwise (FirstError is the first such error).
	Completed, Failed, Errors int
	FirstError                string
	// Wall is the time from the first arrival until the last request
	// finished, successfully or not.
	Wall time.Duration
	// P50, P99 and Max are latencies of the completed requests, from
	// arrival to the end of the write.
	P50, P99, Max time.Duration
	// Peak is the most connections in use at once: transactions running
	// their function, each on its own connection.
	Peak int
	// IdleWarnings counts dbx's idle-in-transaction warnings; -1 for
	// database/sql, which has none.
	IdleWarnings int
	// Best is the theoretical best wall time (see the package doc); zero
	// for overload runs.
	Best time.Duration
}

// Ratio returns Wall/Best, or 0 when it means nothing: no Best, or
// requests that failed (the wall time then ends with the timeouts).
func (r Result) Ratio() float64 {
	if r.Best <= 0 || r.Failed > 0 || r.Errors > 0 {
		return 0
	}
	return float64(r.Wall) / float64(r.Best)
}

// outcome is one request's end.
type outcome struct {
	latency time.Duration
	end     time.Duration // since the run's start
	err     error
}

// runOnce opens a fresh pool, sends the requests and reports.
func runOnce(ctx context.Context, cfg Config, s *stub, impl Impl, p Pattern, a arrivals) (Result, error) {
	pl, err := openPool(ctx, cfg, impl)
	if err != nil {
		return Result{}, err
	}
	defer pl.close()
	do := pl.held
	if p == Scoped {
		do = pl.scoped
	}
	outs := make([]outcome, a.n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	start := time.Now()
	send := func(i int) {
		wg.Go(func() {
			<-gate
			arrived := time.Now()
			err := do(ctx, DeviceBase+int64(i), s.call)
			end := time.Now()
			outs[i] = outcome{latency: end.Sub(arrived), end: end.Sub(start), err: err}
		})
	}
	if a.rate <= 0 {
		for i := range a.n {
			send(i)
		}
		start = time.Now()
		close(gate)
	} else {
		close(gate)
		start = time.Now()
		t := time.NewTimer(0)
		for i := range a.n {
			if d := time.Until(start.Add(a.at(i))); d > 0 {
				t.Reset(d)
				select {
				case <-t.C:
				case <-ctx.Done():
				}
			}
			if ctx.Err() != nil {
				break
			}
			send(i)
		}
		t.Stop()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	return summarize(impl, p, a, outs, pl), nil
}

// summarize counts the outcomes.
func summarize(impl Impl, p Pattern, a arrivals, outs []outcome, pl pool) Result {
	r := Result{Impl: impl, Pattern: p, N: a.n, Rate: a.rate, Peak: pl.peak(), IdleWarnings: pl.idleWarnings()}
	lat := make([]time.Duration, 0, len(outs))
	for _, o := range outs {
		r.Wall = max(r.Wall, o.end)
		switch {
		case o.err == nil:
			r.Completed++
			lat = append(lat, o.latency)
		case pl.isTimeout(o.err):
			r.Failed++
		default:
			r.Errors++
			if r.FirstError == "" {
				r.FirstError = o.err.Error()
			}
		}
	}
	slices.Sort(lat)
	r.P50, r.P99 = percentile(lat, 0.50), percentile(lat, 0.99)
	if len(lat) > 0 {
		r.Max = lat[len(lat)-1]
	}
	return r
}

// percentile returns the q-quantile of sorted (nearest rank), 0 if empty.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(float64(len(sorted))*q)) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
