package querytest_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/solarhub/hubdb/gen/billing"
	"github.com/solarhub/hubdb/hubtest"
)

func TestBillingQueries(t *testing.T) {
	db := hubtest.New(t, "billing").DB("billing")
	q := billing.New(db)
	ctx := t.Context()
	date := func(m, d int) time.Time { return time.Date(2025, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	t0 := time.Date(2025, 8, 1, 9, 30, 0, 250000000, time.UTC)

	var acc1, acc2 int64
	t.Run("CreateBillingAccount", func(t *testing.T) {
		var err error
		acc1, err = q.CreateBillingAccount(ctx, billing.CreateBillingAccountParams{
			OrgID: 10, Name: "Sunny GmbH", Email: "billing@sunny.example", Currency: "EUR",
			Address: json.RawMessage(`{"city": "Freiburg", "country": "DE"}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		acc2, err = q.CreateBillingAccount(ctx, billing.CreateBillingAccountParams{
			OrgID: 11, Name: "Other", Email: "ap@other.example", Currency: "CHF", Address: json.RawMessage(`{}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		if acc1 <= 0 || acc2 != acc1+1 {
			t.Fatalf("ids = %d, %d, want consecutive positive", acc1, acc2)
		}
		var name, status, address string
		if err := db.QueryRowContext(ctx, "SELECT name, status, address FROM billing_accounts WHERE id = ?", acc1).Scan(&name, &status, &address); err != nil {
			t.Fatal(err)
		}
		if name != "Sunny GmbH" || status != "active" {
			t.Errorf("account = %q %q, want Sunny GmbH active", name, status)
		}
		cxJSONEq(t, "address", json.RawMessage(address), `{"country": "DE", "city": "Freiburg"}`)
	})

	var inv1, inv2, inv3 int64
	t.Run("CreateInvoice", func(t *testing.T) {
		create := func(acc int64, number string, m int, cur string) (int64, error) {
			return q.CreateInvoice(ctx, billing.CreateInvoiceParams{
				AccountID: acc, Number: number, PeriodStart: date(m, 1), PeriodEnd: date(m+1, 1), Currency: cur,
			})
		}
		var err error
		if inv1, err = create(acc1, "INV-2025-0001", 6, "EUR"); err != nil {
			t.Fatal(err)
		}
		if inv2, err = create(acc1, "INV-2025-0002", 7, "EUR"); err != nil {
			t.Fatal(err)
		}
		if inv3, err = create(acc2, "INV-2025-0003", 7, "CHF"); err != nil {
			t.Fatal(err)
		}
		if inv1 <= 0 || inv2 != inv1+1 || inv3 != inv2+1 {
			t.Fatalf("ids = %d %d %d, want consecutive", inv1, inv2, inv3)
		}
		if _, err := create(acc1, "INV-2025-0001", 8, "EUR"); err == nil {
			t.Error("duplicate invoice number accepted")
		}
		if _, err := create(999, "INV-2025-0099", 8, "EUR"); err == nil {
			t.Error("invoice for unknown account accepted (foreign key)")
		}
	})

	t.Run("UpsertInvoiceLine", func(t *testing.T) {
		line := func(no int32, site int64, desc, qty, unit, price, amount string) int64 {
			t.Helper()
			p := billing.UpsertInvoiceLineParams{
				InvoiceID: inv1, LineNo: no, Description: desc, Quantity: cxDec(t, qty), Unit: unit,
				UnitPrice: cxDec(t, price), Amount: cxDec(t, amount),
			}
			if site != 0 {
				p.SiteID = cxI64(site)
			}
			n, err := q.UpsertInvoiceLine(ctx, p)
			if err != nil {
				t.Fatalf("UpsertInvoiceLine %d: %v", no, err)
			}
			return n
		}
		if n := line(2, 0, "Platform fee", "1", "month", "12.5", "12.50"); n != 1 {
			t.Errorf("insert line 2: rows affected = %d, want 1", n)
		}
		if n := line(1, 100, "Grid export, site 100", "1234.567", "kWh", "0.28500", "351.85"); n != 1 {
			t.Errorf("insert line 1: rows affected = %d, want 1", n)
		}
		if n := line(2, 0, "Platform fee (2 sites)", "2", "month", "12.5", "25.00"); n != 2 {
			t.Errorf("replace line 2: rows affected = %d, want 2", n)
		}
		if n := line(2, 0, "Platform fee (2 sites)", "2", "month", "12.5", "25.00"); n != 0 {
			t.Errorf("identical line 2: rows affected = %d, want 0", n)
		}
	})

	t.Run("ListInvoiceLines", func(t *testing.T) {
		lines, err := q.ListInvoiceLines(ctx, billing.ListInvoiceLinesParams{InvoiceID: inv1, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != 2 {
			t.Fatalf("lines = %+v, want 2", lines)
		}
		l1, l2 := lines[0], lines[1]
		if l1.LineNo != 1 || l1.SiteID != cxI64(100) || l1.Unit != "kWh" || l1.Description != "Grid export, site 100" {
			t.Errorf("line 1 = %+v", l1)
		}
		cxDecEq(t, "line 1 quantity", l1.Quantity, "1234.567")
		cxDecEq(t, "line 1 unit price", l1.UnitPrice, "0.285")
		cxDecEq(t, "line 1 amount", l1.Amount, "351.85")
		if l2.LineNo != 2 || l2.SiteID.Valid || l2.Description != "Platform fee (2 sites)" {
			t.Errorf("line 2 = %+v", l2)
		}
		cxDecEq(t, "line 2 quantity", l2.Quantity, "2")
		cxDecEq(t, "line 2 amount", l2.Amount, "25")

		lines, err = q.ListInvoiceLines(ctx, billing.ListInvoiceLinesParams{InvoiceID: inv1, Limit: 1})
		if err != nil || len(lines) != 1 || lines[0].LineNo != 1 {
			t.Errorf("limit 1: %+v, %v", lines, err)
		}
		lines, err = q.ListInvoiceLines(ctx, billing.ListInvoiceLinesParams{InvoiceID: inv2, Limit: 10})
		if err != nil || len(lines) != 0 {
			t.Errorf("invoice without lines: %+v, %v", lines, err)
		}
	})

	getInvoice := func(t *testing.T, acc, id int64) billing.Invoice {
		t.Helper()
		rows, err := q.ListAccountInvoices(ctx, billing.ListAccountInvoicesParams{AccountID: acc, AfterID: id - 1, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].ID != id {
			t.Fatalf("invoice %d not found: %+v", id, rows)
		}
		return rows[0]
	}

	t.Run("RecalculateInvoiceTotals", func(t *testing.T) {
		if err := q.RecalculateInvoiceTotals(ctx, billing.RecalculateInvoiceTotalsParams{Tax: cxDec(t, "71.60"), ID: inv1}); err != nil {
			t.Fatal(err)
		}
		inv := getInvoice(t, acc1, inv1)
		cxDecEq(t, "subtotal", inv.Subtotal, "376.85")
		cxDecEq(t, "tax", inv.Tax, "71.6")
		cxDecEq(t, "total", inv.Total, "448.45")
		// An invoice without lines: subtotal 0, total = tax.
		if err := q.RecalculateInvoiceTotals(ctx, billing.RecalculateInvoiceTotalsParams{Tax: cxDec(t, "1.00"), ID: inv2}); err != nil {
			t.Fatal(err)
		}
		inv = getInvoice(t, acc1, inv2)
		cxDecEq(t, "empty subtotal", inv.Subtotal, "0")
		cxDecEq(t, "empty total", inv.Total, "1")
		// inv3 untouched.
		inv = getInvoice(t, acc2, inv3)
		cxDecEq(t, "other invoice total", inv.Total, "0")
	})

	due1 := t0.Add(14 * 24 * time.Hour)
	due2 := t0.Add(30 * 24 * time.Hour)
	t.Run("IssueInvoice", func(t *testing.T) {
		n, err := q.IssueInvoice(ctx, billing.IssueInvoiceParams{IssuedAt: t0, DueAt: due1, ID: inv1})
		cxN(t, "issue inv1", n, err, 1)
		n, err = q.IssueInvoice(ctx, billing.IssueInvoiceParams{IssuedAt: t0.Add(time.Hour), DueAt: due2, ID: inv1})
		cxN(t, "issue inv1 twice", n, err, 0)
		inv := getInvoice(t, acc1, inv1)
		if inv.Status != billing.InvoicesStatusIssued {
			t.Errorf("status = %s", inv.Status)
		}
		cxNullTimeEq(t, "issued_at", inv.IssuedAt, &t0)
		cxNullTimeEq(t, "due_at", inv.DueAt, &due1)
		n, err = q.IssueInvoice(ctx, billing.IssueInvoiceParams{IssuedAt: t0, DueAt: due2, ID: inv2})
		cxN(t, "issue inv2", n, err, 1)

		// Totals of an issued invoice are frozen.
		if err := q.RecalculateInvoiceTotals(ctx, billing.RecalculateInvoiceTotalsParams{Tax: cxDec(t, "0"), ID: inv1}); err != nil {
			t.Fatal(err)
		}
		cxDecEq(t, "frozen total", getInvoice(t, acc1, inv1).Total, "448.45")
	})

	t.Run("ListOverdueInvoices", func(t *testing.T) {
		list := func(now time.Time, limit int32) []int64 {
			t.Helper()
			rows, err := q.ListOverdueInvoices(ctx, billing.ListOverdueInvoicesParams{Now: now, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			return cxIDs(rows, func(i billing.Invoice) int64 { return i.ID })
		}
		cxIDsEq(t, "at due1 (not yet overdue)", list(due1, 10), nil)
		cxIDsEq(t, "after due1", list(due1.Add(time.Microsecond), 10), []int64{inv1})
		cxIDsEq(t, "after due2", list(due2.Add(time.Hour), 10), []int64{inv1, inv2})
		cxIDsEq(t, "after due2, limit 1", list(due2.Add(time.Hour), 1), []int64{inv1})
	})

	balance := func(t *testing.T, id int64, paid, open string, count int64) {
		t.Helper()
		b, err := q.GetInvoiceBalance(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if b.ID != id || b.PaymentCount != count {
			t.Errorf("balance = %+v, want invoice %d with %d payments", b, id, count)
		}
		cxDecEq(t, "total", b.Total, "448.45")
		cxDecEq(t, "paid", b.Paid, paid)
		cxDecEq(t, "open", b.OpenAmount, open)
	}

	var p1, p2 int64
	t.Run("RecordPayment", func(t *testing.T) {
		balance(t, inv1, "0", "448.45", 0)
		var err error
		p1, err = q.RecordPayment(ctx, billing.RecordPaymentParams{
			InvoiceID: inv1, Amount: cxDec(t, "100.00"), Method: billing.PaymentsMethodCard, ExternalRef: "ch_1", PaidAt: t0.Add(time.Hour),
		})
		if err != nil {
			t.Fatal(err)
		}
		p2, err = q.RecordPayment(ctx, billing.RecordPaymentParams{
			InvoiceID: inv1, Amount: cxDec(t, "348.45"), Method: billing.PaymentsMethodSepa, ExternalRef: "sepa_7", PaidAt: t0.Add(2 * time.Hour),
		})
		if err != nil {
			t.Fatal(err)
		}
		if p1 <= 0 || p2 != p1+1 {
			t.Errorf("payment ids = %d, %d, want consecutive", p1, p2)
		}
		if _, err := q.RecordPayment(ctx, billing.RecordPaymentParams{
			InvoiceID: inv1, Amount: cxDec(t, "1"), Method: billing.PaymentsMethodCard, ExternalRef: "ch_1", PaidAt: t0,
		}); err == nil {
			t.Error("duplicate external_ref accepted")
		}
	})

	t.Run("GetInvoiceBalance", func(t *testing.T) {
		balance(t, inv1, "448.45", "0", 2)
		b, err := q.GetInvoiceBalance(ctx, inv2)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status != billing.InvoicesStatusIssued || b.PaymentCount != 0 {
			t.Errorf("inv2 balance = %+v", b)
		}
		cxDecEq(t, "inv2 open", b.OpenAmount, "1")
		if _, err := q.GetInvoiceBalance(ctx, inv3+100); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("unknown invoice: err = %v, want sql.ErrNoRows", err)
		}
	})

	paidAt := t0.Add(2 * time.Hour)
	t.Run("MarkInvoicePaid", func(t *testing.T) {
		n, err := q.MarkInvoicePaid(ctx, billing.MarkInvoicePaidParams{PaidAt: paidAt, ID: inv1})
		cxN(t, "pay inv1", n, err, 1)
		n, err = q.MarkInvoicePaid(ctx, billing.MarkInvoicePaidParams{PaidAt: paidAt.Add(time.Hour), ID: inv1})
		cxN(t, "pay inv1 twice", n, err, 0)
		n, err = q.MarkInvoicePaid(ctx, billing.MarkInvoicePaidParams{PaidAt: paidAt, ID: inv3})
		cxN(t, "pay draft inv3", n, err, 0)
		inv := getInvoice(t, acc1, inv1)
		if inv.Status != billing.InvoicesStatusPaid {
			t.Errorf("status = %s, want paid", inv.Status)
		}
		cxNullTimeEq(t, "paid_at", inv.PaidAt, &paidAt)
		if b, err := q.GetInvoiceBalance(ctx, inv1); err != nil || b.Status != billing.InvoicesStatusPaid {
			t.Errorf("balance status = %v, %v", b.Status, err)
		}
		// A paid invoice is no longer overdue.
		rows, err := q.ListOverdueInvoices(ctx, billing.ListOverdueInvoicesParams{Now: due2.Add(time.Hour), Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		cxIDsEq(t, "overdue after payment", cxIDs(rows, func(i billing.Invoice) int64 { return i.ID }), []int64{inv2})
	})

	t.Run("ListAccountInvoices", func(t *testing.T) {
		list := func(acc int64, status billing.NullInvoicesStatus, after int64, limit int32) []int64 {
			t.Helper()
			rows, err := q.ListAccountInvoices(ctx, billing.ListAccountInvoicesParams{AccountID: acc, Status: status, AfterID: after, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.AccountID != acc {
					t.Errorf("invoice %d of account %d listed for %d", r.ID, r.AccountID, acc)
				}
			}
			return cxIDs(rows, func(i billing.Invoice) int64 { return i.ID })
		}
		st := func(s billing.InvoicesStatus) billing.NullInvoicesStatus {
			return billing.NullInvoicesStatus{InvoicesStatus: s, Valid: true}
		}
		none := billing.NullInvoicesStatus{}
		cxIDsEq(t, "acc1", list(acc1, none, 0, 10), []int64{inv1, inv2})
		cxIDsEq(t, "acc2", list(acc2, none, 0, 10), []int64{inv3})
		cxIDsEq(t, "acc1 paid", list(acc1, st(billing.InvoicesStatusPaid), 0, 10), []int64{inv1})
		cxIDsEq(t, "acc1 issued", list(acc1, st(billing.InvoicesStatusIssued), 0, 10), []int64{inv2})
		cxIDsEq(t, "acc1 draft", list(acc1, st(billing.InvoicesStatusDraft), 0, 10), nil)
		cxIDsEq(t, "acc2 draft", list(acc2, st(billing.InvoicesStatusDraft), 0, 10), []int64{inv3})
		cxIDsEq(t, "page 1", list(acc1, none, 0, 1), []int64{inv1})
		cxIDsEq(t, "page 2", list(acc1, none, inv1, 1), []int64{inv2})
		cxIDsEq(t, "page 3", list(acc1, none, inv2, 1), nil)

		inv := getInvoice(t, acc2, inv3)
		if inv.Number != "INV-2025-0003" || inv.Currency != "CHF" || inv.IssuedAt.Valid || inv.PaidAt.Valid {
			t.Errorf("inv3 = %+v", inv)
		}
		cxTimeEq(t, "period_start", inv.PeriodStart, date(7, 1))
		cxTimeEq(t, "period_end", inv.PeriodEnd, date(8, 1))
	})
}
