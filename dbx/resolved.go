package dbx

import "time"

// PoolSettings are a database's pool settings as dbx applies them: the
// database's own Pool over Config.Defaults over the Default* constants,
// negative durations turned into 0 (off). Tools that judge a
// configuration (hubdb doctor) read them instead of repeating the rules.
type PoolSettings struct {
	Size, Overflow int // Overflow Unlimited (-1): no maximum
	Guaranteed     int
	Recycle        time.Duration
	MaxIdleTime    time.Duration
	PrePing        bool
	// KeepAlive is the idle time after which a connection is pinged (0:
	// off); KeepAliveDefault reports that it is dbx's default for the
	// server's wait_timeout (a third of it, at most 5 min).
	KeepAlive        time.Duration
	KeepAliveDefault bool
}

// ResolvePool returns the settings dbx applies to a database with pool own
// under defaults, on a server whose sessions get waitTimeout (0: unknown).
func ResolvePool(own, defaults Pool, waitTimeout time.Duration) PoolSettings {
	s := resolve(own, defaults)
	out := PoolSettings{Size: s.size, Overflow: s.overflow, Guaranteed: s.floor, Recycle: s.recycle,
		MaxIdleTime: s.maxIdleTime, PrePing: s.prePing, KeepAlive: max(s.keepAlive, 0)}
	if s.keepAlive == 0 {
		out.KeepAlive, out.KeepAliveDefault = keepAliveDefault(waitTimeout), true
	}
	return out
}

// ResolveReserve returns Config.Reserve as dbx applies it: 0 is
// DefaultReserve, negative none.
func ResolveReserve(r int) int { return resolveReserve(r) }
