// Package grants writes the SQL that creates hubdb's two MySQL users, so
// that migrations and applications run with the least privilege each
// needs:
//
//   - the admin user, for "hubdb migrate": ALL PRIVILEGES on each hubdb
//     database (tables, indexes, the version table, creating the database
//     itself), and on the scratch databases of "hubdb migrate verify"
//     (_hubdb_verify_..., a name no hubdb database can have); nothing
//     global: it cannot create users or touch other databases;
//   - the application user, for dbx pools: SELECT, INSERT, UPDATE and
//     DELETE on each hubdb database and nothing else. dbx needs no more:
//     it reads @@global variables (no privilege), sets session variables
//     at connect and may KILL its own queries.
//
// Each user's existing privileges are revoked first, so the result is
// exactly these grants. Database names are escaped for GRANT, where "_"
// is a wildcard: the grant on stage_ess does not cover stageXess.
//
// Passwords are never part of a statement's text: [Statement.SQL] has a
// "?" that the caller binds (go-sql-driver interpolates it, escaping for
// the session's sql_mode), and [Statement.Shown] has a placeholder.
package grants

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/solarhub/hubdb/migration"
)

// Default user names and host.
const (
	DefaultAdmin = "hubdb_admin"
	DefaultApp   = "hubdb_app"
	DefaultHost  = "%"
)

// AppPrivileges are the application user's privileges on its databases.
const AppPrivileges = "SELECT, INSERT, UPDATE, DELETE"

// ErrInvalid: a plan that cannot be turned into statements.
var ErrInvalid = errors.New("grants: invalid plan")

// User is a MySQL account.
type User struct {
	// Name is the user name: letters, digits and _, at most 32 characters.
	Name string
	// Host is the host part, e.g. "%" or "10.0.%". Default DefaultHost.
	Host string
	// Placeholder stands for the password in Statement.Shown, e.g.
	// "<HUBDB_APP_PASSWORD>".
	Placeholder string
}

// Account returns 'name'@'host'.
func (u User) Account() string { return "'" + u.Name + "'@'" + u.host() + "'" }

func (u User) host() string {
	if u.Host == "" {
		return DefaultHost
	}
	return u.Host
}

// Plan says which users to create and on which physical databases.
type Plan struct {
	Admin, App User
	// Databases are physical names (prefix applied), e.g. "stage_ess".
	Databases []string
	// RequireTLS adds REQUIRE SSL to both users.
	RequireTLS bool
}

// Who says whose password a Statement binds.
type Who int

// The passwords a Statement may bind.
const (
	NoPassword Who = iota
	AdminPassword
	AppPassword
)

// Statement is one SQL statement of a plan.
type Statement struct {
	// SQL is the statement to run; when Password is not NoPassword it has
	// one "?" for that password.
	SQL string
	// Password says which password to bind to SQL's "?".
	Password Who
	// Shown is SQL with the password's placeholder, safe to print.
	Shown string
}

var (
	userName = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)
	hostName = regexp.MustCompile(`^[A-Za-z0-9_.%:-]{1,255}$`)
	dbName   = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
)

// Statements returns the statements of p, in order: create each user (or
// reset its password), revoke everything it had, grant its privileges.
func (p Plan) Statements() ([]Statement, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	var out []Statement
	for _, u := range []struct {
		user User
		who  Who
		priv string
	}{{p.Admin, AdminPassword, "ALL PRIVILEGES"}, {p.App, AppPassword, AppPrivileges}} {
		acct := u.user.Account()
		shown := "'" + u.user.Placeholder + "'"
		out = append(out,
			Statement{SQL: "CREATE USER IF NOT EXISTS " + acct + " IDENTIFIED BY ?", Password: u.who,
				Shown: "CREATE USER IF NOT EXISTS " + acct + " IDENTIFIED BY " + shown},
			Statement{SQL: "ALTER USER " + acct + " IDENTIFIED BY ?" + p.require(), Password: u.who,
				Shown: "ALTER USER " + acct + " IDENTIFIED BY " + shown + p.require()},
			plain("REVOKE ALL PRIVILEGES, GRANT OPTION FROM "+acct),
		)
		for _, db := range p.Databases {
			out = append(out, plain("GRANT "+u.priv+" ON "+GrantName(db)+".* TO "+acct))
		}
		if u.who == AdminPassword {
			out = append(out, plain("GRANT "+u.priv+" ON "+ScratchGrant+".* TO "+acct))
		}
	}
	return out, nil
}

// ScratchGrant is the database pattern of `hubdb migrate verify`'s scratch
// databases (migration.ScratchPrefix followed by anything), as GRANT takes
// it: the admin user may create, migrate and drop them. No database of
// hubdb's configuration matches it (their names begin with a letter).
var ScratchGrant = "`" + strings.ReplaceAll(migration.ScratchPrefix, "_", `\_`) + "%`"

func (p Plan) require() string {
	if p.RequireTLS {
		return " REQUIRE SSL"
	}
	return ""
}

func plain(sql string) Statement { return Statement{SQL: sql, Shown: sql} }

func (p Plan) validate() error {
	var errs []error
	for _, u := range []struct {
		role string
		u    User
	}{{"admin", p.Admin}, {"application", p.App}} {
		if !userName.MatchString(u.u.Name) {
			errs = append(errs, fmt.Errorf("%s user %q: use 1 to 32 letters, digits and _", u.role, u.u.Name))
		}
		if !hostName.MatchString(u.u.host()) {
			errs = append(errs, fmt.Errorf("%s user's host %q: use letters, digits and . %% : - _", u.role, u.u.Host))
		}
	}
	if p.Admin.Name == p.App.Name && p.Admin.host() == p.App.host() {
		errs = append(errs, fmt.Errorf("the admin and application users are both %s: they must differ", p.App.Account()))
	}
	if len(p.Databases) == 0 {
		errs = append(errs, errors.New("no databases"))
	}
	for _, db := range p.Databases {
		if !dbName.MatchString(db) {
			errs = append(errs, fmt.Errorf("database %q: use letters, digits and _", db))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(msgs, "; "))
}

// GrantName quotes a database name for GRANT ... ON `name`.*, escaping the
// wildcards _ and % so that the grant covers exactly this database.
func GrantName(db string) string {
	r := strings.NewReplacer(`\`, `\\`, "_", `\_`, "%", `\%`, "`", "``")
	return "`" + r.Replace(db) + "`"
}
