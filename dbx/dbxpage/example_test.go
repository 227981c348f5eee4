package dbxpage_test

import (
	"context"
	"crypto/subtle"
	"log"
	"net/http"
	"os"

	"github.com/go-sql-driver/mysql"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/dbx/dbxpage"
)

// requireAdmin stands in for the application's own authorization: here a
// bearer token compared in constant time.
func requireAdmin(h http.Handler) http.Handler {
	token := []byte(os.Getenv("ADMIN_TOKEN"))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if len(token) == 0 || subtle.ConstantTimeCompare(got, append([]byte("Bearer "), token...)) != 1 {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// The page mounted at /debug/dbx of the application's own mux, behind its
// admin check. The Recorder gets the events before Open.
func ExampleNew() {
	server := mysql.NewConfig()
	server.User, server.Passwd, server.Addr = "app", os.Getenv("DB_PASSWORD"), "127.0.0.1:3306"
	cfg := dbx.Config{DBs: []dbx.DBConfig{{Name: "site", Server: server}, {Name: "ess", Server: server}}}

	rec := dbxpage.NewRecorder(dbxpage.RecorderOptions{})
	cfg = rec.Instrument(cfg) // chains an OnEvent hook set before (dbxprom's, say)
	m, err := dbx.Open(context.Background(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	mux := http.NewServeMux() // never http.DefaultServeMux
	mux.Handle("GET /debug/dbx", requireAdmin(dbxpage.New(m, rec, dbxpage.Options{Title: "solarhub-api pools"})))
	log.Fatal(http.ListenAndServe("localhost:8080", mux))
}
