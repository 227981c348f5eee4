package dbx

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Token is a causal token for read-your-writes across replicas: per
// database, the GTID position of the writes its holder made. A Write on a
// database with replicas records, after its COMMIT, the GTID it produced
// (MariaDB @@last_gtid; MySQL the executed set) in the token its ctx
// carries (WithToken); a Read whose ctx carries a token is served by a
// replica that has applied the token's position for that database: one
// the health poll already saw there, else one that catches up within
// Pool.CausalWait (MASTER_GTID_WAIT), else the primary.
//
// A Token is safe for concurrent use. It travels to another process as
// its String (in a cookie, a header or a queue message: the text holds no
// space, comma, semicolon, quote or backslash) and comes back with
// ParseToken.
type Token struct {
	mu  sync.Mutex
	pos map[string]gtidSet // database → position
}

type tokenKey struct{}

// NewToken returns an empty token.
func NewToken() *Token { return &Token{pos: map[string]gtidSet{}} }

// WithToken returns ctx carrying t: the Writes run with it record their
// positions in t, the Reads wait for them. A nil t removes the token.
func WithToken(ctx context.Context, t *Token) context.Context {
	return context.WithValue(ctx, tokenKey{}, t)
}

// TokenFrom returns the token ctx carries, or nil.
func TokenFrom(ctx context.Context) *Token {
	t, _ := ctx.Value(tokenKey{}).(*Token)
	return t
}

// record adds the position of a write on database db.
func (t *Token) record(db string, g gtidSet) {
	if len(g) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pos == nil {
		t.pos = map[string]gtidSet{}
	}
	cur := t.pos[db]
	if cur == nil {
		cur = gtidSet{}
	} else {
		cur = maps.Clone(cur)
	}
	for d, p := range g {
		cur.add(d, p)
	}
	t.pos[db] = cur
}

// position returns the token's position for database db (nil: none).
func (t *Token) position(db string) gtidSet {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pos[db]
}

// Merge adds o's positions to t (the later of each).
func (t *Token) Merge(o *Token) {
	if o == nil || o == t {
		return
	}
	o.mu.Lock()
	snap := maps.Clone(o.pos)
	o.mu.Unlock()
	for db, g := range snap {
		t.record(db, g)
	}
}

// Empty reports whether t holds no position.
func (t *Token) Empty() bool {
	if t == nil {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pos) == 0
}

// tokenVersion starts every serialised token.
const tokenVersion = "c1"

// String serialises t: "c1|ess/0-1-100+1-2-7|pv/0-1-7" (databases in
// order; MySQL positions as uuid:1-N).
func (t *Token) String() string {
	if t == nil {
		return tokenVersion
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var b strings.Builder
	b.WriteString(tokenVersion)
	for _, db := range slices.Sorted(maps.Keys(t.pos)) {
		b.WriteString("|" + db + "/" + strings.ReplaceAll(t.pos[db].String(), ",", "+"))
	}
	return b.String()
}

// ErrBadToken: ParseToken's text is not a serialised Token.
var ErrBadToken = errors.New("dbx: malformed causal token")

// ParseToken parses a Token's String. An empty string is an empty token.
func ParseToken(s string) (*Token, error) {
	t := NewToken()
	if s == "" {
		return t, nil
	}
	parts := strings.Split(s, "|")
	if parts[0] != tokenVersion {
		return nil, fmt.Errorf("%w: want it to start with %q (the text of Token.String)", ErrBadToken, tokenVersion+"|")
	}
	for _, part := range parts[1:] {
		db, pos, ok := strings.Cut(part, "/")
		if !ok || db == "" || pos == "" {
			return nil, fmt.Errorf("%w: %q is not <database>/<GTID position>", ErrBadToken, part)
		}
		g := parseGTIDSet(strings.ReplaceAll(pos, "+", ","))
		if len(g) == 0 {
			return nil, fmt.Errorf("%w: %q has no GTID position", ErrBadToken, part)
		}
		t.record(db, g)
	}
	return t, nil
}

// errCausalTimeout: the replica did not apply the token's position within
// the wait: the read goes to the primary.
var errCausalTimeout = errors.New("dbx: causal wait timed out")

// causalWaitFor returns the beforeBegin step of a causal read on a
// replica: wait up to s.causalWait (never past ctx's deadline) for pos.
func (set *replicaSet) causalWaitFor(pos gtidSet, wait time.Duration, mariadb bool) func(context.Context, *sql.Conn) error {
	return func(ctx context.Context, c *sql.Conn) error {
		d := wait
		if dl, ok := ctx.Deadline(); ok {
			d = min(d, time.Until(dl))
		}
		if d <= 0 {
			return errCausalTimeout
		}
		start := time.Now()
		var res sql.NullInt64
		var err error
		if mariadb {
			err = c.QueryRowContext(ctx, "SELECT MASTER_GTID_WAIT(?, ?)", pos.String(), d.Seconds()).Scan(&res)
		} else {
			err = c.QueryRowContext(ctx, "SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?)", mysqlSet(pos), d.Seconds()).Scan(&res)
		}
		set.causalWaits.Add(1)
		set.causalWaitNanos.Add(int64(time.Since(start)))
		if err != nil {
			return err
		}
		if !res.Valid || res.Int64 != 0 {
			return errCausalTimeout
		}
		return nil
	}
}

// mysqlSet is pos as a MySQL GTID set ("uuid:1-N,...").
func mysqlSet(pos gtidSet) string {
	parts := make([]string, 0, len(pos))
	for _, d := range slices.Sorted(maps.Keys(pos)) {
		parts = append(parts, fmt.Sprintf("%s:1-%d", d, pos[d].seq))
	}
	return strings.Join(parts, ",")
}

// recordGTID returns the afterCommit step of a Write carrying token tok:
// read the position the commit produced on the same connection.
func recordGTID(tok *Token, db string, mariadb bool) func(context.Context, *sql.Conn) {
	return func(ctx context.Context, c *sql.Conn) {
		q := "SELECT @@global.gtid_executed"
		if mariadb {
			q = "SELECT @@last_gtid"
		}
		var pos sql.NullString
		if err := c.QueryRowContext(ctx, q).Scan(&pos); err == nil && pos.Valid {
			tok.record(db, parseGTIDSet(pos.String))
		}
	}
}
