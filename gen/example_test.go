package gen_test

import (
	"context"
	"errors"
	"log"
	"os"
	"time"

	"github.com/solarhub/hubdb/config"
	"github.com/solarhub/hubdb/dbx"
	"github.com/solarhub/hubdb/gen"
	"github.com/solarhub/hubdb/gen/analysis"
	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/gen/schedule"
)

// Open the 18 pools from the environment (HUBDB_DSN, HUBDB_<NAME>_DSN,
// HUBDB_DB_PREFIX) and read the latest battery reading in a read-only
// transaction.
func ExampleOpen() {
	ctx := context.Background()
	cfg, err := config.Load("", os.Environ())
	if err != nil {
		log.Fatal(err)
	}
	hub, err := gen.Open(ctx, cfg.DBX()) // opens and pings all 18 pools; fails fast naming the database
	if err != nil {
		log.Fatal(err)
	}
	defer hub.Close()

	var soc float64
	err = hub.ESS.Read(ctx, func(ctx context.Context, q ess.Reader) error {
		r, err := q.GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: 7, AtTs: time.Now().UTC()})
		soc = r.SocPct
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("battery 7 at %.0f %%", soc)
}

// Open only the databases a service uses: three pools are opened, pinged
// and counted against max_connections instead of 18. The other handles
// exist but are not opened: their calls fail with dbx.ErrNotOpened.
func ExampleOpen_subset() {
	ctx := context.Background()
	cfg, err := config.Load("", os.Environ())
	if err != nil {
		log.Fatal(err)
	}
	hub, err := gen.Open(ctx, cfg.DBX(), gen.NameSite, gen.NameDevice, gen.NameESS)
	if err != nil {
		log.Fatal(err) // a name outside gen.Names fails with dbx.ErrUnknownDB
	}
	defer hub.Close()
	log.Print(hub.Manager.Names()) // [device ess site]

	err = hub.Analysis.Read(ctx, func(ctx context.Context, q analysis.Reader) error { return nil })
	if errors.Is(err, dbx.ErrNotOpened) {
		// dbx: analysis: lookup: database not opened: this Manager was opened with
		// device, ess, site; add analysis to the databases it opens
		log.Print(err)
	}
}

// Keep slow calls out of transactions: read, call out with no connection
// held, then write, with a timeout and opt-in retry on deadlock.
func ExampleHub_write() {
	var hub *gen.Hub // from gen.Open
	ctx := context.Background()

	// ... call the external optimiser here, holding no connection ...
	err := hub.Schedule.Write(ctx, func(ctx context.Context, q *schedule.Queries) error {
		_, err := q.ActivatePlan(ctx, 12)
		return err
	}, dbx.TxTimeout(2*time.Second), dbx.Retry(3))
	switch {
	case errors.Is(err, dbx.ErrPoolTimeout):
		log.Print("pool exhausted: shed load (HTTP 503)")
	case errors.Is(err, dbx.ErrCommitUnknown):
		log.Print("connection lost during COMMIT: check before retrying")
	case err != nil:
		log.Print(err)
	}
}
