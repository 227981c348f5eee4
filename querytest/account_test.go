package querytest_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/solarhub/hubdb/gen/account"
	"github.com/solarhub/hubdb/hubtest"
)

// Helpers shared by the account, site, device, pv, ess and meter tests (prefix ga).

// gaDec parses a decimal literal.
func gaDec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// gaAt returns 2025-06-01 at h:m UTC plus the given microseconds.
func gaAt(h, m int, micros ...int) time.Time {
	us := 0
	if len(micros) > 0 {
		us = micros[0]
	}
	return time.Date(2025, 6, 1, h, m, 0, us*1000, time.UTC)
}

// gaDay returns midnight UTC of a day.
func gaDay(y int, mo time.Month, d int) time.Time { return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC) }

func gaNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// gaNoRows fails unless err is sql.ErrNoRows.
func gaNoRows(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("err = %v, want sql.ErrNoRows", err)
	}
}

// gaErr fails unless err is non-nil (a constraint the schema must enforce).
func gaErr(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want one", what)
	}
}

func gaRows(t *testing.T, what string, got, want int64) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: rows affected = %d, want %d", what, got, want)
	}
}

func gaDecEq(t *testing.T, what string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(gaDec(want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func gaTimeEq(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("%s = %v, want %v (UTC)", what, got, want)
	}
}

func gaNullTimeEq(t *testing.T, what string, got sql.NullTime, want *time.Time) {
	t.Helper()
	switch {
	case want == nil && got.Valid:
		t.Errorf("%s = %v, want NULL", what, got.Time)
	case want != nil && !got.Valid:
		t.Errorf("%s = NULL, want %v", what, *want)
	case want != nil && !got.Time.Equal(*want):
		t.Errorf("%s = %v, want %v", what, got.Time, *want)
	}
}

// gaJSONEq compares JSON documents by value.
func gaJSONEq(t *testing.T, what string, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %q is not JSON: %v", what, got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad expectation %q: %v", what, want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", what, bytes.TrimSpace(got), want)
	}
}

// gaIDs maps rows to their ids, for comparing order and membership.
func gaIDs[T any](rows []T, id func(T) int64) []int64 {
	out := []int64{}
	for _, r := range rows {
		out = append(out, id(r))
	}
	return out
}

func gaIDsEq(t *testing.T, what string, got, want []int64) {
	t.Helper()
	if len(want) == 0 {
		want = []int64{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func gaRecent(t *testing.T, what string, got time.Time) {
	t.Helper()
	if d := time.Since(got); d < -time.Minute || d > 10*time.Minute {
		t.Errorf("%s = %v, want about now", what, got)
	}
}

func TestAccountQueries(t *testing.T) {
	ctx := context.Background()
	db := hubtest.New(t, "account").DB("account")
	q := account.New(db)

	orgs := map[string]int64{}
	t.Run("CreateOrganization", func(t *testing.T) {
		var last int64
		for _, o := range []struct {
			slug string
			plan account.OrganizationsPlan
		}{
			{"acme", account.OrganizationsPlanPro},
			{"beta", account.OrganizationsPlanFree},
			{"gamma", account.OrganizationsPlanPro},
			{"delta", account.OrganizationsPlanEnterprise},
		} {
			id, err := q.CreateOrganization(ctx, account.CreateOrganizationParams{
				Slug: o.slug, Name: "Org " + o.slug, Plan: o.plan,
				Settings: json.RawMessage(`{"currency":"EUR","slug":"` + o.slug + `"}`),
			})
			gaNoErr(t, err)
			if id <= last {
				t.Fatalf("id of %s = %d, want > %d", o.slug, id, last)
			}
			last = id
			orgs[o.slug] = id
		}
		_, err := q.CreateOrganization(ctx, account.CreateOrganizationParams{
			Slug: "acme", Name: "dup", Plan: account.OrganizationsPlanFree, Settings: json.RawMessage(`{}`),
		})
		gaErr(t, err, "duplicate slug")
	})

	t.Run("GetOrganizationBySlug", func(t *testing.T) {
		o, err := q.GetOrganizationBySlug(ctx, "gamma")
		gaNoErr(t, err)
		if o.ID != orgs["gamma"] || o.Slug != "gamma" || o.Name != "Org gamma" || o.Plan != account.OrganizationsPlanPro {
			t.Errorf("got %+v", o)
		}
		gaJSONEq(t, "settings", o.Settings, `{"currency":"EUR","slug":"gamma"}`)
		gaRecent(t, "created_at", o.CreatedAt)
		_, err = q.GetOrganizationBySlug(ctx, "nope")
		gaNoRows(t, err)
	})

	t.Run("ListOrganizations", func(t *testing.T) {
		id := func(r account.ListOrganizationsRow) int64 { return r.ID }
		all := account.NullOrganizationsPlan{}
		p1, err := q.ListOrganizations(ctx, account.ListOrganizationsParams{AfterID: 0, Plan: all, Limit: 2})
		gaNoErr(t, err)
		gaIDsEq(t, "page 1", gaIDs(p1, id), []int64{orgs["acme"], orgs["beta"]})
		if len(p1) == 2 && (p1[1].Slug != "beta" || p1[1].Plan != account.OrganizationsPlanFree) {
			t.Errorf("page 1 row 2 = %+v", p1[1])
		}
		p2, err := q.ListOrganizations(ctx, account.ListOrganizationsParams{AfterID: orgs["beta"], Plan: all, Limit: 2})
		gaNoErr(t, err)
		gaIDsEq(t, "page 2", gaIDs(p2, id), []int64{orgs["gamma"], orgs["delta"]})
		p3, err := q.ListOrganizations(ctx, account.ListOrganizationsParams{AfterID: orgs["delta"], Plan: all, Limit: 2})
		gaNoErr(t, err)
		gaIDsEq(t, "page 3", gaIDs(p3, id), nil)

		pro := account.NullOrganizationsPlan{OrganizationsPlan: account.OrganizationsPlanPro, Valid: true}
		got, err := q.ListOrganizations(ctx, account.ListOrganizationsParams{AfterID: 0, Plan: pro, Limit: 10})
		gaNoErr(t, err)
		gaIDsEq(t, "pro", gaIDs(got, id), []int64{orgs["acme"], orgs["gamma"]})
		got, err = q.ListOrganizations(ctx, account.ListOrganizationsParams{AfterID: orgs["acme"], Plan: pro, Limit: 10})
		gaNoErr(t, err)
		gaIDsEq(t, "pro after acme", gaIDs(got, id), []int64{orgs["gamma"]})
	})

	users := map[string]int64{}
	t.Run("CreateUser", func(t *testing.T) {
		for _, name := range []string{"ann", "bob", "cid", "dan"} {
			id, err := q.CreateUser(ctx, account.CreateUserParams{Email: name + "@example.com", FullName: "User " + name})
			gaNoErr(t, err)
			if id <= 0 {
				t.Fatalf("id = %d", id)
			}
			users[name] = id
		}
		_, err := q.CreateUser(ctx, account.CreateUserParams{Email: "ann@example.com", FullName: "dup"})
		gaErr(t, err, "duplicate email")
	})

	t.Run("ListUsersByIDs", func(t *testing.T) {
		got, err := q.ListUsersByIDs(ctx, []int64{users["cid"], users["ann"], 999999})
		gaNoErr(t, err)
		gaIDsEq(t, "ids", gaIDs(got, func(r account.ListUsersByIDsRow) int64 { return r.ID }), []int64{users["ann"], users["cid"]})
		if len(got) == 2 && (got[0].Email != "ann@example.com" || got[0].FullName != "User ann" ||
			got[0].Status != account.UsersStatusActive || got[0].LastLoginAt.Valid) {
			t.Errorf("ann = %+v", got[0])
		}
		got, err = q.ListUsersByIDs(ctx, nil)
		gaNoErr(t, err)
		if len(got) != 0 {
			t.Errorf("empty slice: %d rows", len(got))
		}
	})

	t.Run("RecordUserLogin", func(t *testing.T) {
		_, err := db.ExecContext(ctx, "UPDATE users SET status = 'disabled' WHERE id = ?", users["dan"])
		gaNoErr(t, err)
		at := gaAt(8, 30, 123456)
		gaNoErr(t, q.RecordUserLogin(ctx, account.RecordUserLoginParams{LoginAt: at, ID: users["ann"]}))
		gaNoErr(t, q.RecordUserLogin(ctx, account.RecordUserLoginParams{LoginAt: at, ID: users["dan"]}))
		got, err := q.ListUsersByIDs(ctx, []int64{users["ann"], users["bob"], users["dan"]})
		gaNoErr(t, err)
		if len(got) != 3 {
			t.Fatalf("%d rows", len(got))
		}
		gaNullTimeEq(t, "ann last_login_at", got[0].LastLoginAt, &at)
		gaNullTimeEq(t, "bob last_login_at", got[1].LastLoginAt, nil)
		gaNullTimeEq(t, "disabled dan last_login_at", got[2].LastLoginAt, nil)
		if got[2].Status != account.UsersStatusDisabled {
			t.Errorf("dan status = %s", got[2].Status)
		}
	})

	t.Run("UpsertMembership", func(t *testing.T) {
		up := func(org, user int64, role account.MembershipsRole) int64 {
			n, err := q.UpsertMembership(ctx, account.UpsertMembershipParams{OrgID: org, UserID: user, Role: role})
			gaNoErr(t, err)
			return n
		}
		gaRows(t, "insert ann owner", up(orgs["acme"], users["ann"], account.MembershipsRoleOwner), 1)
		gaRows(t, "insert bob viewer", up(orgs["acme"], users["bob"], account.MembershipsRoleViewer), 1)
		gaRows(t, "insert cid operator", up(orgs["acme"], users["cid"], account.MembershipsRoleOperator), 1)
		gaRows(t, "insert cid in beta", up(orgs["beta"], users["cid"], account.MembershipsRoleAdmin), 1)
		gaRows(t, "same role again", up(orgs["acme"], users["bob"], account.MembershipsRoleViewer), 0)
		gaRows(t, "bob to admin", up(orgs["acme"], users["bob"], account.MembershipsRoleAdmin), 2)
		_, err := q.UpsertMembership(ctx, account.UpsertMembershipParams{OrgID: 999999, UserID: users["ann"], Role: account.MembershipsRoleOwner})
		gaErr(t, err, "membership of an unknown organization")
	})

	t.Run("ListOrganizationMembers", func(t *testing.T) {
		id := func(r account.ListOrganizationMembersRow) int64 { return r.UserID }
		anyRole := account.NullMembershipsRole{}
		p1, err := q.ListOrganizationMembers(ctx, account.ListOrganizationMembersParams{OrgID: orgs["acme"], Role: anyRole, Limit: 2})
		gaNoErr(t, err)
		gaIDsEq(t, "page 1", gaIDs(p1, id), []int64{users["ann"], users["bob"]})
		if len(p1) == 2 {
			if p1[0].Role != account.MembershipsRoleOwner || p1[0].Email != "ann@example.com" || p1[0].FullName != "User ann" {
				t.Errorf("ann = %+v", p1[0])
			}
			if p1[1].Role != account.MembershipsRoleAdmin {
				t.Errorf("bob role = %s, want admin (after the upsert)", p1[1].Role)
			}
			gaRecent(t, "member_since", p1[0].MemberSince)
		}
		p2, err := q.ListOrganizationMembers(ctx, account.ListOrganizationMembersParams{OrgID: orgs["acme"], AfterUserID: users["bob"], Role: anyRole, Limit: 2})
		gaNoErr(t, err)
		gaIDsEq(t, "page 2", gaIDs(p2, id), []int64{users["cid"]})
		admins, err := q.ListOrganizationMembers(ctx, account.ListOrganizationMembersParams{
			OrgID: orgs["acme"], Role: account.NullMembershipsRole{MembershipsRole: account.MembershipsRoleAdmin, Valid: true}, Limit: 10})
		gaNoErr(t, err)
		gaIDsEq(t, "admins", gaIDs(admins, id), []int64{users["bob"]})
		beta, err := q.ListOrganizationMembers(ctx, account.ListOrganizationMembersParams{OrgID: orgs["beta"], Role: anyRole, Limit: 10})
		gaNoErr(t, err)
		gaIDsEq(t, "beta", gaIDs(beta, id), []int64{users["cid"]})
		none, err := q.ListOrganizationMembers(ctx, account.ListOrganizationMembersParams{OrgID: orgs["gamma"], Role: anyRole, Limit: 10})
		gaNoErr(t, err)
		gaIDsEq(t, "gamma", gaIDs(none, id), nil)
	})

	keys := map[string]int64{}
	expiry := gaAt(12, 0)
	t.Run("CreateAPIKey", func(t *testing.T) {
		for _, k := range []struct {
			name, prefix string
			org          int64
			expires      sql.NullTime
		}{
			{"ci", "ak_ci001", orgs["acme"], sql.NullTime{}},
			{"temp", "ak_tmp01", orgs["acme"], sql.NullTime{Time: expiry, Valid: true}},
			{"other", "ak_oth01", orgs["beta"], sql.NullTime{}},
		} {
			id, err := q.CreateAPIKey(ctx, account.CreateAPIKeyParams{
				OrgID: k.org, Name: k.name, Prefix: k.prefix, SecretHash: "hash-of-" + k.name,
				Scopes:    json.RawMessage(`["read:telemetry","write:schedule"]`),
				CreatedBy: sql.NullInt64{Int64: users["ann"], Valid: true}, ExpiresAt: k.expires,
			})
			gaNoErr(t, err)
			keys[k.name] = id
		}
		if !(keys["ci"] < keys["temp"] && keys["temp"] < keys["other"]) {
			t.Errorf("ids not increasing: %v", keys)
		}
		_, err := q.CreateAPIKey(ctx, account.CreateAPIKeyParams{OrgID: orgs["acme"], Name: "dup", Prefix: "ak_ci001", SecretHash: "x", Scopes: json.RawMessage(`[]`)})
		gaErr(t, err, "duplicate prefix")
	})

	t.Run("GetActiveAPIKeyByPrefix", func(t *testing.T) {
		k, err := q.GetActiveAPIKeyByPrefix(ctx, account.GetActiveAPIKeyByPrefixParams{Prefix: "ak_ci001", Now: gaAt(13, 0)})
		gaNoErr(t, err)
		if k.ID != keys["ci"] || k.OrgID != orgs["acme"] || k.Name != "ci" || k.SecretHash != "hash-of-ci" || k.ExpiresAt.Valid {
			t.Errorf("ci = %+v", k)
		}
		gaJSONEq(t, "scopes", k.Scopes, `["read:telemetry","write:schedule"]`)

		k, err = q.GetActiveAPIKeyByPrefix(ctx, account.GetActiveAPIKeyByPrefixParams{Prefix: "ak_tmp01", Now: expiry.Add(-time.Microsecond)})
		gaNoErr(t, err)
		if k.ID != keys["temp"] {
			t.Errorf("temp id = %d", k.ID)
		}
		gaNullTimeEq(t, "expires_at", k.ExpiresAt, &expiry)
		_, err = q.GetActiveAPIKeyByPrefix(ctx, account.GetActiveAPIKeyByPrefixParams{Prefix: "ak_tmp01", Now: expiry})
		gaNoRows(t, err)
		_, err = q.GetActiveAPIKeyByPrefix(ctx, account.GetActiveAPIKeyByPrefixParams{Prefix: "ak_none1", Now: gaAt(0, 0)})
		gaNoRows(t, err)
	})

	t.Run("RevokeAPIKey", func(t *testing.T) {
		at := gaAt(14, 0)
		n, err := q.RevokeAPIKey(ctx, account.RevokeAPIKeyParams{RevokedAt: at, ID: keys["ci"], OrgID: orgs["beta"]})
		gaNoErr(t, err)
		gaRows(t, "other organization's key", n, 0)
		n, err = q.RevokeAPIKey(ctx, account.RevokeAPIKeyParams{RevokedAt: at, ID: keys["ci"], OrgID: orgs["acme"]})
		gaNoErr(t, err)
		gaRows(t, "revoke", n, 1)
		n, err = q.RevokeAPIKey(ctx, account.RevokeAPIKeyParams{RevokedAt: at.Add(time.Hour), ID: keys["ci"], OrgID: orgs["acme"]})
		gaNoErr(t, err)
		gaRows(t, "already revoked", n, 0)
		_, err = q.GetActiveAPIKeyByPrefix(ctx, account.GetActiveAPIKeyByPrefixParams{Prefix: "ak_ci001", Now: gaAt(13, 0)})
		gaNoRows(t, err)
		var revokedAt time.Time
		gaNoErr(t, db.QueryRowContext(ctx, "SELECT revoked_at FROM api_keys WHERE id = ?", keys["ci"]).Scan(&revokedAt))
		gaTimeEq(t, "revoked_at", revokedAt, at)
		if _, err := q.GetActiveAPIKeyByPrefix(ctx, account.GetActiveAPIKeyByPrefixParams{Prefix: "ak_oth01", Now: gaAt(13, 0)}); err != nil {
			t.Errorf("beta's key should still be active: %v", err)
		}
	})
}
