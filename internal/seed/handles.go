package seed

import (
	"database/sql"

	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen/account"
	"github.com/solarhub/hubdb/gen/alarm"
	"github.com/solarhub/hubdb/gen/analysis"
	"github.com/solarhub/hubdb/gen/device"
	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/gen/meter"
	"github.com/solarhub/hubdb/gen/pv"
	"github.com/solarhub/hubdb/gen/schedule"
	"github.com/solarhub/hubdb/gen/site"
	"github.com/solarhub/hubdb/gen/tariff"
)

// Telemetry databases are bound with their generated queries, whose
// batch methods (hubdb:batch) write the multi-row INSERTs.
type (
	pvQ    struct{ *pv.Queries }
	essQ   struct{ *ess.Queries }
	meterQ struct{ *meter.Queries }
)

// handles are the databases seed writes.
type handles struct {
	account  *dbx.DB[*account.Queries]
	site     *dbx.DB[*site.Queries]
	device   *dbx.DB[*device.Queries]
	pv       *dbx.DB[pvQ]
	ess      *dbx.DB[essQ]
	meter    *dbx.DB[meterQ]
	schedule *dbx.DB[*schedule.Queries]
	tariff   *dbx.DB[*tariff.Queries]
	alarm    *dbx.DB[*alarm.Queries]
	analysis *dbx.DB[*analysis.Queries]
}

// bind binds the handles on m.
func bind(m *dbx.Manager) (h handles, err error) {
	bindTo := func(f func() error) {
		if err == nil {
			err = f()
		}
	}
	bindTo(func() (e error) {
		h.account, e = dbx.Bind(m, "account", func(d dbx.DBTX) *account.Queries { return account.New(d) })
		return e
	})
	bindTo(func() (e error) {
		h.site, e = dbx.Bind(m, "site", func(d dbx.DBTX) *site.Queries { return site.New(d) })
		return e
	})
	bindTo(func() (e error) {
		h.device, e = dbx.Bind(m, "device", func(d dbx.DBTX) *device.Queries { return device.New(d) })
		return e
	})
	bindTo(func() (e error) {
		h.pv, e = dbx.Bind(m, "pv", func(d dbx.DBTX) pvQ { return pvQ{pv.New(d)} })
		return e
	})
	bindTo(func() (e error) {
		h.ess, e = dbx.Bind(m, "ess", func(d dbx.DBTX) essQ { return essQ{ess.New(d)} })
		return e
	})
	bindTo(func() (e error) {
		h.meter, e = dbx.Bind(m, "meter", func(d dbx.DBTX) meterQ { return meterQ{meter.New(d)} })
		return e
	})
	bindTo(func() (e error) {
		h.schedule, e = dbx.Bind(m, "schedule", func(d dbx.DBTX) *schedule.Queries { return schedule.New(d) })
		return e
	})
	bindTo(func() (e error) {
		h.tariff, e = dbx.Bind(m, "tariff", func(d dbx.DBTX) *tariff.Queries { return tariff.New(d) })
		return e
	})
	bindTo(func() (e error) {
		h.alarm, e = dbx.Bind(m, "alarm", func(d dbx.DBTX) *alarm.Queries { return alarm.New(d) })
		return e
	})
	bindTo(func() (e error) {
		h.analysis, e = dbx.Bind(m, "analysis", func(d dbx.DBTX) *analysis.Queries { return analysis.New(d) })
		return e
	})
	return h, err
}

// Options of seed's transactions. Sites are written concurrently, so a
// transaction may be chosen as a deadlock victim (seed's transactions
// touch neighbouring index ranges); each is safe to run again. The pv
// transaction's rollup (INSERT ... SELECT over the site's samples) runs
// at READ COMMITTED so it takes no gap locks on inverter_readings.
var (
	writeOpts = []dbx.TxOption{dbx.Retry(5)}
	pvOpts    = []dbx.TxOption{dbx.Retry(5), dbx.Isolation(sql.LevelReadCommitted)}
)
