package scenario

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
)

// Report is the outcome of [Run].
type Report struct {
	// Config is the configuration run, defaults applied.
	Config Config
	// Calib holds the transaction times the theoretical bests use.
	Calib Calibration
	// Results has one entry per pattern, N and pool, in run order.
	Results []Result
	// Overload has one entry per pool: the held pattern under a steady
	// stream of requests above the pool's capacity.
	Overload []Result
	// Started and Elapsed bound the whole run.
	Started time.Time
	Elapsed time.Duration
}

// Find returns the result of impl, pattern p and N n.
func (r *Report) Find(impl Impl, p Pattern, n int) (Result, bool) {
	for _, res := range r.Results {
		if res.Impl == impl && res.Pattern == p && res.N == n {
			return res, true
		}
	}
	return Result{}, false
}

// ErrPromise reports that a run broke what the scenario shows.
var ErrPromise = errors.New("scenario: promise not kept")

// Check verifies what the scenario promises on dbx: every scoped run
// completes all its requests without failures, and every held run that
// cannot finish within the pool timeout (ceil(N/(size+overflow)) calls
// take longer than it) shows pool timeouts and idle-in-transaction
// warnings. It returns nil or an error matching [ErrPromise] that lists
// the broken promises.
func (r *Report) Check() error {
	var errs []error
	cfg := r.Config
	for _, res := range r.Results {
		if res.Impl != DBX {
			continue
		}
		switch res.Pattern {
		case Scoped:
			if res.Completed != res.N || res.Failed != 0 || res.Errors != 0 {
				errs = append(errs, fmt.Errorf("%w: scoped N=%d completed %d of %d (%d pool timeouts, %d errors%s)",
					ErrPromise, res.N, res.Completed, res.N, res.Failed, res.Errors, firstError(res)))
			}
		case Held:
			rounds := (res.N + cfg.max() - 1) / cfg.max()
			if time.Duration(rounds)*cfg.CallLatency <= cfg.Timeout {
				continue // the pool can serve them all in time
			}
			if res.Failed == 0 || res.IdleWarnings <= 0 {
				errs = append(errs, fmt.Errorf("%w: held N=%d: %d pool timeouts and %d idle-in-transaction warnings, want both > 0",
					ErrPromise, res.N, res.Failed, res.IdleWarnings))
			}
			if res.Errors != 0 {
				errs = append(errs, fmt.Errorf("%w: held N=%d: %d errors other than pool timeouts%s",
					ErrPromise, res.N, res.Errors, firstError(res)))
			}
		}
	}
	return errors.Join(errs...)
}

func firstError(r Result) string {
	if r.FirstError == "" {
		return ""
	}
	return "; first: " + r.FirstError
}

// Print writes the report as tables with a short reading guide.
func (r *Report) Print(w io.Writer) {
	cfg, c := r.Config, r.Calib
	fmt.Fprintf(w, "Pool size %d, overflow %d, pool timeout %v. Each request reads a battery's state (ess),\n",
		cfg.Size, max(cfg.Overflow, 0), cfg.Timeout)
	fmt.Fprintf(w, "calls an external service that answers in %v, then writes the battery's new state.\n", cfg.CallLatency)
	fmt.Fprintln(w, "  held:   one Write transaction spans the external call")
	fmt.Fprintln(w, "  scoped: a Read, the external call outside any transaction, then a Write")
	fmt.Fprintf(w, "Transactions timed alone on one connection: read %s, write %s, read+write %s.\n\n",
		ms(c.Read), ms(c.Write), ms(c.Held))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PATTERN\tN\tPOOL\tDONE\tFAILED\tWALL\tP50\tP99\tPEAK CONNS\tIDLE-IN-TX\tBEST\tWALL/BEST\t")
	for _, res := range r.Results {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t\n",
			res.Pattern, res.N, res.Impl, res.Completed, failed(res), ms(res.Wall), ms(res.P50), ms(res.P99),
			res.Peak, warnings(res), ms(res.Best), ratio(res))
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\nFAILED counts pool timeouts (+N other errors). Latencies are of completed requests, from arrival.")
	fmt.Fprintf(w, "BEST: held ceil(N/%d)x(call + read+write tx); scoped max(call + read + write, N x (read+write)/%d).\n",
		cfg.max(), cfg.max())
	fmt.Fprintln(w, "WALL/BEST is shown only when every request completed.")
	r.printGate(w)
	r.printOverload(w)
	r.printVerdict(w)
}

// printGate compares the two pools where both completed everything.
func (r *Report) printGate(w io.Writer) {
	var lines []string
	for _, res := range r.Results {
		if res.Impl != DBX || res.Ratio() == 0 {
			continue
		}
		raw, ok := r.Find(Raw, res.Pattern, res.N)
		if !ok || raw.Ratio() == 0 {
			continue
		}
		lines = append(lines, fmt.Sprintf("  %-6s N=%-5d hubdb %s, database/sql %s: %+.1f%%",
			res.Pattern, res.N, ms(res.Wall), ms(raw.Wall), 100*(float64(res.Wall)/float64(raw.Wall)-1)))
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "\nThe gate's cost, wall time where both pools completed every request:")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

func (r *Report) printOverload(w io.Writer) {
	if len(r.Overload) == 0 {
		return
	}
	o := r.Overload[0]
	fmt.Fprintf(w, "\nOverload: held requests arriving steadily at %.0f/s for %v, %.2fx what %d connections can serve (%.0f/s).\n",
		o.Rate, r.Config.OverloadFor, r.Config.OverloadFactor, r.Config.max(), r.Calib.capacity(r.Config))
	fmt.Fprintln(w, "hubdb serves waiters in arrival order; database/sql hands a freed connection to a random waiter.")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "POOL\tSENT\tDONE\tFAILED\tP50\tP99\tMAX\t")
	for _, res := range r.Overload {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", res.Impl, res.N, res.Completed, failed(res),
			ms(res.P50), ms(res.P99), ms(res.Max))
	}
	_ = tw.Flush()
}

func (r *Report) printVerdict(w io.Writer) {
	fmt.Fprintln(w)
	for _, res := range r.Results {
		if res.Impl != DBX || res.N != r.largest() {
			continue
		}
		switch res.Pattern {
		case Scoped:
			fmt.Fprintf(w, "scoped: %d of %d completed, %d pool timeouts: connections are held only while queries run.\n",
				res.Completed, res.N, res.Failed)
		case Held:
			fmt.Fprintf(w, "held:   %d of %d failed with pool timeouts and %d transactions were reported idle:\n"+
				"        each request keeps a connection through the %v call, so %d connections serve only ~%.0f requests/s.\n",
				res.Failed, res.N, res.IdleWarnings, r.Config.CallLatency, r.Config.max(), r.Calib.capacity(r.Config))
		}
	}
	if err := r.Check(); err != nil {
		fmt.Fprintf(w, "NOT AS EXPECTED:\n%v\n", err)
	}
	fmt.Fprintf(w, "(scenario run in %v)\n", r.Elapsed.Round(100*time.Millisecond))
}

func (r *Report) largest() int {
	n := 0
	for _, res := range r.Results {
		n = max(n, res.N)
	}
	return n
}

// ms formats d in milliseconds with a precision that suits its size.
func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	f := float64(d) / float64(time.Millisecond)
	switch {
	case f < 10:
		return strconv.FormatFloat(f, 'f', 2, 64) + "ms"
	case f < 100:
		return strconv.FormatFloat(f, 'f', 1, 64) + "ms"
	}
	return strconv.FormatFloat(f, 'f', 0, 64) + "ms"
}

func failed(r Result) string {
	if r.Errors > 0 {
		return fmt.Sprintf("%d (+%d)", r.Failed, r.Errors)
	}
	return strconv.Itoa(r.Failed)
}

func warnings(r Result) string {
	if r.IdleWarnings < 0 {
		return "n/a"
	}
	return strconv.Itoa(r.IdleWarnings)
}

func ratio(r Result) string {
	if x := r.Ratio(); x > 0 {
		return strconv.FormatFloat(x, 'f', 2, 64) + "x"
	}
	return "-"
}
