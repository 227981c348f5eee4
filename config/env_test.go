package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/solarhub/hubdb/schema"
)

func TestUnknownEnv(t *testing.T) {
	valid := strings.Join(knownDBs(t), ", ") // the registry's databases, sorted
	const secret = "Zq9secretZq9"
	known := "(known: HUBDB_DSN, HUBDB_<NAME>_DSN, HUBDB_REPLICAS, HUBDB_<NAME>_REPLICAS, HUBDB_GALERA, HUBDB_<NAME>_GALERA, " +
		"HUBDB_DB_PREFIX, HUBDB_TLS_CA, HUBDB_TLS_SERVER_NAME, HUBDB_TLS_CERT, HUBDB_TLS_KEY, HUBDB_CONFIG, HUBDB_TEST_DSN, " +
		"HUBDB_TEST_KEEP, HUBDB_TEST_ALLOW, HUBDB_ADMIN_PASSWORD, HUBDB_APP_PASSWORD, HUBDB_TEST_CLUSTER, HUBDB_CLUSTER_DIR)"
	tests := []struct {
		name string
		env  []string
		also error  // besides ErrUnknownSetting
		want string // the whole message
	}{
		{
			name: "misspelt prefix",
			env:  []string{"HUBDB_DSN=root@tcp(h)/", "HUBDB_DB_PREFX=stage_" + secret},
			want: "config: HUBDB_DB_PREFX is not a hubdb setting; did you mean HUBDB_DB_PREFIX?",
		},
		{
			name: "transposed letters",
			env:  []string{"HUBDB_DNS=app:" + secret + "@tcp(h)/"},
			want: "config: HUBDB_DNS is not a hubdb setting; did you mean HUBDB_DSN?",
		},
		{
			name: "empty value",
			env:  []string{"HUBDB_DB_PREFX="},
			want: "config: HUBDB_DB_PREFX is not a hubdb setting; did you mean HUBDB_DB_PREFIX?",
		},
		{
			name: "prefix without DB_",
			env:  []string{"HUBDB_PREFIX=stage_"},
			want: "config: HUBDB_PREFIX is not a hubdb setting; did you mean HUBDB_DB_PREFIX?",
		},
		{
			name: "lower case",
			env:  []string{"hubdb_dsn=app:" + secret + "@tcp(h)/"},
			want: "config: hubdb_dsn is not a hubdb setting; did you mean HUBDB_DSN?",
		},
		{
			name: "override in mixed case is not read, so it is refused",
			env:  []string{"HUBDB_Ess_DSN=app:" + secret + "@tcp(h)/"},
			want: "config: HUBDB_Ess_DSN is not a hubdb setting; did you mean HUBDB_ESS_DSN?",
		},
		{
			name: "tool variable",
			env:  []string{"HUBDB_TEST_KEPP=1"},
			want: "config: HUBDB_TEST_KEPP is not a hubdb setting; did you mean HUBDB_TEST_KEEP?",
		},
		{
			name: "misspelt TLS variable",
			env:  []string{"HUBDB_TLS_SERVERNAME=db.internal"},
			want: "config: HUBDB_TLS_SERVERNAME is not a hubdb setting; did you mean HUBDB_TLS_SERVER_NAME?",
		},
		{
			name: "nothing near lists the variables",
			env:  []string{"HUBDB_POOL_SIZE=5"},
			want: "config: HUBDB_POOL_SIZE is not a hubdb setting " + known,
		},
		{
			name: "bare HUBDB_",
			env:  []string{"HUBDB_=x"},
			want: "config: HUBDB_ is not a hubdb setting " + known,
		},
		{
			name: "override of an unknown database",
			env:  []string{"HUBDB_ESSS_DSN=app:" + secret + "@tcp(h)/"},
			also: ErrUnknownDatabase,
			want: `config: HUBDB_ESSS_DSN is not a hubdb setting: unknown database "esss" (valid: ` + valid + `); ` +
				`did you mean HUBDB_ESS_DSN?`,
		},
		{
			name: "override of an unknown database nearer another variable",
			env:  []string{"HUBDB_TSET_DSN=app:" + secret + "@tcp(h)/"},
			also: ErrUnknownDatabase,
			want: `config: HUBDB_TSET_DSN is not a hubdb setting: unknown database "tset" (valid: ` + valid + `); ` +
				`did you mean HUBDB_TEST_DSN?`,
		},
		{
			name: "replicas in the singular",
			env:  []string{"HUBDB_REPLICA=app:" + secret + "@tcp(r1)/"},
			want: "config: HUBDB_REPLICA is not a hubdb setting; did you mean HUBDB_REPLICAS?",
		},
		{
			name: "one database's replicas in the singular",
			env:  []string{"HUBDB_ESS_REPLICA=app:" + secret + "@tcp(r1)/"},
			want: "config: HUBDB_ESS_REPLICA is not a hubdb setting; did you mean HUBDB_ESS_REPLICAS?",
		},
		{
			name: "misspelt Galera",
			env:  []string{"HUBDB_GALLERA=app:" + secret + "@tcp(g1)/"},
			want: "config: HUBDB_GALLERA is not a hubdb setting; did you mean HUBDB_GALERA?",
		},
		{
			name: "replicas of an unknown database",
			env:  []string{"HUBDB_ESSS_REPLICAS=app:" + secret + "@tcp(r1)/"},
			also: ErrUnknownDatabase,
			want: `config: HUBDB_ESSS_REPLICAS is not a hubdb setting: unknown database "esss" (valid: ` + valid + `); ` +
				`did you mean HUBDB_ESS_REPLICAS?`,
		},
		{
			name: "Galera nodes of an unknown database",
			env:  []string{"HUBDB_PVV_GALERA=app:" + secret + "@tcp(g1)/"},
			also: ErrUnknownDatabase,
			want: `config: HUBDB_PVV_GALERA is not a hubdb setting: unknown database "pvv" (valid: ` + valid + `); ` +
				`did you mean HUBDB_PV_GALERA?`,
		},
		{
			name: "a name that is not an identifier is not shown",
			env:  []string{"HUBDB_DSN:app:" + secret + "@tcp(h)/=x"},
			want: "config: a variable whose name starts with HUBDB_ but is not a plain name (letters, digits and _, at most 64) is not a hubdb setting",
		},
		{
			name: "the first of several, sorted",
			env:  []string{"HUBDB_ZZZ=1", "HUBDB_DNS=x", "HUBDB_DB_PREFX=y"},
			want: "config: HUBDB_DB_PREFX is not a hubdb setting; did you mean HUBDB_DB_PREFIX?",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("", tt.env)
			checkError(t, err, ErrUnknownSetting, tt.also, tt.want, nil, secret, ".")
			if tt.also == nil && errors.Is(err, ErrUnknownDatabase) {
				t.Errorf("error %v matches ErrUnknownDatabase", err)
			}
		})
	}
}

// TestKnownEnv: every listed variable is accepted, other programs'
// variables are left alone, and the list has one override per database.
func TestKnownEnv(t *testing.T) {
	names, err := schema.Databases(schema.FS)
	if err != nil {
		t.Fatal(err)
	}
	known := KnownEnv()
	if !slices.IsSorted(known) || len(known) != len(fixedEnv)+3*len(names) {
		t.Fatalf("KnownEnv = %v: want sorted, %d fixed names and three per database", known, len(fixedEnv))
	}
	for _, want := range []string{"HUBDB_DSN", "HUBDB_REPLICAS", "HUBDB_GALERA", "HUBDB_DB_PREFIX", "HUBDB_ESS_DSN",
		"HUBDB_ESS_REPLICAS", "HUBDB_ESS_GALERA", "HUBDB_WEATHER_DSN", "HUBDB_WEATHER_REPLICAS", "HUBDB_WEATHER_GALERA", "HUBDB_TLS_CA",
		"HUBDB_TLS_SERVER_NAME", "HUBDB_TLS_CERT", "HUBDB_TLS_KEY", "HUBDB_CONFIG", "HUBDB_TEST_DSN", "HUBDB_TEST_KEEP",
		"HUBDB_TEST_ALLOW", "HUBDB_APP_PASSWORD", "HUBDB_ADMIN_PASSWORD", "HUBDB_TEST_CLUSTER", "HUBDB_CLUSTER_DIR"} {
		if !slices.Contains(known, want) {
			t.Errorf("KnownEnv lacks %s", want)
		}
	}
	env := map[string]string{"PATH": "/bin", "SOLARHUB_API_ADDR": ":8080", "MYHUBDB_X": "1", "HUBDBX": "1"}
	for _, k := range known {
		env[k] = "x"
	}
	if err := checkEnv(env, names); err != nil {
		t.Errorf("checkEnv of every known variable: %v", err)
	}
}

// TestKnownEnvCoversTheRepo: every HUBDB_* name that the code outside this
// package uses is known, so that no tool's own variable makes Load fail.
// Test files are skipped: they hold misspelt names on purpose.
func TestKnownEnvCoversTheRepo(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Skipf("module root not found: %v", err)
	}
	known := KnownEnv()
	name := regexp.MustCompile(`HUBDB_[A-Z0-9_]*`)
	found := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch {
			case rel == "config", strings.HasPrefix(d.Name(), ".") && rel != ".ci" && rel != ".", d.Name() == "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, "_test.go") || !strings.HasSuffix(path, ".go") && d.Name() != "Makefile" && rel != filepath.Join(".ci", "run") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range name.FindAllString(string(data), -1) {
			if strings.HasSuffix(m, "_") { // HUBDB_<NAME>_DSN, HUBDB_%s_DSN, HUBDB_TLS_*
				continue
			}
			found++
			if !slices.Contains(known, m) {
				t.Errorf("%s uses %s, which KnownEnv does not list: Load would refuse it", rel, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("found no HUBDB_ name outside config/")
	}
	t.Logf("%d uses of HUBDB_ names outside config/, all known", found)
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"DSN", "DSN", 0}, {"dsn", "DSN", 0}, {"DNS", "DSN", 1},
		{"DB_PREFX", "DB_PREFIX", 1}, {"sise", "size", 1}, {"kitten", "sitting", 3}, {"ca", "abc", 3},
	} {
		if got := distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if got, ok := nearest("FOO", []string{"DSN", "DB_PREFIX"}); ok {
		t.Errorf("nearest(FOO) = %q: nothing is near", got)
	}
	if got, ok := nearest("ab", []string{"ca"}); ok {
		t.Errorf("nearest(ab, [ca]) = %q: two edits of two letters is not a misspelling", got)
	}
}
