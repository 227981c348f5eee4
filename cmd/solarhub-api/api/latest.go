package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/solarhub/hubdb/gen/device"
	"github.com/solarhub/hubdb/gen/ess"
	"github.com/solarhub/hubdb/gen/meter"
	"github.com/solarhub/hubdb/gen/pv"
	"github.com/solarhub/hubdb/gen/site"
)

// latestResponse is a site's newest readings per device.
type latestResponse struct {
	SiteID   int64          `json:"site_id"`
	Name     string         `json:"name"`
	Inverter []inverterLast `json:"inverters"`
	Battery  []batteryLast  `json:"batteries"`
	Meter    []meterLast    `json:"meters"`
}

type inverterLast struct {
	DeviceID int64       `json:"device_id"`
	Ts       time.Time   `json:"ts"`
	ACPowerW json.Number `json:"ac_power_w"`
	EnergyWh json.Number `json:"energy_wh"`
}

type batteryLast struct {
	DeviceID     int64       `json:"device_id"`
	Mode         string      `json:"mode"`
	CapacityWh   json.Number `json:"capacity_wh"`
	Ts           time.Time   `json:"ts"`
	SocPct       float64     `json:"soc_pct"`
	PowerW       json.Number `json:"power_w"`
	TemperatureC float64     `json:"temperature_c"`
}

type meterLast struct {
	DeviceID       int64       `json:"device_id"`
	Position       string      `json:"position"`
	Ts             time.Time   `json:"ts"`
	PowerW         json.Number `json:"power_w"`
	ImportEnergyWh json.Number `json:"import_energy_wh"`
	ExportEnergyWh json.Number `json:"export_energy_wh"`
}

// maxDevices bounds the devices of one kind read per site.
const maxDevices = 1000

// latest serves GET /v1/sites/{site}/latest: the site and its inverters
// come from the site and device databases, then the PV, ESS and meter
// databases are read concurrently, one read-only transaction each.
func (s *server) latest(w http.ResponseWriter, r *http.Request) error {
	siteID, err := pathID(r, "site")
	if err != nil {
		return err
	}
	if err := knownParams(r.URL.Query()); err != nil {
		return err
	}
	ctx := r.Context()
	st, err := s.site(ctx, siteID)
	if err != nil {
		return err
	}
	var inverters []int64
	err = s.db.Device.Read(ctx, func(ctx context.Context, q device.Reader) error {
		devs, err := q.ListSiteDevices(ctx, device.ListSiteDevicesParams{
			SiteID: siteID, Kind: device.NullDevicesKind{DevicesKind: device.DevicesKindInverter, Valid: true}, Limit: maxDevices,
		})
		for _, d := range devs {
			inverters = append(inverters, d.ID)
		}
		return err
	})
	if err != nil {
		return err
	}
	resp := latestResponse{SiteID: siteID, Name: st.Name,
		Inverter: []inverterLast{}, Battery: []batteryLast{}, Meter: []meterLast{}}
	now := s.now()
	var wg sync.WaitGroup
	var pvErr, essErr, meterErr error
	wg.Go(func() { resp.Inverter, pvErr = s.latestInverters(ctx, inverters) })
	wg.Go(func() { resp.Battery, essErr = s.latestBatteries(ctx, siteID, now) })
	wg.Go(func() { resp.Meter, meterErr = s.latestMeters(ctx, siteID) })
	wg.Wait()
	if err := errors.Join(pvErr, essErr, meterErr); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// site returns the site, or a 404 error.
func (s *server) site(ctx context.Context, id int64) (site.GetSiteRow, error) {
	var st site.GetSiteRow
	err := s.db.Site.Read(ctx, func(ctx context.Context, q site.Reader) (err error) {
		st, err = q.GetSite(ctx, id)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return st, notFound("site %d not found", id)
	}
	return st, err
}

func (s *server) latestInverters(ctx context.Context, ids []int64) ([]inverterLast, error) {
	out := []inverterLast{}
	if len(ids) == 0 {
		return out, nil
	}
	err := s.db.PV.Read(ctx, func(ctx context.Context, q pv.Reader) error {
		rows, err := q.ListLatestInverterReadings(ctx, ids)
		for _, x := range rows {
			out = append(out, inverterLast{x.DeviceID, x.Ts, num(x.AcPowerW), num(x.EnergyWh)})
		}
		return err
	})
	return out, err
}

func (s *server) latestBatteries(ctx context.Context, siteID int64, now time.Time) ([]batteryLast, error) {
	out := []batteryLast{}
	err := s.db.ESS.Read(ctx, func(ctx context.Context, q ess.Reader) error {
		states, err := q.ListSiteBatteryStates(ctx, ess.ListSiteBatteryStatesParams{SiteID: siteID, Limit: maxDevices})
		if err != nil {
			return err
		}
		for _, b := range states {
			x, err := q.GetLatestBatteryReading(ctx, ess.GetLatestBatteryReadingParams{DeviceID: b.DeviceID, AtTs: now})
			if errors.Is(err, sql.ErrNoRows) {
				continue // a battery that has not reported yet
			}
			if err != nil {
				return err
			}
			out = append(out, batteryLast{
				DeviceID: b.DeviceID, Mode: string(b.Mode), CapacityWh: num(b.CapacityWh),
				Ts: x.Ts, SocPct: x.SocPct, PowerW: num(x.PowerW), TemperatureC: x.TemperatureC,
			})
		}
		return nil
	})
	return out, err
}

func (s *server) latestMeters(ctx context.Context, siteID int64) ([]meterLast, error) {
	out := []meterLast{}
	err := s.db.Meter.Read(ctx, func(ctx context.Context, q meter.Reader) error {
		profiles, err := q.ListSiteMeterProfiles(ctx, meter.ListSiteMeterProfilesParams{SiteID: siteID})
		if err != nil || len(profiles) == 0 {
			return err
		}
		ids := make([]int64, len(profiles))
		position := make(map[int64]string, len(profiles))
		for i, p := range profiles {
			ids[i] = p.DeviceID
			position[p.DeviceID] = string(p.Position)
		}
		rows, err := q.ListLatestMeterReadings(ctx, ids)
		for _, x := range rows {
			out = append(out, meterLast{x.DeviceID, position[x.DeviceID], x.Ts, num(x.PowerW), num(x.ImportEnergyWh), num(x.ExportEnergyWh)})
		}
		return err
	})
	return out, err
}
