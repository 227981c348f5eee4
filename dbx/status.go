package dbx

import (
	"database/sql"
	"fmt"
	"strings"
)

// Status is a snapshot of one database's pool.
type Status struct {
	// DB is the logical database name.
	DB string
	// Size and Overflow are the limits in force (defaults applied): Size
	// connections are kept while idle, Size+Overflow may be open at once;
	// Overflow 0 is none and -1 ([Unlimited]) no maximum.
	Size, Overflow int
	// InUse counts connections checked out by callers (transactions,
	// plain calls, open rows).
	InUse int
	// Idle counts open connections waiting in the pool.
	Idle int
	// Open counts the pool's connections to the server (in use, idle, or
	// being dialled). A connection dbx closed while idle (stolen by
	// another pool, trimmed after OverflowIdleTime, expired) is no longer
	// counted, although database/sql's Stats list it until the next
	// checkout discards it.
	Open int
	// Waiting counts callers queued for a connection.
	Waiting int
	// WaitCount is how many callers had to queue since Open.
	WaitCount int64
	// Timeouts is how many callers got ErrPoolTimeout since Open.
	Timeouts int64
	// Leaks is how many leak warnings were reported since Open.
	Leaks int64
	// Statements are the counters of the pool's prepared-statement cache.
	Statements StatementCacheStats
	// Stats are database/sql's own counters.
	Stats sql.DBStats
	// Replication is where the database's reads went and its replicas'
	// health; nil for a database without replicas.
	Replication *ReplicationStatus
	// Galera is the state of the nodes of a Galera database; nil for
	// others. The fields above are those of the first node's pool.
	Galera *GaleraStatus
}

// Max returns the pool's connection limit, Size+Overflow, or 0 when the
// overflow is unlimited (Overflow -1).
func (s Status) Max() int {
	if s.Overflow == Unlimited {
		return 0
	}
	return s.Size + s.Overflow
}

// String formats s like
// "ess: size 10 overflow 20: in use 3, idle 2, open 5, waiting 0".
func (s Status) String() string {
	return fmt.Sprintf("%s: size %d overflow %d: in use %d, idle %d, open %d, waiting %d",
		s.DB, s.Size, s.Overflow, s.InUse, s.Idle, s.Open, s.Waiting)
}

// Statuses are the statuses of several pools, sorted by name.
type Statuses []Status

// String returns one line per pool.
func (ss Statuses) String() string {
	var b strings.Builder
	for i, s := range ss {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// InUse sums InUse over all pools.
func (ss Statuses) InUse() int {
	n := 0
	for _, s := range ss {
		n += s.InUse
	}
	return n
}
