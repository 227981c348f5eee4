package querytest_test

import (
	"database/sql"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/solarhub/hubdb/gen/dispatch"
	"github.com/solarhub/hubdb/hubtest"
)

func TestDispatchQueries(t *testing.T) {
	db := hubtest.New(t, "dispatch").DB("dispatch")
	q := dispatch.New(db)
	ctx := t.Context()
	t0 := time.Date(2025, 8, 1, 12, 0, 0, 0, time.UTC)
	// created_at is the server's CURRENT_TIMESTAMP(6); bracket it generously.
	now := time.Now().UTC()

	const siteA, siteB = int64(1), int64(2)
	const devA, devB, devC = int64(500), int64(501), int64(502)
	type cmd struct {
		site, dev int64
		command   string
		payload   string
		priority  int16
		by        int64
		key       string
		expires   time.Time
	}
	enqueue := func(t *testing.T, c cmd) int64 {
		t.Helper()
		id, err := q.EnqueueCommand(ctx, dispatch.EnqueueCommandParams{
			SiteID: c.site, DeviceID: c.dev, Command: c.command, Payload: json.RawMessage(c.payload), Priority: c.priority,
			RequestedBy: sql.NullInt64{Int64: c.by, Valid: c.by != 0}, IdempotencyKey: sql.NullString{String: c.key, Valid: c.key != ""}, ExpiresAt: bNullTime(c.expires),
		})
		bNoErr(t, "enqueue", err)
		return id
	}
	var c1, c2, c3, c4, c5, c6 int64
	bStep(t, "EnqueueCommand", func(t *testing.T) {
		c1 = enqueue(t, cmd{siteA, devA, "setpower", `{"w": 3000}`, 0, 9, "k1", t0.Add(time.Hour)})
		c2 = enqueue(t, cmd{siteA, devA, "setmode", `{"mode": "selfuse"}`, 5, 0, "", time.Time{}})
		c3 = enqueue(t, cmd{siteA, devB, "reboot", `{}`, 5, 9, "k1", time.Time{}}) // same key, other device: new command
		c4 = enqueue(t, cmd{siteB, devC, "reboot", `{}`, 0, 0, "", time.Time{}})
		c5 = enqueue(t, cmd{siteA, devA, "setpower", `{"w": 0}`, 5, 0, "", t0.Add(10 * time.Minute)})
		c6 = enqueue(t, cmd{siteA, devB, "setmode", `{"mode": "backup"}`, 1, 0, "k2", time.Time{}})
		bEq(t, "first id", c1, 1)
		ids := map[int64]bool{}
		for _, id := range []int64{c1, c2, c3, c4, c5, c6} {
			if id <= 0 || ids[id] {
				t.Errorf("id %d is not a new positive id (ids %v)", id, ids)
			}
			ids[id] = true
		}
		// The same idempotency key for the same device returns the first command and changes nothing.
		again := enqueue(t, cmd{siteA, devA, "setpower", `{"w": 4000}`, 7, 9, "k1", t0.Add(2 * time.Hour)})
		bEq(t, "idempotent enqueue returns the existing id", again, c1)
		again = enqueue(t, cmd{siteA, devB, "setmode", `{"mode": "other"}`, 1, 0, "k2", time.Time{}})
		bEq(t, "idempotent enqueue of c6", again, c6)
	})

	t.Run("GetCommand", func(t *testing.T) {
		c, err := q.GetCommand(ctx, c1)
		bNoErr(t, "c1", err)
		bEq(t, "id", c.ID, c1)
		bEq(t, "site", c.SiteID, siteA)
		bEq(t, "device", c.DeviceID, devA)
		bEq(t, "command", c.Command, "setpower")
		bEqJSON(t, "payload unchanged by the duplicate", c.Payload, `{"w": 3000}`)
		bEq(t, "priority unchanged by the duplicate", c.Priority, 0)
		bEq(t, "status", c.Status, dispatch.CommandsStatusQueued)
		bEq(t, "requested_by", c.RequestedBy, sql.NullInt64{Int64: 9, Valid: true})
		bEq(t, "key", c.IdempotencyKey, sql.NullString{String: "k1", Valid: true})
		bEqNullTime(t, "expires", c.ExpiresAt, t0.Add(time.Hour))
		bEqNullTime(t, "sent_at", c.SentAt, time.Time{})
		bEqNullTime(t, "acked_at", c.AckedAt, time.Time{})
		if c.CreatedAt.Sub(now).Abs() > time.Hour {
			t.Errorf("created_at = %v, not about now (%v)", c.CreatedAt, now)
		}
		c, err = q.GetCommand(ctx, c2)
		bNoErr(t, "c2", err)
		bEq(t, "no key", c.IdempotencyKey, sql.NullString{})
		bEq(t, "no requester", c.RequestedBy, sql.NullInt64{})
		bEqNullTime(t, "no expiry", c.ExpiresAt, time.Time{})
		_, err = q.GetCommand(ctx, 999)
		bNoRows(t, "unknown command", err)
	})

	queued := func(t *testing.T, devs []int64, limit int32) []int64 {
		t.Helper()
		rows, err := q.ListQueuedForDevices(ctx, dispatch.ListQueuedForDevicesParams{DeviceIds: devs, Limit: limit})
		bNoErr(t, "queued", err)
		ids := []int64{}
		for _, r := range rows {
			bEq(t, "status", r.Status, dispatch.CommandsStatusQueued)
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

	t.Run("ListQueuedForDevices", func(t *testing.T) {
		eqIDs(t, "devA+devB by priority, id", queued(t, []int64{devB, devA}, 10), []int64{c2, c3, c5, c6, c1})
		eqIDs(t, "limit 2", queued(t, []int64{devA, devB}, 2), []int64{c2, c3})
		eqIDs(t, "devC", queued(t, []int64{devC}, 10), []int64{c4})
		eqIDs(t, "empty slice", queued(t, []int64{}, 10), []int64{})
	})

	bStep(t, "MarkSent", func(t *testing.T) {
		sent := func(id int64, at time.Time) int64 {
			t.Helper()
			n, err := q.MarkSent(ctx, dispatch.MarkSentParams{ID: id, SentAt: at})
			bNoErr(t, "sent", err)
			return n
		}
		bEq(t, "c1 queued -> sent", sent(c1, t0.Add(time.Minute)), 1)
		bEq(t, "c1 again", sent(c1, t0.Add(2*time.Minute)), 0)
		bEq(t, "c3 queued -> sent", sent(c3, t0.Add(time.Minute)), 1)
		c, err := q.GetCommand(ctx, c1)
		bNoErr(t, "c1", err)
		bEq(t, "status", c.Status, dispatch.CommandsStatusSent)
		bEqNullTime(t, "first sent_at kept", c.SentAt, t0.Add(time.Minute))
	})

	bStep(t, "AckCommand", func(t *testing.T) {
		ack := func(id int64) int64 {
			t.Helper()
			n, err := q.AckCommand(ctx, dispatch.AckCommandParams{ID: id, AckedAt: t0.Add(2 * time.Minute)})
			bNoErr(t, "ack", err)
			return n
		}
		bEq(t, "c1 sent -> acked", ack(c1), 1)
		bEq(t, "c1 again", ack(c1), 0)
		bEq(t, "c2 is queued, not sent", ack(c2), 0)
		c, err := q.GetCommand(ctx, c1)
		bNoErr(t, "c1", err)
		bEq(t, "status", c.Status, dispatch.CommandsStatusAcked)
		bEqNullTime(t, "acked_at", c.AckedAt, t0.Add(2*time.Minute))
		c, err = q.GetCommand(ctx, c2)
		bNoErr(t, "c2", err)
		bEq(t, "c2 still queued", c.Status, dispatch.CommandsStatusQueued)
	})

	bStep(t, "ExpireCommands", func(t *testing.T) {
		expire := func(at time.Time) int64 {
			t.Helper()
			n, err := q.ExpireCommands(ctx, at)
			bNoErr(t, "expire", err)
			return n
		}
		bEq(t, "at t0+10m nothing has expired yet (strict <)", expire(t0.Add(10*time.Minute)), 0)
		bEq(t, "at t0+30m c5 expires", expire(t0.Add(30*time.Minute)), 1)
		bEq(t, "again", expire(t0.Add(30*time.Minute)), 0)
		bEq(t, "at t0+2h c1 is acked, the rest never expire", expire(t0.Add(2*time.Hour)), 0)
		c, err := q.GetCommand(ctx, c5)
		bNoErr(t, "c5", err)
		bEq(t, "c5 failed", c.Status, dispatch.CommandsStatusFailed)
		eqIDs(t, "queued after", queued(t, []int64{devA, devB}, 10), []int64{c2, c6})
	})

	var a1, a2 int64
	bStep(t, "RecordAttempt", func(t *testing.T) {
		record := func(no int32, outcome dispatch.CommandAttemptsOutcome, errText string) (int64, error) {
			t.Helper()
			return q.RecordAttempt(ctx, dispatch.RecordAttemptParams{CommandID: c1, AttemptNo: no, SentAt: t0.Add(time.Duration(no) * time.Minute), Outcome: outcome, Error: sql.NullString{String: errText, Valid: errText != ""}})
		}
		var err error
		a2, err = record(2, dispatch.CommandAttemptsOutcomeOk, "")
		bNoErr(t, "attempt 2", err)
		a1, err = record(1, dispatch.CommandAttemptsOutcomeTimeout, "no response in 30s")
		bNoErr(t, "attempt 1", err)
		bEq(t, "first id", a2, 1)
		bEq(t, "second id", a1, a2+1)
		if _, err := record(1, dispatch.CommandAttemptsOutcomeError, "dup"); err == nil {
			t.Error("a second attempt 1 was accepted")
		}
	})

	t.Run("ListAttempts", func(t *testing.T) {
		rows, err := q.ListAttempts(ctx, c1)
		bNoErr(t, "c1", err)
		bLen(t, "c1 attempts", rows, 2)
		bEq(t, "attempt order, not id order", rows[0].ID, a1)
		bEq(t, "attempt 1", rows[0].AttemptNo, 1)
		bEq(t, "outcome", rows[0].Outcome, dispatch.CommandAttemptsOutcomeTimeout)
		bEq(t, "error", rows[0].Error, sql.NullString{String: "no response in 30s", Valid: true})
		bEqTime(t, "sent", rows[0].SentAt, t0.Add(time.Minute))
		bEq(t, "attempt 2", rows[1].ID, a2)
		bEq(t, "outcome", rows[1].Outcome, dispatch.CommandAttemptsOutcomeOk)
		bEq(t, "no error", rows[1].Error, sql.NullString{})
		rows, err = q.ListAttempts(ctx, c2)
		bNoErr(t, "c2", err)
		bLen(t, "c2 attempts", rows, 0)
	})

	bStep(t, "SaveResult", func(t *testing.T) {
		bNoErr(t, "save", q.SaveResult(ctx, dispatch.SaveResultParams{CommandID: c3, ReceivedAt: t0.Add(time.Minute), Success: false, Result: json.RawMessage(`{"error": "busy"}`)}))
		bNoErr(t, "save", q.SaveResult(ctx, dispatch.SaveResultParams{CommandID: c1, ReceivedAt: t0.Add(2 * time.Minute), Success: false, Result: json.RawMessage(`{"error": "timeout"}`)}))
		bNoErr(t, "replace", q.SaveResult(ctx, dispatch.SaveResultParams{CommandID: c1, ReceivedAt: t0.Add(3 * time.Minute), Success: true, Result: json.RawMessage(`{"applied_w": 3000}`)}))
		if err := q.SaveResult(ctx, dispatch.SaveResultParams{CommandID: 999, ReceivedAt: t0, Result: json.RawMessage(`{}`)}); err == nil {
			t.Error("a result for an unknown command was accepted")
		}
	})

	t.Run("GetCommandWithResult", func(t *testing.T) {
		r, err := q.GetCommandWithResult(ctx, c1)
		bNoErr(t, "c1", err)
		bEq(t, "id", r.ID, c1)
		bEq(t, "device", r.DeviceID, devA)
		bEq(t, "command", r.Command, "setpower")
		bEq(t, "status", r.Status, dispatch.CommandsStatusAcked)
		bEqTime(t, "replaced received_at", r.ReceivedAt, t0.Add(3*time.Minute))
		bEq(t, "replaced success", r.Success, true)
		bEqJSON(t, "replaced result", r.Result, `{"applied_w": 3000}`)
		r, err = q.GetCommandWithResult(ctx, c3)
		bNoErr(t, "c3", err)
		bEq(t, "c3 success", r.Success, false)
		bEqJSON(t, "c3 result", r.Result, `{"error": "busy"}`)
		_, err = q.GetCommandWithResult(ctx, c2)
		bNoRows(t, "command without result", err)
	})

	t.Run("CountCommandsByStatus", func(t *testing.T) {
		type count struct {
			status dispatch.CommandsStatus
			n      int64
		}
		counts := func(site int64, from, to time.Time, dev int64) []count {
			t.Helper()
			rows, err := q.CountCommandsByStatus(ctx, dispatch.CountCommandsByStatusParams{SiteID: site, FromTs: from, ToTs: to, DeviceID: sql.NullInt64{Int64: dev, Valid: dev != 0}})
			bNoErr(t, "count", err)
			out := []count{}
			for _, r := range rows {
				out = append(out, count{r.Status, r.Commands})
			}
			return out
		}
		from, to := now.Add(-24*time.Hour), now.Add(24*time.Hour)
		for _, c := range []struct {
			what      string
			got, want []count
		}{
			// ENUM columns sort by declaration order: queued, sent, acked, failed.
			{"site A", counts(siteA, from, to, 0), []count{{"queued", 2}, {"sent", 1}, {"acked", 1}, {"failed", 1}}},
			{"site A devA", counts(siteA, from, to, devA), []count{{"queued", 1}, {"acked", 1}, {"failed", 1}}},
			{"site A devB", counts(siteA, from, to, devB), []count{{"queued", 1}, {"sent", 1}}},
			{"site B", counts(siteB, from, to, 0), []count{{"queued", 1}}},
			{"site A devC (other site)", counts(siteA, from, to, devC), []count{}},
			{"yesterday", counts(siteA, from.Add(-24*time.Hour), from, 0), []count{}},
		} {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
			}
		}
	})
}
