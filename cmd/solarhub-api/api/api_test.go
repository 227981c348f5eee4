package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/solarhub/hubdb/cmd/solarhub-api/api"
	"github.com/solarhub/hubdb/gen/schedule"
)

// now is the API's clock in these tests: the day after the fixture's.
var now = time.Date(2025, 6, 22, 8, 0, 0, 0, time.UTC)

// TestAPI serves the API on only the databases it declares (api.Databases):
// an endpoint that used another one would fail here.
func TestAPI(t *testing.T) {
	d, dbs := migrateAll(t)
	f := seedFixture(t, dbs)
	s := startAPI(t, d, smallPools, api.Options{Now: func() time.Time { return now }}, api.Databases...)

	t.Run("healthz", func(t *testing.T) {
		sameJSON(t, "healthz", s.getJSON(t, "/healthz"), fmt.Sprintf(`{"status": "ok", "databases": %d}`, len(api.Databases)))
	})

	t.Run("latest", func(t *testing.T) {
		got := s.getJSON(t, fmt.Sprintf("/v1/sites/%d/latest", f.site))
		sameJSON(t, "latest", got, fmt.Sprintf(`{
			"site_id": %d, "name": "Freiburg Rooftop",
			"inverters": [
				{"device_id": %d, "ts": "2025-06-21T10:01:00Z", "ac_power_w": 2410, "energy_wh": 1000040.125},
				{"device_id": %d, "ts": "2025-06-21T10:00:00Z", "ac_power_w": 1200, "energy_wh": 500.5}
			],
			"batteries": [
				{"device_id": %d, "mode": "charging", "capacity_wh": 10000, "ts": "2025-06-21T10:02:00Z",
				 "soc_pct": 56, "power_w": -2500.5, "temperature_c": 25}
			],
			"meters": [
				{"device_id": %d, "position": "grid", "ts": "2025-06-21T10:01:00Z", "power_w": -1600,
				 "import_energy_wh": 5000, "export_energy_wh": 7025}
			]}`, f.site, f.inv1, f.inv2, f.bat, f.mtr))
		got = s.getJSON(t, fmt.Sprintf("/v1/sites/%d/latest", f.otherSite))
		sameJSON(t, "latest of a site without readings", got, fmt.Sprintf(`{
			"site_id": %d, "name": "Lyon Depot", "inverters": [], "batteries": [], "meters": []}`, f.otherSite))
	})

	t.Run("curve", func(t *testing.T) {
		got := s.getJSON(t, fmt.Sprintf("/v1/sites/%d/batteries/%d/curve?date=2025-06-21", f.site, f.bat))
		sameJSON(t, "curve", got, fmt.Sprintf(`{
			"site_id": %d, "device_id": %d, "date": "2025-06-21",
			"summary": {"samples": 3, "energy_in_wh": 91.675, "energy_out_wh": 0, "min_soc_pct": 55, "max_soc_pct": 56},
			"points": [
				{"ts": "2025-06-21T10:00:00Z", "soc_pct": 55, "power_w": -3000, "temperature_c": 24.5},
				{"ts": "2025-06-21T10:01:00Z", "soc_pct": 55.5, "power_w": -3000, "temperature_c": 24.75},
				{"ts": "2025-06-21T10:02:00Z", "soc_pct": 56, "power_w": -2500.5, "temperature_c": 25}
			]}`, f.site, f.bat))
		got = s.getJSON(t, fmt.Sprintf("/v1/sites/%d/batteries/%d/curve?date=2025-06-22", f.site, f.bat))
		sameJSON(t, "curve of a day without samples", got, fmt.Sprintf(`{
			"site_id": %d, "device_id": %d, "date": "2025-06-22",
			"summary": {"samples": 0, "energy_in_wh": 0, "energy_out_wh": 0, "min_soc_pct": 0, "max_soc_pct": 0},
			"points": []}`, f.site, f.bat))
	})

	t.Run("kpis", func(t *testing.T) {
		got := s.getJSON(t, fmt.Sprintf("/v1/sites/%d/kpis?from=2025-06-19&to=2025-06-21", f.site))
		sameJSON(t, "kpis", got, fmt.Sprintf(`{
			"site_id": %d, "from": "2025-06-19", "to": "2025-06-21",
			"summary": {"days": 3, "pv_energy_kwh": 80.75, "load_energy_kwh": 67.125, "grid_import_kwh": 26.125,
				"grid_export_kwh": 39.75, "avg_performance_ratio": 0.81, "avg_autarky_pct": 74},
			"days": [
				{"day": "2025-06-19", "pv_energy_kwh": 30.5, "load_energy_kwh": 20, "grid_import_kwh": 5, "grid_export_kwh": 15.5,
				 "self_consumption_pct": 50, "autarky_pct": 75, "performance_ratio": 0.8, "specific_yield": 3.0808},
				{"day": "2025-06-20", "pv_energy_kwh": 40.25, "load_energy_kwh": 22, "grid_import_kwh": 4, "grid_export_kwh": 22.25,
				 "self_consumption_pct": 50, "autarky_pct": 74, "performance_ratio": 0.81, "specific_yield": null},
				{"day": "2025-06-21", "pv_energy_kwh": 10, "load_energy_kwh": 25.125, "grid_import_kwh": 17.125, "grid_export_kwh": 2,
				 "self_consumption_pct": 50, "autarky_pct": 73, "performance_ratio": 0.82, "specific_yield": null}
			]}`, f.site))
		got = s.getJSON(t, fmt.Sprintf("/v1/sites/%d/kpis?from=2025-06-20&to=2025-06-20", f.site))
		if days := got.(map[string]any)["days"].([]any); len(days) != 1 {
			t.Errorf("one-day range: %d days, want 1", len(days))
		}
	})

	t.Run("alarms paginate", func(t *testing.T) {
		var ids []string
		after := "0"
		for page := 0; ; page++ {
			got := s.getJSON(t, fmt.Sprintf("/v1/sites/%d/alarms?limit=2&after=%s", f.site, after)).(map[string]any)
			for _, a := range got["alarms"].([]any) {
				ids = append(ids, fmt.Sprint(a.(map[string]any)["id"]))
			}
			next := got["next_after"]
			if next == nil {
				break
			}
			after = fmt.Sprint(next)
			if page > 5 {
				t.Fatal("pagination does not end")
			}
		}
		want := fmt.Sprint(f.alarms)
		if got := fmt.Sprint(ids); got != want {
			t.Errorf("alarm ids over pages = %s, want %s", got, want)
		}
		got := s.getJSON(t, fmt.Sprintf("/v1/sites/%d/alarms?state=cleared", f.site)).(map[string]any)
		alarms := got["alarms"].([]any)
		if len(alarms) != 1 || fmt.Sprint(alarms[0].(map[string]any)["id"]) != fmt.Sprint(f.clearedAlarm) || got["next_after"] != nil {
			t.Errorf("cleared alarms = %v, want only %d", got, f.clearedAlarm)
		}
		got = s.getJSON(t, fmt.Sprintf("/v1/sites/%d/alarms?severity=critical", f.site)).(map[string]any)
		sameJSON(t, "critical alarms", got, fmt.Sprintf(`{"next_after": null, "alarms": [{
			"id": %d, "site_id": %d, "device_id": null, "code": "A2", "severity": "critical", "state": "active",
			"message": "A2 message", "details": {"k": 1}, "occurrences": 1, "raised_at": "2025-06-21T09:00:00Z",
			"last_seen_at": null, "acknowledged_at": null, "acknowledged_by": null, "cleared_at": null}]}`, f.alarms[1], f.site))
	})

	t.Run("acknowledge", func(t *testing.T) {
		path := fmt.Sprintf("/v1/alarms/%d/ack", f.alarms[0])
		status, _, body := s.call(t, http.MethodPost, path, "application/json", `{"user_id": 7}`)
		if status != http.StatusOK {
			t.Fatalf("ack: status %d, body %s", status, body)
		}
		got := decode(t, body).(map[string]any)
		if got["state"] != "acknowledged" || fmt.Sprint(got["acknowledged_by"]) != "7" || got["acknowledged_at"] != "2025-06-22T08:00:00Z" {
			t.Errorf("acknowledged alarm = %v", got)
		}
		status, _, body = s.call(t, http.MethodPost, path, "application/json", `{"user_id": 7}`)
		if status != http.StatusConflict {
			t.Errorf("second ack: status %d, body %s; want 409", status, body)
		}
		status, _, body = s.call(t, http.MethodPost, fmt.Sprintf("/v1/alarms/%d/ack", f.clearedAlarm), "application/json", `{"user_id": 7}`)
		if status != http.StatusConflict {
			t.Errorf("ack of a cleared alarm: status %d, body %s; want 409", status, body)
		}
		got = s.getJSON(t, fmt.Sprintf("/v1/sites/%d/alarms?state=acknowledged", f.site)).(map[string]any)
		if n := len(got["alarms"].([]any)); n != 1 {
			t.Errorf("%d acknowledged alarms listed, want 1", n)
		}
	})

	t.Run("ingest", func(t *testing.T) {
		path := fmt.Sprintf("/v1/sites/%d/batteries/%d/readings", f.site, f.bat)
		body := `{"readings": [
			{"ts": "2025-06-23T08:00:00Z", "soc_pct": 40, "power_w": -1000, "temperature_c": 20, "energy_in_wh": 10, "energy_out_wh": 0},
			{"ts": "2025-06-23T08:01:00Z", "soc_pct": 41, "power_w": -1000, "temperature_c": 20, "energy_in_wh": 27, "energy_out_wh": 0},
			{"ts": "2025-06-23T08:02:00Z", "soc_pct": 42, "power_w": -1000.5, "temperature_c": 21, "energy_in_wh": 44, "energy_out_wh": 0}]}`
		status, _, resp := s.call(t, http.MethodPost, path, "application/json", body)
		if status != http.StatusCreated {
			t.Fatalf("POST readings: status %d, body %s; want 201", status, resp)
		}
		sameJSON(t, "POST readings", decode(t, resp), `{"stored": 3}`)
		samples := func() string {
			got := s.getJSON(t, fmt.Sprintf("/v1/sites/%d/batteries/%d/curve?date=2025-06-23", f.site, f.bat))
			return fmt.Sprint(got.(map[string]any)["summary"].(map[string]any)["samples"])
		}
		if n := samples(); n != "3" {
			t.Fatalf("curve of the ingested day: %v samples, want 3", n)
		}
		// A new sample and a duplicate of a stored one: nothing is stored.
		dup := `{"readings": [
			{"ts": "2025-06-23T08:03:00Z", "soc_pct": 43, "power_w": -1000, "temperature_c": 21, "energy_in_wh": 61, "energy_out_wh": 0},
			{"ts": "2025-06-23T08:01:00Z", "soc_pct": 41, "power_w": -1000, "temperature_c": 20, "energy_in_wh": 27, "energy_out_wh": 0}]}`
		status, _, resp = s.call(t, http.MethodPost, path, "application/json", dup)
		if status != http.StatusConflict {
			t.Fatalf("POST with a duplicate: status %d, body %s; want 409", status, resp)
		}
		if n := samples(); n != "3" {
			t.Errorf("after the refused POST: %v samples, want 3 (the new one must not be stored)", n)
		}
	})

	t.Run("schedule upsert", func(t *testing.T) {
		path := fmt.Sprintf("/v1/sites/%d/batteries/%d/schedule/2025-06-22", f.site, f.bat)
		body := `{"slots": [
			{"start": "10:00", "mode": "charge", "power_w": 2500, "target_soc_pct": 95},
			{"start": "10:15", "minutes": 30, "mode": "discharge", "power_w": 1000.5}]}`
		status, _, resp := s.call(t, http.MethodPut, path, "application/json", body)
		if status != http.StatusCreated {
			t.Fatalf("first PUT: status %d, body %s; want 201", status, resp)
		}
		sameJSON(t, "first PUT", decode(t, resp), `{"plan_id": 1, "inserted": 2, "updated": 0, "unchanged": 0}`)

		status, _, resp = s.call(t, http.MethodPut, path, "application/json", body)
		if status != http.StatusOK {
			t.Fatalf("same PUT again: status %d, body %s; want 200", status, resp)
		}
		sameJSON(t, "same PUT again", decode(t, resp), `{"plan_id": 1, "inserted": 0, "updated": 0, "unchanged": 2}`)

		changed := `{"slots": [{"start": "10:00", "mode": "charge", "power_w": 3000}, {"start": "11:00", "mode": "idle", "power_w": 0}]}`
		status, _, resp = s.call(t, http.MethodPut, path, "application/json", changed)
		if status != http.StatusOK {
			t.Fatalf("changed PUT: status %d, body %s", status, resp)
		}
		sameJSON(t, "changed PUT", decode(t, resp), `{"plan_id": 1, "inserted": 1, "updated": 1, "unchanged": 0}`)

		slots, err := schedule.New(dbs["schedule"]).ListSlotsForDevices(context.Background(), schedule.ListSlotsForDevicesParams{
			DeviceIds: []int64{f.bat}, FromTs: now.Truncate(24 * time.Hour), ToTs: now.Truncate(24 * time.Hour).Add(24 * time.Hour), Limit: 10,
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, sl := range slots {
			got = append(got, fmt.Sprintf("%s %dmin %s %s %v/%v plan %d",
				sl.SlotStart.Format("15:04"), sl.SlotMinutes, sl.Mode, sl.PowerW, sl.TargetSocPct.Float64, sl.TargetSocPct.Valid, sl.PlanID))
		}
		want := "[10:00 15min charge 3000 0/false plan 1 10:15 30min discharge 1000.5 0/false plan 1 11:00 15min idle 0 0/false plan 1]"
		if fmt.Sprint(got) != want {
			t.Errorf("slots in the database:\n%v\nwant\n%v", got, want)
		}
	})
}

// TestBadInput checks that invalid requests get a 4xx with a JSON reason,
// never a 500.
func TestBadInput(t *testing.T) {
	d, dbs := migrateAll(t)
	f := seedFixture(t, dbs)
	s := startAPI(t, d, smallPools, api.Options{Now: func() time.Time { return now }}, api.Databases...)
	site, bat, bat2 := f.site, f.bat, f.bat2
	sched := fmt.Sprintf("/v1/sites/%d/batteries/%d/schedule/2025-06-22", site, bat)
	slot := `{"start": "10:00", "mode": "charge", "power_w": 100}`
	for _, c := range []struct {
		name, method, path, ctype, body string
		status                          int
	}{
		{"site id not a number", "GET", "/v1/sites/abc/latest", "", "", 400},
		{"site id zero", "GET", "/v1/sites/0/latest", "", "", 400},
		{"site id overflows", "GET", "/v1/sites/99999999999999999999/latest", "", "", 400},
		{"unknown site", "GET", "/v1/sites/999/latest", "", "", 404},
		{"unknown query parameter", "GET", fmt.Sprintf("/v1/sites/%d/latest?verbose=1", site), "", "", 400},
		{"curve without date", "GET", fmt.Sprintf("/v1/sites/%d/batteries/%d/curve", site, bat), "", "", 400},
		{"curve impossible date", "GET", fmt.Sprintf("/v1/sites/%d/batteries/%d/curve?date=2025-02-30", site, bat), "", "", 400},
		{"curve date format", "GET", fmt.Sprintf("/v1/sites/%d/batteries/%d/curve?date=21.06.2025", site, bat), "", "", 400},
		{"curve date too early", "GET", fmt.Sprintf("/v1/sites/%d/batteries/%d/curve?date=1999-12-31", site, bat), "", "", 400},
		{"curve date too late", "GET", fmt.Sprintf("/v1/sites/%d/batteries/%d/curve?date=3000-01-01", site, bat), "", "", 400},
		{"curve unknown battery", "GET", fmt.Sprintf("/v1/sites/%d/batteries/999/curve?date=2025-06-21", site), "", "", 404},
		{"curve battery of another site", "GET", fmt.Sprintf("/v1/sites/%d/batteries/%d/curve?date=2025-06-21", site, bat2), "", "", 404},
		{"curve of an inverter", "GET", fmt.Sprintf("/v1/sites/%d/batteries/%d/curve?date=2025-06-21", site, f.inv1), "", "", 404},
		{"schedule malformed JSON", "PUT", sched, "application/json", `{"slots": [`, 400},
		{"schedule syntax error", "PUT", sched, "application/json", `{"slots": [}`, 400},
		{"schedule unknown field", "PUT", sched, "application/json", `{"slots": [` + slot + `], "plan": 1}`, 400},
		{"schedule unknown slot field", "PUT", sched, "application/json", `{"slots": [{"start": "10:00", "mode": "charge", "power_w": 1, "speed": 2}]}`, 400},
		{"schedule wrong type", "PUT", sched, "application/json", `{"slots": "all"}`, 400},
		{"schedule empty body", "PUT", sched, "application/json", ``, 400},
		{"schedule trailing data", "PUT", sched, "application/json", `{"slots": [` + slot + `]} {}`, 400},
		{"schedule no slots", "PUT", sched, "application/json", `{"slots": []}`, 400},
		{"schedule bad mode", "PUT", sched, "application/json", `{"slots": [{"start": "10:00", "mode": "boost", "power_w": 1}]}`, 400},
		{"schedule off-grid start", "PUT", sched, "application/json", `{"slots": [{"start": "10:07", "mode": "idle", "power_w": 0}]}`, 400},
		{"schedule start not a time", "PUT", sched, "application/json", `{"slots": [{"start": "25:00", "mode": "idle", "power_w": 0}]}`, 400},
		{"schedule negative power", "PUT", sched, "application/json", `{"slots": [{"start": "10:00", "mode": "charge", "power_w": -1}]}`, 400},
		{"schedule power precision", "PUT", sched, "application/json", `{"slots": [{"start": "10:00", "mode": "charge", "power_w": 1.25}]}`, 400},
		{"schedule target over 100", "PUT", sched, "application/json", `{"slots": [{"start": "10:00", "mode": "charge", "power_w": 1, "target_soc_pct": 101}]}`, 400},
		{"schedule bad minutes", "PUT", sched, "application/json", `{"slots": [{"start": "10:00", "minutes": 20, "mode": "idle", "power_w": 0}]}`, 400},
		{"schedule past midnight", "PUT", sched, "application/json", `{"slots": [{"start": "23:45", "minutes": 30, "mode": "idle", "power_w": 0}]}`, 400},
		{"schedule overlap", "PUT", sched, "application/json", `{"slots": [{"start": "10:00", "minutes": 30, "mode": "idle", "power_w": 0}, {"start": "10:15", "mode": "idle", "power_w": 0}]}`, 400},
		{"schedule bad date", "PUT", fmt.Sprintf("/v1/sites/%d/batteries/%d/schedule/2025-13-01", site, bat), "application/json", `{"slots": [` + slot + `]}`, 400},
		{"schedule date out of range", "PUT", fmt.Sprintf("/v1/sites/%d/batteries/%d/schedule/2030-01-01", site, bat), "application/json", `{"slots": [` + slot + `]}`, 400},
		{"schedule not JSON", "PUT", sched, "text/plain", `{"slots": [` + slot + `]}`, 415},
		{"schedule battery of another site", "PUT", fmt.Sprintf("/v1/sites/%d/batteries/%d/schedule/2025-06-22", site, bat2), "application/json", `{"slots": [` + slot + `]}`, 404},
		{"alarms bad state", "GET", fmt.Sprintf("/v1/sites/%d/alarms?state=open", site), "", "", 400},
		{"alarms bad severity", "GET", fmt.Sprintf("/v1/sites/%d/alarms?severity=high", site), "", "", 400},
		{"alarms limit zero", "GET", fmt.Sprintf("/v1/sites/%d/alarms?limit=0", site), "", "", 400},
		{"alarms limit too big", "GET", fmt.Sprintf("/v1/sites/%d/alarms?limit=201", site), "", "", 400},
		{"alarms negative after", "GET", fmt.Sprintf("/v1/sites/%d/alarms?after=-1", site), "", "", 400},
		{"alarms unknown site", "GET", "/v1/sites/999/alarms", "", "", 404},
		{"ack without user", "POST", fmt.Sprintf("/v1/alarms/%d/ack", f.alarms[1]), "application/json", `{}`, 400},
		{"ack user as string", "POST", fmt.Sprintf("/v1/alarms/%d/ack", f.alarms[1]), "application/json", `{"user_id": "7"}`, 400},
		{"ack unknown field", "POST", fmt.Sprintf("/v1/alarms/%d/ack", f.alarms[1]), "application/json", `{"user_id": 7, "note": "x"}`, 400},
		{"ack bad alarm id", "POST", "/v1/alarms/x/ack", "application/json", `{"user_id": 7}`, 400},
		{"ack unknown alarm", "POST", "/v1/alarms/999/ack", "application/json", `{"user_id": 7}`, 404},
		{"kpis to before from", "GET", fmt.Sprintf("/v1/sites/%d/kpis?from=2025-06-21&to=2025-06-20", site), "", "", 400},
		{"kpis without to", "GET", fmt.Sprintf("/v1/sites/%d/kpis?from=2025-06-21", site), "", "", 400},
		{"kpis range too long", "GET", fmt.Sprintf("/v1/sites/%d/kpis?from=2024-01-01&to=2025-06-21", site), "", "", 400},
		{"kpis unknown site", "GET", "/v1/sites/999/kpis?from=2025-06-01&to=2025-06-21", "", "", 404},
		{"unknown endpoint", "GET", "/v1/nothing", "", "", 404},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, h, body := s.call(t, c.method, c.path, c.ctype, c.body)
			if status != c.status {
				t.Fatalf("status %d, want %d; body %s", status, c.status, body)
			}
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			got, ok := decode(t, body).(map[string]any)
			if reason, _ := got["error"].(string); !ok || reason == "" || len(got) != 1 {
				t.Errorf("body %s: want {\"error\": reason}", body)
			} else {
				t.Logf("%d %s", status, reason)
			}
		})
	}
	// nothing was written by the rejected requests
	var n int
	if err := dbs["schedule"].QueryRow("SELECT COUNT(*) FROM schedule_slots").Scan(&n); err != nil || n != 0 {
		t.Errorf("schedule_slots holds %d rows (err %v) after rejected requests, want 0", n, err)
	}
	if err := dbs["alarm"].QueryRow("SELECT COUNT(*) FROM alarms WHERE state = 'acknowledged'").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d acknowledged alarms (err %v) after rejected requests, want 0", n, err)
	}
}
