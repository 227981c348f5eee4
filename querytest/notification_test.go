package querytest_test

import (
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/solarhub/hubdb/gen/notification"
	"github.com/solarhub/hubdb/hubtest"
)

func TestNotificationQueries(t *testing.T) {
	db := hubtest.New(t, "notification").DB("notification")
	q := notification.New(db)
	ctx := t.Context()
	t0 := time.Date(2025, 9, 1, 6, 0, 0, 500000000, time.UTC)

	var c1, c2, c3 int64
	t.Run("CreateChannel", func(t *testing.T) {
		create := func(kind notification.ChannelsKind, name, config string, enabled bool) int64 {
			t.Helper()
			id, err := q.CreateChannel(ctx, notification.CreateChannelParams{
				OrgID: 10, Kind: kind, Name: name, Config: json.RawMessage(config), Enabled: enabled,
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		c1 = create(notification.ChannelsKindEmail, "ops mail", `{"from": "noreply@solarhub.example"}`, true)
		c2 = create(notification.ChannelsKindSms, "sms", `{"sender": "SolarHub"}`, false)
		c3 = create(notification.ChannelsKindWebhook, "hook", `{"url": "https://example.com/hook", "secret_ref": "s1"}`, true)
		if c1 <= 0 || c2 != c1+1 || c3 != c2+1 {
			t.Fatalf("ids = %d %d %d, want consecutive", c1, c2, c3)
		}
	})

	t.Run("ListChannelsByIDs", func(t *testing.T) {
		list := func(ids []int64, limit int32) []notification.Channel {
			t.Helper()
			rows, err := q.ListChannelsByIDs(ctx, notification.ListChannelsByIDsParams{Ids: ids, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			return rows
		}
		ids := func(rows []notification.Channel) []int64 {
			return cxIDs(rows, func(c notification.Channel) int64 { return c.ID })
		}
		rows := list([]int64{c3, c1, c2, c3 + 100}, 10)
		cxIDsEq(t, "enabled among ids", ids(rows), []int64{c1, c3})
		if len(rows) == 2 {
			if rows[0].Kind != notification.ChannelsKindEmail || rows[0].Name != "ops mail" || rows[0].OrgID != 10 || !rows[0].Enabled {
				t.Errorf("c1 = %+v", rows[0])
			}
			cxJSONEq(t, "c3 config", rows[1].Config, `{"secret_ref": "s1", "url": "https://example.com/hook"}`)
		}
		cxIDsEq(t, "one id", ids(list([]int64{c3}, 10)), []int64{c3})
		cxIDsEq(t, "disabled only", ids(list([]int64{c2}, 10)), nil)
		cxIDsEq(t, "limit 1", ids(list([]int64{c1, c3}, 1)), []int64{c1})
		cxIDsEq(t, "empty slice", ids(list(nil, 10)), nil)
	})

	// Messages: m1 due t0, m2 due a minute earlier, m3 due an hour later, m4 without user, due t0.
	var m1, m2, m3, m4 int64
	t.Run("EnqueueMessage", func(t *testing.T) {
		enqueue := func(user sql.NullInt64, topic string, due time.Time) int64 {
			t.Helper()
			id, err := q.EnqueueMessage(ctx, notification.EnqueueMessageParams{
				OrgID: 10, UserID: user, ChannelID: c1, Topic: topic, Subject: "Alarm on site 100", Body: "Inverter hot",
				Payload: json.RawMessage(`{"alarm_id": 5}`), NextAttemptAt: due,
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		m1 = enqueue(cxI64(42), "alarms", t0)
		m2 = enqueue(cxI64(42), "alarms", t0.Add(-time.Minute))
		m3 = enqueue(cxI64(43), "billing", t0.Add(time.Hour))
		m4 = enqueue(sql.NullInt64{}, "alarms", t0)
		if m1 <= 0 || m2 != m1+1 || m3 != m2+1 || m4 != m3+1 {
			t.Fatalf("ids = %d %d %d %d, want consecutive", m1, m2, m3, m4)
		}
		if _, err := q.EnqueueMessage(ctx, notification.EnqueueMessageParams{
			OrgID: 10, ChannelID: c3 + 100, Topic: "x", Payload: json.RawMessage(`{}`), NextAttemptAt: t0,
		}); err == nil {
			t.Error("message for unknown channel accepted (foreign key)")
		}
	})

	due := func(t *testing.T, now time.Time, limit int32) []int64 {
		t.Helper()
		rows, err := q.ListDueMessages(ctx, notification.ListDueMessagesParams{Now: now, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Status != notification.OutboxMessagesStatusPending || r.NextAttemptAt.After(now) {
				t.Errorf("message %d (%s, due %v) listed as due at %v", r.ID, r.Status, r.NextAttemptAt, now)
			}
		}
		return cxIDs(rows, func(m notification.OutboxMessage) int64 { return m.ID })
	}
	type msgState struct {
		status   string
		attempts int32
		next     time.Time
		sent     sql.NullTime
	}
	state := func(t *testing.T, id int64) msgState {
		t.Helper()
		var s msgState
		err := db.QueryRowContext(ctx, "SELECT status, attempts, next_attempt_at, sent_at FROM outbox_messages WHERE id = ?", id).
			Scan(&s.status, &s.attempts, &s.next, &s.sent)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("ListDueMessages", func(t *testing.T) {
		cxIDsEq(t, "before anything is due", due(t, t0.Add(-2*time.Minute), 10), nil)
		cxIDsEq(t, "at t0 (inclusive)", due(t, t0, 10), []int64{m2, m1, m4})
		cxIDsEq(t, "an hour later", due(t, t0.Add(time.Hour), 10), []int64{m2, m1, m4, m3})
		cxIDsEq(t, "limit 2", due(t, t0.Add(time.Hour), 2), []int64{m2, m1})
		rows, err := q.ListDueMessages(ctx, notification.ListDueMessagesParams{Now: t0, Limit: 1})
		if err != nil || len(rows) != 1 {
			t.Fatalf("rows = %+v, %v", rows, err)
		}
		m := rows[0]
		if m.OrgID != 10 || m.UserID != cxI64(42) || m.ChannelID != c1 || m.Topic != "alarms" || m.Subject != "Alarm on site 100" ||
			m.Body != "Inverter hot" || m.Attempts != 0 || m.SentAt.Valid {
			t.Errorf("m2 = %+v", m)
		}
		cxJSONEq(t, "payload", m.Payload, `{"alarm_id": 5}`)
		cxTimeEq(t, "next_attempt_at", m.NextAttemptAt, t0.Add(-time.Minute))
	})

	claim := func(t *testing.T, id int64) int64 {
		t.Helper()
		n, err := q.ClaimMessage(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("ClaimMessage", func(t *testing.T) {
		if n := claim(t, m2); n != 1 {
			t.Errorf("claim m2: rows affected = %d, want 1", n)
		}
		if n := claim(t, m2); n != 0 {
			t.Errorf("claim m2 again: rows affected = %d, want 0", n)
		}
		if s := state(t, m2); s.status != "sending" || s.attempts != 1 {
			t.Errorf("m2 = %+v, want sending with 1 attempt", s)
		}
		cxIDsEq(t, "due after claim", due(t, t0, 10), []int64{m1, m4})
	})

	var att1, att2 int64
	t.Run("RecordDeliveryAttempt", func(t *testing.T) {
		var err error
		att1, err = q.RecordDeliveryAttempt(ctx, notification.RecordDeliveryAttemptParams{
			MessageID: m2, AttemptedAt: t0.Add(2 * time.Second), Success: false,
			ResponseCode: sql.NullInt32{Int32: 503, Valid: true}, Error: cxStr("service unavailable"),
		})
		if err != nil {
			t.Fatal(err)
		}
		att2, err = q.RecordDeliveryAttempt(ctx, notification.RecordDeliveryAttemptParams{
			MessageID: m2, AttemptedAt: t0.Add(time.Second), Success: false,
		})
		if err != nil {
			t.Fatal(err)
		}
		if att1 <= 0 || att2 != att1+1 {
			t.Errorf("ids = %d, %d, want consecutive", att1, att2)
		}
	})

	t.Run("ListDeliveryAttempts", func(t *testing.T) {
		rows, err := q.ListDeliveryAttempts(ctx, notification.ListDeliveryAttemptsParams{MessageID: m2, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		cxIDsEq(t, "by attempted_at", cxIDs(rows, func(a notification.DeliveryAttempt) int64 { return a.ID }), []int64{att2, att1})
		if len(rows) == 2 {
			if rows[0].ResponseCode.Valid || rows[0].Error.Valid || rows[0].Success {
				t.Errorf("att2 = %+v, want NULL code and error", rows[0])
			}
			if rows[1].ResponseCode != (sql.NullInt32{Int32: 503, Valid: true}) || rows[1].Error != cxStr("service unavailable") {
				t.Errorf("att1 = %+v", rows[1])
			}
			cxTimeEq(t, "attempted_at", rows[1].AttemptedAt, t0.Add(2*time.Second))
		}
		rows, err = q.ListDeliveryAttempts(ctx, notification.ListDeliveryAttemptsParams{MessageID: m2, Limit: 1})
		if err != nil || len(rows) != 1 || rows[0].ID != att2 {
			t.Errorf("limit 1 = %+v, %v", rows, err)
		}
		rows, err = q.ListDeliveryAttempts(ctx, notification.ListDeliveryAttemptsParams{MessageID: m1, Limit: 10})
		if err != nil || len(rows) != 0 {
			t.Errorf("m1 attempts = %+v, %v", rows, err)
		}
	})

	t.Run("RetryOrFailMessage", func(t *testing.T) {
		retry := func(id int64, at time.Time) int64 {
			t.Helper()
			n, err := q.RetryOrFailMessage(ctx, notification.RetryOrFailMessageParams{MaxAttempts: 3, RetryAt: at, ID: id})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		// Attempt 1 failed: back to pending.
		r1 := t0.Add(5 * time.Minute)
		if n := retry(m2, r1); n != 1 {
			t.Errorf("retry after attempt 1: rows affected = %d, want 1", n)
		}
		if s := state(t, m2); s.status != "pending" || s.attempts != 1 || !s.next.Equal(r1) {
			t.Errorf("m2 = %+v, want pending at %v", s, r1)
		}
		if n := retry(m2, r1); n != 0 {
			t.Errorf("retry of a pending message: rows affected = %d, want 0", n)
		}
		cxIDsEq(t, "not due before retry time", due(t, t0, 10), []int64{m1, m4})
		cxIDsEq(t, "due at retry time", due(t, r1, 10), []int64{m1, m4, m2})
		// Attempt 2 fails: pending again; attempt 3 fails: failed for good.
		if n := claim(t, m2); n != 1 {
			t.Fatalf("claim 2: %d", n)
		}
		if n := retry(m2, r1.Add(time.Minute)); n != 1 {
			t.Errorf("retry after attempt 2: %d", n)
		}
		if s := state(t, m2); s.status != "pending" || s.attempts != 2 {
			t.Errorf("m2 after attempt 2 = %+v, want pending", s)
		}
		if n := claim(t, m2); n != 1 {
			t.Fatalf("claim 3: %d", n)
		}
		if n := retry(m2, r1.Add(2*time.Minute)); n != 1 {
			t.Errorf("retry after attempt 3: %d", n)
		}
		if s := state(t, m2); s.status != "failed" || s.attempts != 3 {
			t.Errorf("m2 after attempt 3 = %+v, want failed", s)
		}
		if n := claim(t, m2); n != 0 {
			t.Errorf("claim failed message: %d, want 0", n)
		}
		cxIDsEq(t, "failed message never due", due(t, t0.Add(24*time.Hour), 10), []int64{m1, m4, m3})
	})

	t.Run("MarkMessageSent", func(t *testing.T) {
		sentAt := t0.Add(3 * time.Second)
		n, err := q.MarkMessageSent(ctx, notification.MarkMessageSentParams{SentAt: sentAt, ID: m1})
		cxN(t, "sent without claim", n, err, 0)
		if n := claim(t, m1); n != 1 {
			t.Fatalf("claim m1: %d", n)
		}
		n, err = q.MarkMessageSent(ctx, notification.MarkMessageSentParams{SentAt: sentAt, ID: m1})
		cxN(t, "sent", n, err, 1)
		n, err = q.MarkMessageSent(ctx, notification.MarkMessageSentParams{SentAt: sentAt.Add(time.Hour), ID: m1})
		cxN(t, "sent twice", n, err, 0)
		s := state(t, m1)
		if s.status != "sent" || s.attempts != 1 {
			t.Errorf("m1 = %+v, want sent after 1 attempt", s)
		}
		cxNullTimeEq(t, "sent_at", s.sent, &sentAt)
		cxIDsEq(t, "due after send", due(t, t0.Add(24*time.Hour), 10), []int64{m4, m3})
	})

	t.Run("UpsertUserPreference", func(t *testing.T) {
		upsert := func(user int64, kind notification.UserPreferencesChannelKind, topic string, enabled bool, qs, qe sql.NullString) int64 {
			t.Helper()
			n, err := q.UpsertUserPreference(ctx, notification.UpsertUserPreferenceParams{
				UserID: user, ChannelKind: kind, Topic: topic, Enabled: enabled, QuietStart: qs, QuietEnd: qe,
			})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		none := sql.NullString{}
		email, sms := notification.UserPreferencesChannelKindEmail, notification.UserPreferencesChannelKindSms
		if n := upsert(42, sms, "alarms", true, cxStr("22:00:00"), cxStr("06:00:00")); n != 1 {
			t.Errorf("insert: %d, want 1", n)
		}
		if n := upsert(42, email, "billing", true, none, none); n != 1 {
			t.Errorf("insert: %d, want 1", n)
		}
		if n := upsert(42, email, "alarms", true, none, none); n != 1 {
			t.Errorf("insert: %d, want 1", n)
		}
		if n := upsert(43, email, "alarms", true, none, none); n != 1 {
			t.Errorf("insert other user: %d, want 1", n)
		}
		if n := upsert(42, sms, "alarms", false, cxStr("23:30:00"), cxStr("06:00:00")); n != 2 {
			t.Errorf("update: %d, want 2", n)
		}
		if n := upsert(42, sms, "alarms", false, cxStr("23:30:00"), cxStr("06:00:00")); n != 0 {
			t.Errorf("unchanged: %d, want 0", n)
		}
	})

	t.Run("ListUserPreferences", func(t *testing.T) {
		list := func(user int64, kind notification.NullUserPreferencesChannelKind, limit int32) []notification.UserPreference {
			t.Helper()
			rows, err := q.ListUserPreferences(ctx, notification.ListUserPreferencesParams{UserID: user, ChannelKind: kind, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.UserID != user {
					t.Errorf("preference of user %d listed for %d", r.UserID, user)
				}
			}
			return rows
		}
		keys := func(rows []notification.UserPreference) []string {
			var out []string
			for _, r := range rows {
				out = append(out, string(r.ChannelKind)+"/"+r.Topic)
			}
			return out
		}
		eq := func(what string, got []string, want ...string) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s = %v, want %v", what, got, want)
				return
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s = %v, want %v", what, got, want)
					return
				}
			}
		}
		all := list(42, notification.NullUserPreferencesChannelKind{}, 10)
		eq("user 42 (ENUM order, then topic)", keys(all), "email/alarms", "email/billing", "sms/alarms")
		if len(all) == 3 {
			if all[0].QuietStart.Valid || all[0].QuietEnd.Valid || !all[0].Enabled {
				t.Errorf("email/alarms = %+v, want enabled without quiet hours", all[0])
			}
			if s := all[2]; s.Enabled || s.QuietStart != cxStr("23:30:00") || s.QuietEnd != cxStr("06:00:00") {
				t.Errorf("sms/alarms = %+v, want disabled, quiet 23:30:00-06:00:00", s)
			}
		}
		sms := notification.NullUserPreferencesChannelKind{UserPreferencesChannelKind: notification.UserPreferencesChannelKindSms, Valid: true}
		eq("user 42 sms", keys(list(42, sms, 10)), "sms/alarms")
		push := notification.NullUserPreferencesChannelKind{UserPreferencesChannelKind: notification.UserPreferencesChannelKindPush, Valid: true}
		eq("user 42 push", keys(list(42, push, 10)))
		eq("user 42 limit 2", keys(list(42, notification.NullUserPreferencesChannelKind{}, 2)), "email/alarms", "email/billing")
		eq("user 43", keys(list(43, notification.NullUserPreferencesChannelKind{}, 10)), "email/alarms")
	})
}
