package hardening_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen/maintenance"
	"github.com/solarhub/hubdb/internal/devdb"
	"github.com/solarhub/hubdb/migration"
)

// TestBadValues sends values the schema cannot hold through the generated
// queries of database maintenance, each inside a Write that first stores a
// valid work order, on a private MariaDB with max_allowed_packet=1M. Each
// bad value gives an error that names the database and matches its dbx
// condition; the transaction's earlier insert is rolled back (rows are
// counted); the pool has no connection in use afterwards and the next
// Write succeeds.
func TestBadValues(t *testing.T) {
	srv := startServer(t, devdb.Options{Args: []string{"--max-allowed-packet=1M"}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var m migration.Migrator
	if err := m.Up(ctx, migration.Target{Name: "maintenance", Server: srv.Config()}); err != nil {
		t.Fatal(err)
	}
	mgr, err := dbx.Open(ctx, dbx.Config{DBs: []dbx.DBConfig{{Name: "maintenance", Server: srv.Config()}}})
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	db, err := dbx.Bind(mgr, "maintenance", func(d dbx.DBTX) *maintenance.Queries { return maintenance.New(d) })
	if err != nil {
		t.Fatal(err)
	}
	counter := openRaw(t, srv.Config(), "maintenance")
	count := func(table string) int {
		t.Helper()
		var n int
		if err := counter.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		return n
	}
	order := func(title, description string) maintenance.CreateWorkOrderParams {
		return maintenance.CreateWorkOrderParams{OrgID: 1, SiteID: 2, Title: title, Description: description,
			Priority: maintenance.WorkOrdersPriorityNormal, CreatedBy: 3}
	}
	start := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

	tests := []struct {
		name string
		is   error
		code uint16 // the server's error number, 0 when the driver refuses
		bad  func(ctx context.Context, q *maintenance.Queries, orderID int64) error
	}{
		{"title beyond VARCHAR(200)", dbx.ErrDataTooLong, 1406, func(ctx context.Context, q *maintenance.Queries, _ int64) error {
			_, err := q.CreateWorkOrder(ctx, order(strings.Repeat("t", 201), ""))
			return err
		}},
		{"description beyond TEXT", dbx.ErrDataTooLong, 1406, func(ctx context.Context, q *maintenance.Queries, _ int64) error {
			_, err := q.CreateWorkOrder(ctx, order("t", strings.Repeat("d", 70_000)))
			return err
		}},
		{"invalid UTF-8", dbx.ErrBadValue, 1366, func(ctx context.Context, q *maintenance.Queries, _ int64) error {
			_, err := q.CreateWorkOrder(ctx, order("inverter \xff\xfe check", ""))
			return err
		}},
		{"value not in the ENUM", dbx.ErrBadValue, 1265, func(ctx context.Context, q *maintenance.Queries, _ int64) error {
			p := order("t", "")
			p.Priority = "critical"
			_, err := q.CreateWorkOrder(ctx, p)
			return err
		}},
		{"number beyond DECIMAL(6,2)", dbx.ErrOutOfRange, 1264, func(ctx context.Context, q *maintenance.Queries, orderID int64) error {
			visit, err := q.ScheduleVisit(ctx, maintenance.ScheduleVisitParams{WorkOrderID: orderID, TechnicianID: 7,
				ScheduledStart: start, ScheduledEnd: start.Add(time.Hour)})
			if err != nil {
				return err
			}
			_, err = q.RecordVisitDeparture(ctx, maintenance.RecordVisitDepartureParams{ID: visit, ArrivedAt: start,
				DepartedAt: start.Add(time.Hour), LaborHours: decimal.NewFromInt(1_000_000)})
			return err
		}},
		{"statement beyond max_allowed_packet", dbx.ErrPacketTooLarge, 0, func(ctx context.Context, q *maintenance.Queries, _ int64) error {
			_, err := q.CreateWorkOrder(ctx, order("t", strings.Repeat("p", 2<<20)))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orders, visits := count("work_orders"), count("technician_visits")
			err := db.Write(ctx, func(ctx context.Context, q *maintenance.Queries) error {
				id, err := q.CreateWorkOrder(ctx, order("stored first", "then the bad value"))
				if err != nil {
					t.Fatalf("the valid insert failed: %v", err)
				}
				return tt.bad(ctx, q, id)
			})
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), "dbx: maintenance: ") {
				t.Fatalf("error %v; want one naming maintenance and matching %v", err, tt.is)
			}
			var me *mysql.MySQLError
			if tt.code != 0 && (!errors.As(err, &me) || me.Number != tt.code) {
				t.Errorf("error %v; want MySQL error %d", err, tt.code)
			}
			t.Logf("%v", err)
			if got := count("work_orders"); got != orders {
				t.Errorf("work_orders: %d rows after the failed Write, want %d: the first insert was not rolled back", got, orders)
			}
			if got := count("technician_visits"); got != visits {
				t.Errorf("technician_visits: %d rows after the failed Write, want %d", got, visits)
			}
			if st := db.Status(); st.InUse != 0 {
				t.Errorf("after the failed Write: %s", st)
			}
			err = db.Write(ctx, func(ctx context.Context, q *maintenance.Queries) error {
				_, err := q.CreateWorkOrder(ctx, order("next", "after "+tt.name))
				return err
			})
			if err != nil {
				t.Fatalf("the next Write failed: %v", err)
			}
			if got := count("work_orders"); got != orders+1 {
				t.Errorf("work_orders: %d rows after the next Write, want %d", got, orders+1)
			}
			if st := db.Status(); st.InUse != 0 {
				t.Errorf("after the next Write: %s", st)
			}
		})
	}
}

// openRaw opens a plain *sql.DB on database schema, closed when the test
// ends.
func openRaw(t *testing.T, server *mysql.Config, schema string) *sql.DB {
	t.Helper()
	cfg := server.Clone()
	cfg.DBName = schema
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	t.Cleanup(func() { _ = db.Close() })
	return db
}
