package querytest_test

import (
	"database/sql"
	"reflect"
	"testing"
	"time"

	"github.com/solarhub/hubdb/gen/weather"
	"github.com/solarhub/hubdb/hubtest"
)

func TestWeatherQueries(t *testing.T) {
	db := hubtest.New(t, "weather").DB("weather")
	q := weather.New(db)
	ctx := t.Context()
	t0 := time.Date(2025, 6, 21, 10, 0, 0, 0, time.UTC)

	const siteA, siteB = int64(10), int64(11)
	var st1, st2, st3, st4 int64
	bStep(t, "CreateStation", func(t *testing.T) {
		create := func(site int64, name string, p weather.StationsProvider, elev float64, active bool) int64 {
			t.Helper()
			id, err := q.CreateStation(ctx, weather.CreateStationParams{SiteID: site, Name: name, Provider: p, Latitude: 47.5, Longitude: 8.25, ElevationM: sql.NullFloat64{Float64: elev, Valid: elev != 0}, Active: active})
			bNoErr(t, "create "+name, err)
			return id
		}
		st1 = create(siteA, "roof", weather.StationsProviderOnsite, 420.5, true)
		st2 = create(siteA, "grid", weather.StationsProviderOpenmeteo, 0, false)
		st3 = create(siteA, "dwd", weather.StationsProviderDwd, 390, true)
		st4 = create(siteB, "roof", weather.StationsProviderOnsite, 12, true)
		bEq(t, "first id", st1, 1)
		bEq(t, "st2", st2, st1+1)
		bEq(t, "st3", st3, st1+2)
		bEq(t, "st4", st4, st1+3)
		if _, err := q.CreateStation(ctx, weather.CreateStationParams{SiteID: siteA, Name: "roof", Provider: weather.StationsProviderDwd}); err == nil {
			t.Error("a second station named roof on site A was accepted")
		}
	})

	t.Run("GetStation", func(t *testing.T) {
		s, err := q.GetStation(ctx, st2)
		bNoErr(t, "st2", err)
		bEq(t, "id", s.ID, st2)
		bEq(t, "site", s.SiteID, siteA)
		bEq(t, "name", s.Name, "grid")
		bEq(t, "provider", s.Provider, weather.StationsProviderOpenmeteo)
		bEqFloat(t, "lat", s.Latitude, 47.5)
		bEqFloat(t, "lon", s.Longitude, 8.25)
		bEq(t, "elevation NULL", s.ElevationM, sql.NullFloat64{})
		bEq(t, "active", s.Active, false)
		s, err = q.GetStation(ctx, st1)
		bNoErr(t, "st1", err)
		bEq(t, "elevation", s.ElevationM, sql.NullFloat64{Float64: 420.5, Valid: true})
		bEq(t, "active", s.Active, true)
		_, err = q.GetStation(ctx, 999)
		bNoRows(t, "unknown station", err)
	})

	list := func(t *testing.T, site, after int64, active sql.NullBool, limit int32) []int64 {
		t.Helper()
		rows, err := q.ListStationsBySite(ctx, weather.ListStationsBySiteParams{SiteID: site, AfterID: after, Active: active, Limit: limit})
		bNoErr(t, "list", err)
		ids := []int64{}
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		return ids
	}
	eqIDs := func(t *testing.T, what string, got, want []int64) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	isActive := sql.NullBool{Bool: true, Valid: true}
	isInactive := sql.NullBool{Bool: false, Valid: true}

	t.Run("ListStationsBySite", func(t *testing.T) {
		eqIDs(t, "page 1", list(t, siteA, 0, sql.NullBool{}, 2), []int64{st1, st2})
		eqIDs(t, "page 2", list(t, siteA, st2, sql.NullBool{}, 2), []int64{st3})
		eqIDs(t, "page 3", list(t, siteA, st3, sql.NullBool{}, 2), []int64{})
		eqIDs(t, "active", list(t, siteA, 0, isActive, 10), []int64{st1, st3})
		eqIDs(t, "inactive", list(t, siteA, 0, isInactive, 10), []int64{st2})
		eqIDs(t, "site B", list(t, siteB, 0, sql.NullBool{}, 10), []int64{st4})
	})

	t.Run("SetStationActive", func(t *testing.T) {
		set := func(id int64, active bool) int64 {
			t.Helper()
			n, err := q.SetStationActive(ctx, weather.SetStationActiveParams{ID: id, Active: active})
			bNoErr(t, "set", err)
			return n
		}
		bEq(t, "activate st2", set(st2, true), 1)
		bEq(t, "activate st2 again", set(st2, true), 0)
		bEq(t, "unknown", set(999, true), 0)
		eqIDs(t, "inactive after", list(t, siteA, 0, isInactive, 10), []int64{})
		eqIDs(t, "active after", list(t, siteA, 0, isActive, 10), []int64{st1, st2, st3})
	})

	type obs struct {
		station int64
		site    int64
		at      time.Duration
		temp    float64
		ghi     float64
		cloud   float64 // <0: NULL
		precip  float64
	}
	upsert := func(t *testing.T, o obs) int64 {
		t.Helper()
		n, err := q.UpsertObservation(ctx, weather.UpsertObservationParams{
			StationID: o.station, Ts: t0.Add(o.at), SiteID: o.site, TemperatureC: o.temp, GhiWM2: o.ghi,
			CloudCoverPct: sql.NullFloat64{Float64: o.cloud, Valid: o.cloud >= 0}, WindSpeedMS: sql.NullFloat64{Float64: 3.5, Valid: true}, PrecipitationMm: o.precip,
		})
		bNoErr(t, "upsert", err)
		return n
	}
	bStep(t, "UpsertObservation", func(t *testing.T) {
		for _, o := range []obs{
			{st1, siteA, 0, 10, 500, 20, 0},
			{st1, siteA, 15 * time.Minute, 99, 1, 99, 9}, // replaced below
			{st1, siteA, 30 * time.Minute, 14, 700, -1, 0.5},
			{st1, siteA, 60 * time.Minute, 20, 900, 0, 0},
			{st3, siteA, 5 * time.Minute, 16, 650, 40, 1.25},
			{st4, siteB, 0, 30, 1000, 0, 7},
		} {
			bEq(t, "insert", upsert(t, o), 1)
		}
		bEq(t, "update st1@10:15", upsert(t, obs{st1, siteA, 15 * time.Minute, 12, 600, 10, 0.25}), 2)
		bEq(t, "same values again", upsert(t, obs{st1, siteA, 15 * time.Minute, 12, 600, 10, 0.25}), 0)
	})

	t.Run("LatestObservations", func(t *testing.T) {
		rows, err := q.LatestObservations(ctx, []int64{st3, st2, st1})
		bNoErr(t, "latest", err)
		bLen(t, "st1+st3 (st2 has none)", rows, 2)
		bEq(t, "first station", rows[0].StationID, st1)
		bEqTime(t, "st1 newest", rows[0].Ts, t0.Add(time.Hour))
		bEqFloat(t, "st1 temp", rows[0].TemperatureC, 20)
		bEq(t, "second station", rows[1].StationID, st3)
		bEqTime(t, "st3 newest", rows[1].Ts, t0.Add(5*time.Minute))
		bEqFloat(t, "st3 precip", rows[1].PrecipitationMm, 1.25)
		rows, err = q.LatestObservations(ctx, []int64{})
		bNoErr(t, "empty", err)
		bLen(t, "empty slice", rows, 0)
	})

	t.Run("ListObservations", func(t *testing.T) {
		rows, err := q.ListObservations(ctx, weather.ListObservationsParams{StationID: st1, FromTs: t0, ToTs: t0.Add(time.Hour), Limit: 10})
		bNoErr(t, "list", err)
		bLen(t, "[10:00, 11:00)", rows, 3)
		for i, at := range []time.Duration{0, 15 * time.Minute, 30 * time.Minute} {
			bEqTime(t, "ts", rows[i].Ts, t0.Add(at))
			bEq(t, "site", rows[i].SiteID, siteA)
		}
		bEqFloat(t, "updated temp", rows[1].TemperatureC, 12)
		bEqFloat(t, "updated ghi", rows[1].GhiWM2, 600)
		bEq(t, "updated cloud", rows[1].CloudCoverPct, sql.NullFloat64{Float64: 10, Valid: true})
		bEqFloat(t, "updated precip", rows[1].PrecipitationMm, 0.25)
		bEq(t, "cloud NULL", rows[2].CloudCoverPct, sql.NullFloat64{})
		bEq(t, "wind", rows[2].WindSpeedMS, sql.NullFloat64{Float64: 3.5, Valid: true})
		rows, err = q.ListObservations(ctx, weather.ListObservationsParams{StationID: st1, FromTs: t0.Add(time.Minute), ToTs: t0.Add(2 * time.Hour), Limit: 2})
		bNoErr(t, "list", err)
		bLen(t, "limit 2 from 10:01", rows, 2)
		bEqTime(t, "first", rows[0].Ts, t0.Add(15*time.Minute))
		bEqTime(t, "second", rows[1].Ts, t0.Add(30*time.Minute))
	})

	t.Run("HourlySiteWeather", func(t *testing.T) {
		rows, err := q.HourlySiteWeather(ctx, weather.HourlySiteWeatherParams{SiteID: siteA, FromTs: t0, ToTs: t0.Add(2 * time.Hour)})
		bNoErr(t, "hourly", err)
		bLen(t, "hours", rows, 2)
		h := rows[0]
		bEqTime(t, "hour 10", h.HourStart, t0)
		bEq(t, "samples 10h (st1 x3, st3 x1)", h.Samples, 4)
		bEqFloat(t, "avg temp (10+12+14+16)/4", h.AvgTemperatureC, 13)
		bEqFloat(t, "avg ghi (500+600+700+650)/4", h.AvgGhiWM2, 612.5)
		bEqFloat(t, "max ghi", h.MaxGhiWM2, 700)
		bEqFloat(t, "precip 0+0.25+0.5+1.25", h.PrecipitationMm, 2)
		h = rows[1]
		bEqTime(t, "hour 11", h.HourStart, t0.Add(time.Hour))
		bEq(t, "samples 11h", h.Samples, 1)
		bEqFloat(t, "avg temp 11h", h.AvgTemperatureC, 20)
		bEqFloat(t, "max ghi 11h", h.MaxGhiWM2, 900)
		rows, err = q.HourlySiteWeather(ctx, weather.HourlySiteWeatherParams{SiteID: siteB, FromTs: t0, ToTs: t0.Add(2 * time.Hour)})
		bNoErr(t, "site B", err)
		bLen(t, "site B", rows, 1)
		bEqFloat(t, "site B temp", rows[0].AvgTemperatureC, 30)
		bEqFloat(t, "site B precip", rows[0].PrecipitationMm, 7)
		rows, err = q.HourlySiteWeather(ctx, weather.HourlySiteWeatherParams{SiteID: siteA, FromTs: t0.Add(-time.Hour), ToTs: t0})
		bNoErr(t, "before", err)
		bLen(t, "hour before any data", rows, 0)
	})

	t.Run("CountObservationsSince", func(t *testing.T) {
		r, err := q.CountObservationsSince(ctx, weather.CountObservationsSinceParams{StationID: st1, SinceTs: t0.Add(15 * time.Minute)})
		bNoErr(t, "st1", err)
		bEq(t, "st1 since 10:15 (inclusive)", r.Observations, 3)
		bEqTime(t, "st1 newest", r.NewestTs, t0.Add(time.Hour))
		r, err = q.CountObservationsSince(ctx, weather.CountObservationsSinceParams{StationID: st2, SinceTs: t0.Add(-24 * time.Hour)})
		bNoErr(t, "st2", err)
		bEq(t, "st2 count", r.Observations, 0)
		bEqTime(t, "st2 newest is the epoch", r.NewestTs, time.Unix(0, 0))
	})

	t.Run("DeleteObservationsBefore", func(t *testing.T) {
		del := func(station int64, before time.Time) int64 {
			t.Helper()
			n, err := q.DeleteObservationsBefore(ctx, weather.DeleteObservationsBeforeParams{StationID: station, BeforeTs: before})
			bNoErr(t, "delete", err)
			return n
		}
		bEq(t, "st1 before 10:30", del(st1, t0.Add(30*time.Minute)), 2)
		bEq(t, "again", del(st1, t0.Add(30*time.Minute)), 0)
		rows, err := q.ListObservations(ctx, weather.ListObservationsParams{StationID: st1, FromTs: t0.Add(-time.Hour), ToTs: t0.Add(3 * time.Hour), Limit: 10})
		bNoErr(t, "list", err)
		bLen(t, "st1 left", rows, 2)
		bEqTime(t, "10:30 kept (exclusive bound)", rows[0].Ts, t0.Add(30*time.Minute))
		r, err := q.CountObservationsSince(ctx, weather.CountObservationsSinceParams{StationID: st3, SinceTs: t0.Add(-time.Hour)})
		bNoErr(t, "st3", err)
		bEq(t, "st3 untouched", r.Observations, 1)
	})
}
