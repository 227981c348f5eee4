package api

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Accepted dates: from MinDate to a year after today.
var MinDate = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// pathID parses the positive integer id in path value name.
func pathID(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("%s id %q: want a positive integer", name, v)
	}
	return id, nil
}

// batteryPath reads the {site} and {device} ids of a
// /v1/sites/{site}/batteries/{device}/... path.
func batteryPath(r *http.Request) (siteID, deviceID int64, err error) {
	if siteID, err = pathID(r, "site"); err != nil {
		return 0, 0, err
	}
	deviceID, err = pathID(r, "device")
	return siteID, deviceID, err
}

// parseDate parses a YYYY-MM-DD date named what (a query or path
// parameter) within [MinDate, now + 1 year].
func parseDate(what, v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, badRequest("%s is required (YYYY-MM-DD)", what)
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, badRequest("%s %q: want a date as YYYY-MM-DD", what, v)
	}
	if maxDate := now.UTC().AddDate(1, 0, 0); d.Before(MinDate) || d.After(maxDate) {
		return time.Time{}, badRequest("%s %s: out of range %s to %s", what, v,
			MinDate.Format(time.DateOnly), maxDate.Format(time.DateOnly))
	}
	return d, nil
}

// queryInt parses the integer query parameter name in [lo, hi], or def when
// it is absent.
func queryInt(q url.Values, name string, def, lo, hi int64) (int64, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, badRequest("%s %q: want an integer from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

// knownParams rejects query parameters other than allowed.
func knownParams(q url.Values, allowed ...string) error {
	for k := range q {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return badRequest("unknown query parameter %q", k)
		}
	}
	return nil
}
