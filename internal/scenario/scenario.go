package scenario

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Defaults of [Config]: the design note's pool and the scenario's load.
const (
	DefaultSize        = 5
	DefaultOverflow    = 10
	DefaultTimeout     = time.Second
	DefaultCallLatency = 100 * time.Millisecond
	// DefaultIdleInTxThreshold is the idle-in-transaction warning threshold
	// of the scenario's dbx pool: half the external call, so a transaction
	// held across the call is reported (dbx's own default is 1 s).
	DefaultIdleInTxThreshold = 50 * time.Millisecond
	// DefaultOverloadFor is how long the overload part sends requests.
	DefaultOverloadFor = 2 * time.Second
	// DefaultOverloadFactor is the overload's arrival rate as a multiple of
	// the held pattern's capacity, Size+Overflow requests per call latency.
	DefaultOverloadFactor = 1.33
)

// DeviceBase is the first device id the scenario writes; request i writes
// device DeviceBase+i of site 0.
const DeviceBase = 900_000_000

// DefaultRequests are the N of the design note.
var DefaultRequests = []int{20, 200, 2000}

// maxRequests bounds N: the scenario runs every request in its own
// goroutine with its own HTTP connection to the stub.
const maxRequests = 10_000

// Pattern is how a request uses its transactions.
type Pattern string

// The two patterns.
const (
	// Held runs the read, the external call and the write in one Write
	// transaction.
	Held Pattern = "held"
	// Scoped runs a Read, then the external call, then a Write.
	Scoped Pattern = "scoped"
)

// Impl is the pool a run uses.
type Impl string

// The two pools.
const (
	// DBX is dbx's pool: FIFO gate, pool timeout, events.
	DBX Impl = "hubdb"
	// Raw is database/sql with the same limits, acquisitions bounded by a
	// context.
	Raw Impl = "database/sql"
)

// Config says where and how to run the scenario. Zero fields take the
// defaults.
type Config struct {
	// Server is the server holding Schema; its DBName is ignored. Required.
	Server *mysql.Config
	// Schema is the physical name of a migrated ess database. Required.
	Schema string
	// Requests lists the N to run. Default 20, 200 and 2000.
	Requests []int
	// Patterns lists the patterns to run. Default Held and Scoped.
	Patterns []Pattern
	// Impls lists the pools to run on. Default DBX and Raw.
	Impls []Impl
	// Size, Overflow and Timeout are the pool's settings (SQLAlchemy's
	// pool_size, max_overflow and pool_timeout). Default 5, 10 and 1 s;
	// a negative Overflow means none.
	Size, Overflow int
	Timeout        time.Duration
	// CallLatency is how long the external call takes. Default 100 ms.
	CallLatency time.Duration
	// IdleInTxThreshold is the dbx pool's idle-in-transaction warning
	// threshold. Default 50 ms.
	IdleInTxThreshold time.Duration
	// OverloadFor is how long the overload part sends requests; negative
	// skips it. Default 2 s.
	OverloadFor time.Duration
	// OverloadFactor is the overload's arrival rate as a multiple of the
	// held pattern's capacity. Default 1.33.
	OverloadFactor float64
	// Progress, when set, is told what runs next, e.g. "hubdb held N=200".
	Progress func(string)
}

// ErrConfig reports an invalid [Config].
var ErrConfig = errors.New("scenario: invalid config")

func (c Config) withDefaults() (Config, error) {
	if c.Server == nil || c.Schema == "" {
		return c, fmt.Errorf("%w: Server and Schema are required", ErrConfig)
	}
	if len(c.Requests) == 0 {
		c.Requests = DefaultRequests
	}
	for _, n := range c.Requests {
		if n < 1 || n > maxRequests {
			return c, fmt.Errorf("%w: %d requests: want 1 to %d", ErrConfig, n, maxRequests)
		}
	}
	if len(c.Patterns) == 0 {
		c.Patterns = []Pattern{Held, Scoped}
	}
	for _, p := range c.Patterns {
		if p != Held && p != Scoped {
			return c, fmt.Errorf("%w: unknown pattern %q (held or scoped)", ErrConfig, p)
		}
	}
	if len(c.Impls) == 0 {
		c.Impls = []Impl{DBX, Raw}
	}
	for _, i := range c.Impls {
		if i != DBX && i != Raw {
			return c, fmt.Errorf("%w: unknown pool %q", ErrConfig, i)
		}
	}
	if c.Size == 0 {
		c.Size = DefaultSize
	}
	if c.Overflow == 0 {
		c.Overflow = DefaultOverflow
	}
	if c.Size < 1 || c.max() > 100 {
		return c, fmt.Errorf("%w: size %d overflow %d: want size >= 1 and at most 100 connections",
			ErrConfig, c.Size, c.Overflow)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.CallLatency == 0 {
		c.CallLatency = DefaultCallLatency
	}
	if c.IdleInTxThreshold == 0 {
		c.IdleInTxThreshold = DefaultIdleInTxThreshold
	}
	if c.OverloadFor == 0 {
		c.OverloadFor = DefaultOverloadFor
	}
	if c.OverloadFactor == 0 {
		c.OverloadFactor = DefaultOverloadFactor
	}
	if c.Timeout < 0 || c.CallLatency < 0 || c.OverloadFactor < 0 {
		return c, fmt.Errorf("%w: negative timeout, call latency or overload factor", ErrConfig)
	}
	return c, nil
}

// max returns the pool's limit, Size+Overflow (a negative Overflow counts
// as none).
func (c Config) max() int { return c.Size + max(c.Overflow, 0) }

// Run runs the scenario: it starts the stub service, measures the
// transaction times on one idle connection, then runs every pattern, N and
// pool in turn, and finally the overload part. It fails only when the
// scenario cannot run at all (no server, no ess tables); what happens to
// the requests is in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	stub, err := startStub(cfg.CallLatency)
	if err != nil {
		return nil, err
	}
	defer stub.close()
	maxN := 0
	for _, n := range cfg.Requests {
		maxN = max(maxN, n)
	}
	if err := stub.warm(ctx, maxN); err != nil {
		return nil, err
	}
	rep := &Report{Config: cfg, Started: time.Now()}
	if rep.Calib, err = calibrate(ctx, cfg); err != nil {
		return nil, err
	}
	progress := cfg.Progress
	if progress == nil {
		progress = func(string) {}
	}
	for _, p := range cfg.Patterns {
		for _, n := range cfg.Requests {
			for _, impl := range cfg.Impls {
				progress(fmt.Sprintf("%s %s N=%d", impl, p, n))
				res, err := runOnce(ctx, cfg, stub, impl, p, burst(n))
				if err != nil {
					return nil, err
				}
				res.Best = rep.Calib.best(cfg, p, n)
				rep.Results = append(rep.Results, res)
			}
		}
	}
	if cfg.OverloadFor > 0 {
		arr := rep.Calib.overload(cfg)
		for _, impl := range cfg.Impls {
			progress(fmt.Sprintf("%s held overload %.0f req/s for %v", impl, arr.rate, cfg.OverloadFor))
			res, err := runOnce(ctx, cfg, stub, impl, Held, arr)
			if err != nil {
				return nil, err
			}
			rep.Overload = append(rep.Overload, res)
		}
	}
	rep.Elapsed = time.Since(rep.Started)
	return rep, nil
}
