package querytest_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/solarhub/hubdb/gen/tariff"
	"github.com/solarhub/hubdb/hubtest"
)

func TestTariffQueries(t *testing.T) {
	db := hubtest.New(t, "tariff").DB("tariff")
	q := tariff.New(db)
	ctx := t.Context()

	const orgA, orgB = int64(1), int64(2)
	var t1, t2, t3, t4 int64
	bStep(t, "CreateTariff", func(t *testing.T) {
		create := func(org int64, name string, kind tariff.TariffsKind, standing string) int64 {
			t.Helper()
			id, err := q.CreateTariff(ctx, tariff.CreateTariffParams{OrgID: org, Name: name, Currency: "EUR", Kind: kind, StandingChargePerDay: bDec(standing)})
			bNoErr(t, "create "+name, err)
			return id
		}
		t1 = create(orgA, "Standard", tariff.TariffsKindTou, "0.45")
		t2 = create(orgA, "Feed-in", tariff.TariffsKindFixed, "0")
		t3 = create(orgA, "Spot", tariff.TariffsKindDynamic, "0.1234")
		t4 = create(orgB, "Standard", tariff.TariffsKindTou, "0.5")
		bEq(t, "first id", t1, 1)
		bEq(t, "t2", t2, t1+1)
		bEq(t, "t3", t3, t1+2)
		bEq(t, "t4", t4, t1+3)
		if _, err := q.CreateTariff(ctx, tariff.CreateTariffParams{OrgID: orgA, Name: "Standard", Currency: "EUR", Kind: tariff.TariffsKindFixed}); err == nil {
			t.Error("a second tariff named Standard in org A was accepted")
		}
	})

	t.Run("GetTariff", func(t *testing.T) {
		r, err := q.GetTariff(ctx, t1)
		bNoErr(t, "t1", err)
		bEq(t, "id", r.ID, t1)
		bEq(t, "org", r.OrgID, orgA)
		bEq(t, "name", r.Name, "Standard")
		bEq(t, "currency", r.Currency, "EUR")
		bEq(t, "kind", r.Kind, tariff.TariffsKindTou)
		bEqDec(t, "standing charge", r.StandingChargePerDay, "0.45")
		r, err = q.GetTariff(ctx, t3)
		bNoErr(t, "t3", err)
		bEqDec(t, "standing charge (4 decimals)", r.StandingChargePerDay, "0.1234")
		_, err = q.GetTariff(ctx, 999)
		bNoRows(t, "unknown tariff", err)
	})

	t.Run("ListTariffsByOrg", func(t *testing.T) {
		list := func(org, after int64, kind tariff.NullTariffsKind, limit int32) []int64 {
			t.Helper()
			rows, err := q.ListTariffsByOrg(ctx, tariff.ListTariffsByOrgParams{OrgID: org, AfterID: after, Kind: kind, Limit: limit})
			bNoErr(t, "list", err)
			ids := []int64{}
			for _, r := range rows {
				bEq(t, "org", r.OrgID, org)
				ids = append(ids, r.ID)
			}
			return ids
		}
		anyKind := tariff.NullTariffsKind{}
		tou := tariff.NullTariffsKind{TariffsKind: tariff.TariffsKindTou, Valid: true}
		for _, c := range []struct {
			what      string
			got, want []int64
		}{
			{"page 1", list(orgA, 0, anyKind, 2), []int64{t1, t2}},
			{"page 2", list(orgA, t2, anyKind, 2), []int64{t3}},
			{"page 3", list(orgA, t3, anyKind, 2), []int64{}},
			{"tou", list(orgA, 0, tou, 10), []int64{t1}},
			{"org B", list(orgB, 0, anyKind, 10), []int64{t4}},
			{"org B tou after t4", list(orgB, t4, tou, 10), []int64{}},
		} {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
			}
		}
	})

	imp, exp := tariff.TariffPeriodsDirectionImport, tariff.TariffPeriodsDirectionExport
	var pNight, pDay, pWeekend, pEvening, pExport int64
	bStep(t, "AddPeriod", func(t *testing.T) {
		add := func(dir tariff.TariffPeriodsDirection, day tariff.TariffPeriodsDayType, from, to, price string) int64 {
			t.Helper()
			id, err := q.AddPeriod(ctx, tariff.AddPeriodParams{TariffID: t1, Direction: dir, DayType: day, StartTime: from, EndTime: to, PricePerKwh: bDec(price)})
			bNoErr(t, "add", err)
			return id
		}
		pEvening = add(imp, tariff.TariffPeriodsDayTypeAll, "22:00:00", "24:00:00", "0.22")
		pDay = add(imp, tariff.TariffPeriodsDayTypeAll, "07:00:00", "22:00:00", "0.35")
		pWeekend = add(imp, tariff.TariffPeriodsDayTypeWeekend, "06:00:00", "23:00:00", "0.25")
		pNight = add(imp, tariff.TariffPeriodsDayTypeAll, "00:00:00", "07:00:00", "0.201234")
		pExport = add(exp, tariff.TariffPeriodsDayTypeAll, "00:00:00", "24:00:00", "0.08")
		bEq(t, "first id", pEvening, 1)
		for i, id := range []int64{pDay, pWeekend, pNight, pExport} {
			bEq(t, "sequential id", id, pEvening+int64(i)+1)
		}
	})

	t.Run("ListPeriods", func(t *testing.T) {
		rows, err := q.ListPeriods(ctx, tariff.ListPeriodsParams{TariffID: t1, Direction: imp})
		bNoErr(t, "import", err)
		bLen(t, "import periods", rows, 4)
		wantIDs := []int64{pNight, pWeekend, pDay, pEvening}
		wantStart := []string{"00:00:00", "06:00:00", "07:00:00", "22:00:00"}
		for i, r := range rows {
			bEq(t, "order by start", r.ID, wantIDs[i])
			bEq(t, "start_time text", r.StartTime, wantStart[i])
			bEq(t, "direction", r.Direction, imp)
		}
		bEq(t, "night end", rows[0].EndTime, "07:00:00")
		bEqDec(t, "night price (6 decimals)", rows[0].PricePerKwh, "0.201234")
		bEq(t, "weekend day type", rows[1].DayType, tariff.TariffPeriodsDayTypeWeekend)
		bEq(t, "weekend end", rows[1].EndTime, "23:00:00")
		bEq(t, "evening end", rows[3].EndTime, "24:00:00")
		rows, err = q.ListPeriods(ctx, tariff.ListPeriodsParams{TariffID: t1, Direction: exp})
		bNoErr(t, "export", err)
		bLen(t, "export periods", rows, 1)
		bEqDec(t, "export price", rows[0].PricePerKwh, "0.08")
		rows, err = q.ListPeriods(ctx, tariff.ListPeriodsParams{TariffID: t2, Direction: imp})
		bNoErr(t, "t2", err)
		bLen(t, "t2 has no periods", rows, 0)
	})

	t.Run("PriceAt", func(t *testing.T) {
		price := func(dir tariff.TariffPeriodsDirection, day tariff.TariffPeriodsDayType, at string) (tariff.PriceAtRow, error) {
			t.Helper()
			return q.PriceAt(ctx, tariff.PriceAtParams{TariffID: t1, Direction: dir, DayType: day, TimeOfDay: at})
		}
		weekday, weekend := tariff.TariffPeriodsDayTypeWeekday, tariff.TariffPeriodsDayTypeWeekend
		for _, c := range []struct {
			dir   tariff.TariffPeriodsDirection
			day   tariff.TariffPeriodsDayType
			at    string
			id    int64
			price string
		}{
			{imp, weekday, "08:30:00", pDay, "0.35"},
			{imp, weekend, "08:30:00", pWeekend, "0.25"}, // the weekend period beats the later-starting 'all' one
			{imp, weekend, "06:30:00", pWeekend, "0.25"},
			{imp, weekend, "22:30:00", pWeekend, "0.25"},
			{imp, weekend, "23:00:00", pEvening, "0.22"},
			{imp, weekend, "03:00:00", pNight, "0.201234"},
			{imp, weekday, "06:59:59", pNight, "0.201234"},
			{imp, weekday, "07:00:00", pDay, "0.35"}, // start inclusive, end exclusive
			{imp, weekday, "23:59:59", pEvening, "0.22"},
			{exp, weekend, "12:00:00", pExport, "0.08"},
		} {
			r, err := price(c.dir, c.day, c.at)
			if err != nil {
				t.Errorf("%s %s %s: %v", c.dir, c.day, c.at, err)
				continue
			}
			if r.ID != c.id || !r.PricePerKwh.Equal(bDec(c.price)) {
				t.Errorf("%s %s %s = period %d at %s, want period %d at %s", c.dir, c.day, c.at, r.ID, r.PricePerKwh, c.id, c.price)
			}
		}
		r, err := price(imp, weekend, "10:00:00")
		bNoErr(t, "weekend", err)
		bEq(t, "day type returned", r.DayType, weekend)
		_, err = q.PriceAt(ctx, tariff.PriceAtParams{TariffID: t2, Direction: imp, DayType: weekday, TimeOfDay: "12:00:00"})
		bNoRows(t, "tariff without periods", err)
	})

	t.Run("DeletePeriods", func(t *testing.T) {
		del := func(dir tariff.TariffPeriodsDirection) int64 {
			t.Helper()
			n, err := q.DeletePeriods(ctx, tariff.DeletePeriodsParams{TariffID: t1, Direction: dir})
			bNoErr(t, "delete", err)
			return n
		}
		bEq(t, "export periods", del(exp), 1)
		bEq(t, "export again", del(exp), 0)
		rows, err := q.ListPeriods(ctx, tariff.ListPeriodsParams{TariffID: t1, Direction: imp})
		bNoErr(t, "import", err)
		bLen(t, "import periods untouched", rows, 4)
	})

	jan := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	jun := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	const siteA, siteB, siteC = int64(50), int64(51), int64(52)
	sImp, sExp := tariff.SiteTariffsDirectionImport, tariff.SiteTariffsDirectionExport
	assign := func(t *testing.T, site, tariffID int64, dir tariff.SiteTariffsDirection, from, to time.Time) int64 {
		t.Helper()
		n, err := q.AssignTariff(ctx, tariff.AssignTariffParams{SiteID: site, TariffID: tariffID, Direction: dir, ValidFrom: from, ValidTo: bNullTime(to)})
		bNoErr(t, "assign", err)
		return n
	}
	bStep(t, "AssignTariff", func(t *testing.T) {
		bEq(t, "site A import", assign(t, siteA, t3, sImp, jan, time.Time{}), 1)
		bEq(t, "site A export", assign(t, siteA, t2, sExp, jan, time.Time{}), 1)
		bEq(t, "site B import", assign(t, siteB, t3, sImp, jan, time.Time{}), 1)
		bEq(t, "site C import", assign(t, siteC, t4, sImp, jan, time.Time{}), 1)
		bEq(t, "site A import replaced at the same start", assign(t, siteA, t1, sImp, jan, time.Time{}), 2)
		bEq(t, "same again", assign(t, siteA, t1, sImp, jan, time.Time{}), 0)
	})

	bStep(t, "CloseOpenAssignment", func(t *testing.T) {
		closeAt := func(site int64, dir tariff.SiteTariffsDirection, at time.Time) int64 {
			t.Helper()
			n, err := q.CloseOpenAssignment(ctx, tariff.CloseOpenAssignmentParams{SiteID: site, Direction: dir, ValidTo: at})
			bNoErr(t, "close", err)
			return n
		}
		bEq(t, "close site A import", closeAt(siteA, sImp, jun), 1)
		bEq(t, "nothing open any more", closeAt(siteA, sImp, jun), 0)
		bEq(t, "site without assignment", closeAt(99, sImp, jun), 0)
		bEq(t, "new site A import from June", assign(t, siteA, t3, sImp, jun, time.Time{}), 1)
	})

	t.Run("ActiveTariffsForSites", func(t *testing.T) {
		active := func(sites []int64, at time.Time) []tariff.ActiveTariffsForSitesRow {
			t.Helper()
			rows, err := q.ActiveTariffsForSites(ctx, tariff.ActiveTariffsForSitesParams{SiteIds: sites, AtTs: at})
			bNoErr(t, "active", err)
			return rows
		}
		type got struct {
			site   int64
			dir    tariff.SiteTariffsDirection
			tariff int64
		}
		collect := func(rows []tariff.ActiveTariffsForSitesRow) []got {
			out := []got{}
			for _, r := range rows {
				out = append(out, got{r.SiteID, r.Direction, r.TariffID})
			}
			return out
		}
		march := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
		rows := active([]int64{siteB, siteA}, march)
		if g, w := collect(rows), []got{{siteA, sImp, t1}, {siteA, sExp, t2}, {siteB, sImp, t3}}; !reflect.DeepEqual(g, w) {
			t.Errorf("March = %+v, want %+v", g, w)
		}
		if len(rows) == 3 {
			r := rows[0]
			bEq(t, "name", r.Name, "Standard")
			bEq(t, "currency", r.Currency, "EUR")
			bEq(t, "kind", r.Kind, tariff.TariffsKindTou)
			bEqDec(t, "standing charge", r.StandingChargePerDay, "0.45")
			bEqTime(t, "valid_from", r.ValidFrom, jan)
			bEqNullTime(t, "valid_to", r.ValidTo, jun)
			bEqNullTime(t, "export open-ended", rows[1].ValidTo, time.Time{})
		}
		// At the switch instant the new assignment applies (valid_to is exclusive).
		if g, w := collect(active([]int64{siteA}, jun)), []got{{siteA, sImp, t3}, {siteA, sExp, t2}}; !reflect.DeepEqual(g, w) {
			t.Errorf("June 1st = %+v, want %+v", g, w)
		}
		if g, w := collect(active([]int64{siteA}, jun.Add(-time.Microsecond))), []got{{siteA, sImp, t1}, {siteA, sExp, t2}}; !reflect.DeepEqual(g, w) {
			t.Errorf("just before June = %+v, want %+v", g, w)
		}
		bLen(t, "before any assignment", active([]int64{siteA, siteB, siteC}, jan.Add(-time.Second)), 0)
		bLen(t, "empty slice", active([]int64{}, march), 0)
		if g, w := collect(active([]int64{siteC, 99}, march)), []got{{siteC, sImp, t4}}; !reflect.DeepEqual(g, w) {
			t.Errorf("site C = %+v, want %+v", g, w)
		}
	})
}
