package seed

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/solarhub/hubdb/dbx"
)

// Defaults of [Config].
const (
	DefaultSites            = 50
	DefaultInterval         = time.Minute
	DefaultSeed             = 1
	DefaultOrgSlug          = "solarhub-demo"
	DefaultWorkers          = 4
	DefaultRowsPerStatement = 500
	// KPIDays is how many days of KPIs each site gets, ending on Config.Day.
	KPIDays = 30
)

// DefaultDay is the day of telemetry when Config.Day is zero: a long,
// sunny midsummer day.
var DefaultDay = time.Date(2025, 6, 21, 0, 0, 0, 0, time.UTC)

// The devices of every site.
const (
	InvertersPerSite  = 4
	BatteriesPerSite  = 2
	MetersPerSite     = 3 // grid, pv, load
	ChargersPerSite   = 1
	DevicesPerSite    = InvertersPerSite + BatteriesPerSite + MetersPerSite + ChargersPerSite
	SlotMinutes       = 15
	slotsPerBattery   = 24 * 60 / SlotMinutes
	maxSamplesPerDay  = 24 * 60 * 60
	maxOrgSlugLength  = 32
	siteListPageLimit = 500
)

// Config says what to seed. Zero fields take the defaults.
type Config struct {
	// Sites is how many sites to create. Default 50 (500 devices).
	Sites int
	// Day is the UTC day of telemetry, truncated to midnight. Default
	// DefaultDay.
	Day time.Time
	// Interval is the telemetry sample period; it must divide a day.
	// Default one minute (1440 samples per device).
	Interval time.Duration
	// Seed seeds the random numbers. Default 1.
	Seed uint64
	// OrgSlug identifies the demo organization; a second run with the same
	// slug reuses its data. Default "solarhub-demo".
	OrgSlug string
	// Workers is how many sites are written at once. Default 4.
	Workers int
	// RowsPerStatement is how many telemetry rows go to one call of the
	// generated batch methods (ess.InsertBatteryReadingBatch and its pv and
	// meter kin: one multi-row INSERT up to their BatchRows, 1000); 1 uses
	// the generated single-row queries. Default 500.
	RowsPerStatement int
	// Progress, when set, is called after each unit of work. Calls are
	// serialized, so it need not be safe for concurrent use; it should be
	// fast.
	Progress func(Progress)
}

// Progress reports how far a [Run] is.
type Progress struct {
	// Step names the unit just finished, e.g. "site 7: pv telemetry".
	Step string
	// Done and Total count units of work; Done == Total at the end.
	Done, Total int
}

// Counts counts rows per kind.
type Counts struct {
	Organizations, Users, Sites, Devices int
	InverterReadings, BatteryReadings    int
	MeterReadings                        int
	BatteryStates, MeterProfiles         int
	DailyYields                          int
	Plans, Slots                         int
	Tariffs, TariffPeriods               int
	TariffAssignments                    int
	AlarmRules, Alarms                   int
	KPIs                                 int
}

// Readings returns the telemetry rows (inverter, battery and meter).
func (c Counts) Readings() int { return c.InverterReadings + c.BatteryReadings + c.MeterReadings }

// Rows returns all rows counted.
func (c Counts) Rows() int {
	return c.Organizations + c.Users + c.Sites + c.Devices + c.Readings() + c.BatteryStates +
		c.MeterProfiles + c.DailyYields + c.Plans + c.Slots + c.Tariffs + c.TariffPeriods +
		c.TariffAssignments + c.AlarmRules + c.Alarms + c.KPIs
}

// Add returns c plus o.
func (c Counts) Add(o Counts) Counts {
	c.Organizations += o.Organizations
	c.Users += o.Users
	c.Sites += o.Sites
	c.Devices += o.Devices
	c.InverterReadings += o.InverterReadings
	c.BatteryReadings += o.BatteryReadings
	c.MeterReadings += o.MeterReadings
	c.BatteryStates += o.BatteryStates
	c.MeterProfiles += o.MeterProfiles
	c.DailyYields += o.DailyYields
	c.Plans += o.Plans
	c.Slots += o.Slots
	c.Tariffs += o.Tariffs
	c.TariffPeriods += o.TariffPeriods
	c.TariffAssignments += o.TariffAssignments
	c.AlarmRules += o.AlarmRules
	c.Alarms += o.Alarms
	c.KPIs += o.KPIs
	return c
}

// Report says what a [Run] did.
type Report struct {
	// Created counts rows written by this run; Reused counts the rows an
	// earlier run had written that this run found and kept.
	Created, Reused Counts
	// OrgID is the demo organization's id; SiteIDs are its sites' ids in
	// site order (site 1 first).
	OrgID   int64
	SiteIDs []int64
	// Elapsed is the run's wall time.
	Elapsed time.Duration
}

// withDefaults returns cfg with defaults applied, or an error.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Sites == 0 {
		cfg.Sites = DefaultSites
	}
	if cfg.Day.IsZero() {
		cfg.Day = DefaultDay
	}
	cfg.Day = cfg.Day.UTC().Truncate(24 * time.Hour)
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Seed == 0 {
		cfg.Seed = DefaultSeed
	}
	if cfg.OrgSlug == "" {
		cfg.OrgSlug = DefaultOrgSlug
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.RowsPerStatement == 0 {
		cfg.RowsPerStatement = DefaultRowsPerStatement
	}
	var errs []error
	if cfg.Sites < 0 || cfg.Sites > 9999 {
		errs = append(errs, fmt.Errorf("config.Sites %d: want 1 to 9999", cfg.Sites))
	}
	if cfg.Interval < time.Second || (24*time.Hour)%cfg.Interval != 0 {
		errs = append(errs, fmt.Errorf("config.Interval %v: want at least 1s and a divisor of a day", cfg.Interval))
	}
	if len(cfg.OrgSlug) > maxOrgSlugLength {
		errs = append(errs, fmt.Errorf("config.OrgSlug %q: longer than %d characters", cfg.OrgSlug, maxOrgSlugLength))
	}
	if cfg.Workers < 0 || cfg.RowsPerStatement < 0 {
		errs = append(errs, errors.New("config.Workers and config.RowsPerStatement must not be negative"))
	}
	if len(errs) > 0 {
		return cfg, fmt.Errorf("seed: invalid config: %w", errors.Join(errs...))
	}
	return cfg, nil
}

// samples returns the telemetry samples per device.
func (cfg Config) samples() int { return int(24 * time.Hour / cfg.Interval) }

// setupSteps and siteSteps are the units of work reported as progress.
const (
	setupSteps = 4 // organization, tariffs, alarm rules, sites
	siteSteps  = 8 // devices, pv, ess, meter, schedule, tariff assignment, alarms, KPIs
)

// Run seeds the databases of m (it needs account, site, device, pv, ess,
// meter, schedule, tariff, alarm and analysis) and reports what it wrote
// and what it found already there.
func Run(ctx context.Context, m *dbx.Manager, cfg Config) (Report, error) {
	start := time.Now()
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Report{}, err
	}
	h, err := bind(m)
	if err != nil {
		return Report{}, fmt.Errorf("seed: %w", err)
	}
	r := &run{cfg: cfg, h: h, total: setupSteps + siteSteps*cfg.Sites}
	if err := r.setup(ctx); err != nil {
		return Report{}, err
	}
	if err := r.sites(ctx); err != nil {
		return Report{}, err
	}
	rep := r.report()
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// run is one Run's state.
type run struct {
	cfg Config
	h   handles

	orgID    int64
	userIDs  []int64
	tariffs  map[string]int64 // by name
	ruleIDs  map[string]int64 // by code
	siteRefs []siteRef

	mu              sync.Mutex
	created, reused Counts
	done, total     int
}

// tally adds to the report's counts and reports one unit of work done.
func (r *run) tally(step string, created, reused Counts) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.created = r.created.Add(created)
	r.reused = r.reused.Add(reused)
	r.done++
	if r.cfg.Progress != nil {
		r.cfg.Progress(Progress{Step: step, Done: r.done, Total: r.total})
	}
}

func (r *run) report() Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]int64, len(r.siteRefs))
	for i, s := range r.siteRefs {
		ids[i] = s.id
	}
	return Report{Created: r.created, Reused: r.reused, OrgID: r.orgID, SiteIDs: ids}
}

// sites seeds every site, cfg.Workers at a time; the first error stops
// the others.
func (r *run) sites(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan siteRef)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range min(r.cfg.Workers, len(r.siteRefs)) {
		wg.Go(func() {
			for s := range work {
				if err := r.site(ctx, s); err != nil {
					once.Do(func() { first = err })
					cancel(err)
				}
			}
		})
	}
feed:
	for _, s := range r.siteRefs {
		select {
		case work <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if first == nil {
		first = context.Cause(ctx) // the caller's ctx ended
	}
	return first
}
