package dbx

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// settings are one database's resolved pool settings: defaults applied,
// negative durations turned into 0 ("off").
type settings struct {
	size, overflow    int
	timeout           time.Duration // 0: wait as long as ctx allows
	recycle           time.Duration // 0: no maximum lifetime
	maxIdleTime       time.Duration
	prePing           bool
	pingAfterIdle     time.Duration // 0: socket check only
	connectTimeout    time.Duration
	readTimeout       time.Duration
	writeTimeout      time.Duration
	txTimeout         time.Duration
	statementTimeout  time.Duration
	leakThreshold     time.Duration
	idleInTxThreshold time.Duration
	serverPrepare     bool
	floor             int
	warmUp            bool
	keepAlive         time.Duration // 0: from the server's wait_timeout; < 0: off
	stmtCache         int           // statements cached per connection; 0: off
	overflowIdle      time.Duration // < 0: an overflow connection closes at checkin
	slowQuery         time.Duration // 0: no slow-query warnings
}

// expiry returns the end of life of a connection opened at now: Recycle
// minus a random part of up to 20 %, or zero without Recycle.
func (s settings) expiry(now time.Time) time.Time {
	if s.recycle <= 0 {
		return time.Time{}
	}
	return now.Add(s.recycle - rand.N(s.recycle/5+1))
}

// max returns the pool's connection limit, Size+Overflow, or 0 for an
// unlimited overflow.
func (s settings) max() int {
	if s.overflow == Unlimited {
		return 0
	}
	return s.size + s.overflow
}

// maxIdle is database/sql's MaxIdleConns: Size when an overflow
// connection closes at checkin, else the pool's maximum (the sweeper
// closes the overflow after OverflowIdleTime).
func (s settings) maxIdle() int {
	if s.overflowIdle < 0 || s.overflow == 0 {
		return s.size
	}
	if m := s.max(); m > 0 {
		return m
	}
	return s.size // unlimited overflow: closed at checkin, as before
}

// pickDur is a duration setting: own if set, else the default's, else c;
// negative means off (0).
func pickDur(own, def, c time.Duration) time.Duration {
	v := c
	switch {
	case own != 0:
		v = own
	case def != 0:
		v = def
	}
	return max(v, 0)
}

// resolve merges own over defaults over the Default* constants.
func resolve(own, defaults Pool) settings {
	pickInt := func(a, b *int, c int) int {
		switch {
		case a != nil:
			return *a
		case b != nil:
			return *b
		}
		return c
	}

	s := settings{
		size:              pickInt(own.Size, defaults.Size, DefaultSize),
		overflow:          pickInt(own.Overflow, defaults.Overflow, DefaultOverflow),
		timeout:           pickDur(own.Timeout, defaults.Timeout, DefaultTimeout),
		recycle:           pickDur(own.Recycle, defaults.Recycle, DefaultRecycle),
		maxIdleTime:       pickDur(own.MaxIdleTime, defaults.MaxIdleTime, DefaultMaxIdleTime),
		prePing:           !own.DisablePrePing && !defaults.DisablePrePing,
		pingAfterIdle:     pickDur(own.PingAfterIdle, defaults.PingAfterIdle, DefaultPingAfterIdle),
		connectTimeout:    pickDur(own.ConnectTimeout, defaults.ConnectTimeout, DefaultConnectTimeout),
		readTimeout:       pickDur(own.ReadTimeout, defaults.ReadTimeout, DefaultReadTimeout),
		writeTimeout:      pickDur(own.WriteTimeout, defaults.WriteTimeout, DefaultWriteTimeout),
		txTimeout:         pickDur(own.TxTimeout, defaults.TxTimeout, DefaultTxTimeout),
		statementTimeout:  pickDur(own.StatementTimeout, defaults.StatementTimeout, DefaultStatementTimeout),
		leakThreshold:     pickDur(own.LeakThreshold, defaults.LeakThreshold, DefaultLeakThreshold),
		idleInTxThreshold: pickDur(own.IdleInTxThreshold, defaults.IdleInTxThreshold, DefaultIdleInTxThreshold),
		serverPrepare:     own.ServerPrepare || defaults.ServerPrepare,
		floor:             max(own.Guaranteed, 0),
		warmUp:            own.WarmUp || defaults.WarmUp,
		keepAlive:         own.KeepAlive,
	}
	if s.floor == 0 {
		s.floor = max(defaults.Guaranteed, 0)
	}
	if c := cmp.Or(own.StatementCache, defaults.StatementCache, DefaultStatementCache); c > 0 {
		s.stmtCache = c
	}
	s.overflowIdle = cmp.Or(own.OverflowIdleTime, defaults.OverflowIdleTime, DefaultOverflowIdleTime)
	s.slowQuery = pickDur(own.SlowQueryThreshold, defaults.SlowQueryThreshold, DefaultSlowQueryThreshold)
	if s.keepAlive == 0 {
		s.keepAlive = defaults.KeepAlive
	}
	return s
}

// validate checks cfg and returns every problem at once, each naming its
// database.
func validate(cfg Config) error {
	var errs []error
	if len(cfg.DBs) == 0 {
		errs = append(errs, errors.New("no databases configured"))
	}
	if m := cfg.Defaults.ReplicaReads; m != "" && m != "prefer" && m != "replica" && m != "primary" {
		errs = append(errs, fmt.Errorf("defaults: replica_reads %q: want prefer, replica or primary", m))
	}
	seen := map[string]bool{}
	for i, d := range cfg.DBs {
		name := d.Name
		if name == "" {
			errs = append(errs, fmt.Errorf("DBs[%d]: empty Name", i))
			continue
		}
		if seen[name] {
			errs = append(errs, fmt.Errorf("%s: configured twice", name))
		}
		seen[name] = true
		servers := append([]*mysql.Config{d.Server}, d.Replicas...)
		switch {
		case len(d.Galera) > 0 && len(d.Replicas) > 0:
			errs = append(errs, fmt.Errorf("%s: both Replicas and Galera nodes: a Galera cluster replicates itself; give one or the other", name))
		case len(d.Galera) > 0:
			servers = d.Galera
		case d.Server == nil:
			errs = append(errs, fmt.Errorf("%s: Server is nil", name))
			servers = d.Replicas
		}
		for _, srv := range servers {
			if srv == nil {
				errs = append(errs, fmt.Errorf("%s: a replica or node is nil", name))
				continue
			}
			if c := srv.Collation; c != "" && !strings.HasPrefix(c, "utf8mb4_") {
				errs = append(errs, fmt.Errorf("%s: collation %q is not utf8mb4", name, c))
			}
			for k := range srv.Params {
				if k == "max_statement_time" || k == "max_execution_time" {
					errs = append(errs, fmt.Errorf("%s: set Pool.StatementTimeout, not the %s parameter", name, k))
				}
			}
		}
		if m := d.Pool.ReplicaReads; m != "" && m != "prefer" && m != "replica" && m != "primary" {
			errs = append(errs, fmt.Errorf("%s: replica_reads %q: want prefer, replica or primary", name, m))
		}
		s := resolve(d.Pool, cfg.Defaults)
		switch {
		case s.size < 0:
			errs = append(errs, fmt.Errorf("%s: pool size %d is negative (use 0 for no idle connections)", name, s.size))
		case s.overflow < Unlimited:
			errs = append(errs, fmt.Errorf("%s: pool overflow %d is invalid (0: none, -1: unlimited)", name, s.overflow))
		case s.size == 0 && s.overflow == 0:
			errs = append(errs, fmt.Errorf("%s: pool size 0 with overflow 0 allows no connection", name))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	return nil
}

// flavour is the server family, which decides the statement timeout
// variable.
type flavour int

const (
	flavourMySQL flavour = iota
	flavourMariaDB
)

// stmtTimeoutVar returns the session variable and its value for d:
// MariaDB's max_statement_time in seconds, MySQL's max_execution_time in
// milliseconds. 0 means no limit on both.
func (f flavour) stmtTimeoutVar(d time.Duration) (name, value string) {
	if f == flavourMariaDB {
		return "max_statement_time", strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
	}
	return "max_execution_time", strconv.FormatInt(d.Milliseconds(), 10)
}

// driverConfig returns the driver configuration of one pool: a clone of
// d.Server with the settings dbx owns forced (see the package doc, "Driver
// settings"). withStmtTimeout adds the statement timeout as a session
// variable applied at connect.
func driverConfig(d DBConfig, s settings, log *slog.Logger, f flavour, withStmtTimeout bool) *mysql.Config {
	c := d.Server.Clone()
	c.DBName = d.Schema
	if c.DBName == "" {
		c.DBName = d.Name
	}
	c.ParseTime = true
	c.Loc = time.UTC
	if c.Collation == "" {
		c.Collation = DefaultCollation
	}
	c.Timeout = s.connectTimeout
	c.ReadTimeout = s.readTimeout
	c.WriteTimeout = s.writeTimeout
	c.InterpolateParams = !s.serverPrepare
	c.CheckConnLiveness = s.prePing
	c.RejectReadOnly = false
	c.MultiStatements = false
	if c.MaxAllowedPacket == defaultDriverMaxAllowedPacket {
		// 0: the driver reads the session's max_allowed_packet at connect
		// (one round trip per new connection) and refuses a bigger
		// statement itself. Otherwise it sends it, and the server answers
		// 1153 and resets the connection, which the driver sees as either
		// that error or a broken pipe, depending on timing.
		c.MaxAllowedPacket = 0
	}
	c.Logger = driverLogger{log: log, db: d.Name}
	// dbx dials TCP and Unix sockets itself (or wraps the configured
	// DialFunc) to be able to close a socket whose COMMIT outlives its
	// context (conn.abort). Other networks keep the dialer registered with
	// mysql.RegisterDialContext, which a DialFunc would bypass.
	switch {
	case c.DialFunc != nil:
		c.DialFunc = recordingDial(c.DialFunc)
	case c.Net == "" || c.Net == "tcp" || c.Net == "tcp4" || c.Net == "tcp6" || c.Net == "unix":
		c.DialFunc = recordingDial(nil)
	}
	params := make(map[string]string, len(c.Params)+1)
	for k, v := range c.Params {
		params[k] = v
	}
	if withStmtTimeout && s.statementTimeout > 0 {
		k, v := f.stmtTimeoutVar(s.statementTimeout)
		params[k] = v
	}
	c.Params = params
	return c
}

// driverLogger sends go-sql-driver/mysql's own messages (e.g. "closing bad
// idle connection") to the Manager's logger at debug level, naming the
// database.
type driverLogger struct {
	log *slog.Logger
	db  string
}

// Print logs at debug level: the driver reports every connection it
// closes after a cancel or a timeout ("closing connection: ... use of
// closed network connection"), which under shed load is thousands of
// lines; what matters reaches the caller as an error and an Event.
func (l driverLogger) Print(v ...any) {
	l.log.Debug("dbx: driver: "+strings.TrimSpace(fmt.Sprint(v...)), "db", l.db)
}
