package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/solarhub/hubdb/gen/device"
	"github.com/solarhub/hubdb/gen/site"
)

// siteSpec is one generated site, before it has an id.
type siteSpec struct {
	n           int // 1-based site number
	name        string
	kind        site.SitesKind
	timezone    string
	lat, lon    float64
	capacityKWp float64 // rounded to 0.001
}

// siteRef is a site with its id.
type siteRef struct {
	siteSpec
	id int64
}

// deviceSpec is one generated device.
type deviceSpec struct {
	kind                  device.DevicesKind
	vendor, model, serial string
	firmware              string
}

var cities = []struct {
	name     string
	tz       string
	lat, lon float64
}{
	{"Freiburg", "Europe/Berlin", 47.999, 7.842},
	{"Munich", "Europe/Berlin", 48.137, 11.575},
	{"Vienna", "Europe/Vienna", 48.208, 16.373},
	{"Zurich", "Europe/Zurich", 47.377, 8.541},
	{"Lyon", "Europe/Paris", 45.764, 4.836},
	{"Valencia", "Europe/Madrid", 39.470, -0.376},
	{"Porto", "Europe/Lisbon", 41.158, -8.629},
	{"Utrecht", "Europe/Amsterdam", 52.091, 5.122},
	{"Aarhus", "Europe/Copenhagen", 56.163, 10.204},
	{"Bologna", "Europe/Rome", 44.494, 11.343},
}

// rngFor returns the random source of stream n (0: organization-level
// data, 1..: site n), independent of the order sites are generated in.
func rngFor(seed uint64, n int, salt uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(n)<<8|salt))
}

// Salts separate the random streams of one site.
const (
	saltSpec = iota + 1
	saltSeries
	saltAlarms
	saltKPIs
)

// specOf generates site n of the fleet.
func specOf(seed uint64, n int) siteSpec {
	rng := rngFor(seed, n, saltSpec)
	c := cities[(n-1)%len(cities)]
	var kind site.SitesKind
	var kwp float64
	switch x := rng.IntN(10); {
	case x < 6:
		kind, kwp = site.SitesKindResidential, 6+rng.Float64()*10
	case x < 8:
		kind, kwp = site.SitesKindCommercial, 60+rng.Float64()*190
	case x < 9:
		kind, kwp = site.SitesKindIndustrial, 300+rng.Float64()*500
	default:
		kind, kwp = site.SitesKindUtility, 1000+rng.Float64()*2000
	}
	return siteSpec{
		n:           n,
		name:        fmt.Sprintf("%s %03d", c.name, n),
		kind:        kind,
		timezone:    c.tz,
		lat:         round(c.lat+(rng.Float64()-0.5)*0.2, 5),
		lon:         round(c.lon+(rng.Float64()-0.5)*0.2, 5),
		capacityKWp: round(kwp, 3),
	}
}

// devicesOf returns the devices of site s in a fixed order: inverters,
// batteries, meters (grid, pv, load), EV charger. Serials are unique per
// organization slug and site.
func devicesOf(slug string, s siteSpec) []deviceSpec {
	prefix := strings.ToUpper(slug)
	serial := func(code string, i int) string { return fmt.Sprintf("%s-S%04d-%s%d", prefix, s.n, code, i) }
	out := make([]deviceSpec, 0, DevicesPerSite)
	for i := 1; i <= InvertersPerSite; i++ {
		out = append(out, deviceSpec{device.DevicesKindInverter, "SMA", "Sunny Tripower X", serial("INV", i), "3.10.2"})
	}
	for i := 1; i <= BatteriesPerSite; i++ {
		out = append(out, deviceSpec{device.DevicesKindBattery, "BYD", "Battery-Box Premium HVS", serial("BAT", i), "2.4.0"})
	}
	for i := 1; i <= MetersPerSite; i++ {
		out = append(out, deviceSpec{device.DevicesKindMeter, "Janitza", "UMG 604-PRO", serial("MTR", i), "5.1.1"})
	}
	for i := 1; i <= ChargersPerSite; i++ {
		out = append(out, deviceSpec{device.DevicesKindEvcharger, "Wallbox", "Pulsar Plus", serial("EVC", i), "6.2.0"})
	}
	return out
}

// round rounds x to d decimals.
func round(x float64, d int) float64 {
	p := math.Pow10(d)
	return math.Round(x*p) / p
}
