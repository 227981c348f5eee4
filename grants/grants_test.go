package grants

import (
	"errors"
	"strings"
	"testing"
)

func TestGrantName(t *testing.T) {
	for in, want := range map[string]string{
		"ess":       "`ess`",
		"stage_ess": "`stage\\_ess`",
		"a%b":       "`a\\%b`",
	} {
		if got := GrantName(in); got != want {
			t.Errorf("GrantName(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestStatements: the passwords are bound, never part of the SQL; the
// shown form has the placeholders; the app user gets DML only.
func TestStatements(t *testing.T) {
	p := Plan{
		Admin:     User{Name: "hubdb_admin", Placeholder: "<A>"},
		App:       User{Name: "hubdb_app", Host: "10.0.%", Placeholder: "<B>"},
		Databases: []string{"stage_ess", "stage_pv"},
	}
	stmts, err := p.Statements()
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	binds := map[Who]int{}
	for _, s := range stmts {
		shown = append(shown, s.Shown)
		binds[s.Password]++
		if s.Password != NoPassword && strings.Count(s.SQL, "?") != 1 {
			t.Errorf("%q binds a password without one ?", s.SQL)
		}
	}
	all := strings.Join(shown, "\n")
	for _, want := range []string{
		"CREATE USER IF NOT EXISTS 'hubdb_admin'@'%' IDENTIFIED BY '<A>'",
		"ALTER USER 'hubdb_app'@'10.0.%' IDENTIFIED BY '<B>'",
		"REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'hubdb_app'@'10.0.%'",
		"GRANT ALL PRIVILEGES ON `stage\\_pv`.* TO 'hubdb_admin'@'%'",
		"GRANT ALL PRIVILEGES ON `\\_hubdb\\_verify\\_%`.* TO 'hubdb_admin'@'%'",
		"GRANT SELECT, INSERT, UPDATE, DELETE ON `stage\\_ess`.* TO 'hubdb_app'@'10.0.%'",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("statements lack %q:\n%s", want, all)
		}
	}
	if binds[AdminPassword] != 2 || binds[AppPassword] != 2 || len(stmts) != 11 {
		t.Errorf("%d statements, binds %v", len(stmts), binds)
	}
}

func TestInvalidPlan(t *testing.T) {
	_, err := Plan{Admin: User{Name: "a'b"}, App: User{Name: "app", Host: "x y"}, Databases: []string{"e-s"}}.Statements()
	if !errors.Is(err, ErrInvalid) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %v", err)
	}
	for _, want := range []string{`admin user "a'b"`, `host "x y"`, `database "e-s"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}
