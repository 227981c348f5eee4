package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/solarhub/hubdb/gen/alarm"
)

// alarmJSON is an alarm as the API shows it.
type alarmJSON struct {
	ID             int64           `json:"id"`
	SiteID         int64           `json:"site_id"`
	DeviceID       *int64          `json:"device_id"`
	Code           string          `json:"code"`
	Severity       string          `json:"severity"`
	State          string          `json:"state"`
	Message        string          `json:"message"`
	Details        json.RawMessage `json:"details"`
	Occurrences    int32           `json:"occurrences"`
	RaisedAt       time.Time       `json:"raised_at"`
	LastSeenAt     *time.Time      `json:"last_seen_at"`
	AcknowledgedAt *time.Time      `json:"acknowledged_at"`
	AcknowledgedBy *int64          `json:"acknowledged_by"`
	ClearedAt      *time.Time      `json:"cleared_at"`
}

func toAlarmJSON(a alarm.Alarm) alarmJSON {
	optInt := func(v sql.NullInt64) *int64 {
		if !v.Valid {
			return nil
		}
		return &v.Int64
	}
	optTime := func(v sql.NullTime) *time.Time {
		if !v.Valid {
			return nil
		}
		return &v.Time
	}
	return alarmJSON{
		ID: a.ID, SiteID: a.SiteID, DeviceID: optInt(a.DeviceID), Code: a.Code, Severity: string(a.Severity),
		State: string(a.State), Message: a.Message, Details: a.Details, Occurrences: a.Occurrences,
		RaisedAt: a.RaisedAt, LastSeenAt: optTime(a.LastSeenAt), AcknowledgedAt: optTime(a.AcknowledgedAt),
		AcknowledgedBy: optInt(a.AcknowledgedBy), ClearedAt: optTime(a.ClearedAt),
	}
}

// alarmPage is one page of a site's alarms; NextAfter is the after value
// of the next page, null on the last.
type alarmPage struct {
	Alarms    []alarmJSON `json:"alarms"`
	NextAfter *int64      `json:"next_after"`
}

// Page sizes of GET .../alarms.
const (
	DefaultAlarmLimit = 50
	MaxAlarmLimit     = 200
)

// listAlarms serves GET /v1/sites/{site}/alarms?state=&severity=&after=&limit=:
// alarms by id, after the id given (keyset pagination).
func (s *server) listAlarms(w http.ResponseWriter, r *http.Request) error {
	siteID, err := pathID(r, "site")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if err := knownParams(q, "state", "severity", "after", "limit"); err != nil {
		return err
	}
	p := alarm.ListSiteAlarmsParams{SiteID: siteID}
	if v := q.Get("state"); v != "" {
		if !slices.Contains(alarm.AllAlarmsStateValues(), alarm.AlarmsState(v)) {
			return badRequest("state %q: want one of %v", v, alarm.AllAlarmsStateValues())
		}
		p.State = alarm.NullAlarmsState{AlarmsState: alarm.AlarmsState(v), Valid: true}
	}
	if v := q.Get("severity"); v != "" {
		if !slices.Contains(alarm.AllAlarmsSeverityValues(), alarm.AlarmsSeverity(v)) {
			return badRequest("severity %q: want one of %v", v, alarm.AllAlarmsSeverityValues())
		}
		p.Severity = alarm.NullAlarmsSeverity{AlarmsSeverity: alarm.AlarmsSeverity(v), Valid: true}
	}
	if p.AfterID, err = queryInt(q, "after", 0, 0, math.MaxInt64); err != nil {
		return err
	}
	limit, err := queryInt(q, "limit", DefaultAlarmLimit, 1, MaxAlarmLimit)
	if err != nil {
		return err
	}
	p.Limit = int32(limit) + 1 // one more tells whether a next page exists
	ctx := r.Context()
	if _, err := s.site(ctx, siteID); err != nil {
		return err
	}
	var rows []alarm.Alarm
	if err := s.db.Alarm.Read(ctx, func(ctx context.Context, q alarm.Reader) (err error) {
		rows, err = q.ListSiteAlarms(ctx, p)
		return err
	}); err != nil {
		return err
	}
	page := alarmPage{Alarms: make([]alarmJSON, 0, len(rows))}
	if len(rows) > int(limit) {
		rows = rows[:limit]
		next := rows[len(rows)-1].ID
		page.NextAfter = &next
	}
	for _, a := range rows {
		page.Alarms = append(page.Alarms, toAlarmJSON(a))
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// ackRequest is the body of POST /v1/alarms/{alarm}/ack.
type ackRequest struct {
	// UserID is the acknowledging user (required).
	UserID int64 `json:"user_id"`
}

// ackAlarm serves POST /v1/alarms/{alarm}/ack: an active alarm becomes
// acknowledged (200 with the alarm); an unknown one is a 404, one that is
// not active a 409. One Write on the alarm database.
func (s *server) ackAlarm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "alarm")
	if err != nil {
		return err
	}
	var req ackRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.UserID <= 0 {
		return badRequest("user_id: want a positive integer")
	}
	now := s.now().UTC()
	var out alarm.Alarm
	err = s.db.Alarm.Write(r.Context(), func(ctx context.Context, q *alarm.Queries) error {
		a, err := q.GetAlarm(ctx, id)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("alarm %d not found", id)
		}
		if err != nil {
			return err
		}
		n, err := q.AcknowledgeAlarm(ctx, alarm.AcknowledgeAlarmParams{AcknowledgedAt: now, UserID: req.UserID, ID: id})
		if err != nil {
			return err
		}
		if n == 0 {
			return conflict("alarm %d is %s, not active", id, a.State)
		}
		out, err = q.GetAlarm(ctx, id)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAlarmJSON(out))
	return nil
}
