package seed

import (
	"math"
	"time"
)

// Telemetry is generated in integer units so that counters and totals add
// up exactly: power in deciwatts (DECIMAL(12,1) W) and energy in
// milliwatt-hours (DECIMAL(16,3) Wh).

type invSample struct {
	acDW, dcDW, energyMWh int64
	acV, dcV, tempC       float64
}

type batSample struct {
	powerDW, inMWh, outMWh int64 // power positive: discharging
	soc, tempC             float64
}

type meterSample struct {
	powerDW, importMWh, exportMWh int64 // power positive: import
	voltage                       float64
}

// Meter positions, in device order.
const (
	meterGrid = iota
	meterPV
	meterLoad
)

// siteSeries is one site's day of telemetry and its totals.
type siteSeries struct {
	ts       []time.Time
	inv      [InvertersPerSite][]invSample
	bat      [BatteriesPerSite][]batSample
	met      [MetersPerSite][]meterSample
	batCapWh [BatteriesPerSite]int64
	batSoH   [BatteriesPerSite]float64

	// Day totals in mWh, and the plane-of-array irradiation in kWh/m².
	pvMWh, loadMWh, importMWh, exportMWh int64
	irradiation                          float64
}

// energyMWh is the energy of power p (deciwatts) held for dt seconds.
func energyMWh(p int64, dt int64) int64 {
	return int64(math.Round(float64(p) * float64(dt) / 36))
}

// Sample k's counters include the energy of the interval ending at it (the
// power of sample k over dt); sample 0 carries the counters' start values.
// So a day's energy is a counter's last value minus its first, exactly, and
// the day totals below are those differences.

// seriesOf generates the day of telemetry of site s.
func seriesOf(cfg Config, s siteSpec) *siteSeries {
	rng := rngFor(cfg.Seed, s.n, saltSeries)
	n := cfg.samples()
	dt := int64(cfg.Interval / time.Second)
	dtH := float64(dt) / 3600
	out := &siteSeries{ts: make([]time.Time, n)}

	kwp := s.capacityKWp
	var eff [InvertersPerSite]float64
	var invE [InvertersPerSite]int64
	for i := range eff {
		eff[i] = 0.82 + 0.06*rng.Float64()
		invE[i] = int64(1e6+rng.Float64()*4e7) * 1000
		out.inv[i] = make([]invSample, n)
	}
	var soc [BatteriesPerSite]float64
	var batIn, batOut [BatteriesPerSite]int64
	for j := range soc {
		out.batCapWh[j] = int64(math.Round(kwp * 1000 * 0.2)) // 0.4 kWh per kWp in all
		out.batSoH[j] = round(92+rng.Float64()*7, 1)
		soc[j] = round(20+rng.Float64()*30, 2)
		batIn[j] = int64(rng.Float64()*2e6) * 1000
		batOut[j] = batIn[j] * 9 / 10
		out.bat[j] = make([]batSample, n)
	}
	var imp, exp [MetersPerSite]int64
	for m := range imp {
		imp[m] = int64(rng.Float64()*5e6) * 1000
		exp[m] = int64(rng.Float64()*5e6) * 1000
		out.met[m] = make([]meterSample, n)
	}
	baseLoadW := kwp * 1000 * 0.15
	cloudBase := 0.7 + 0.3*rng.Float64()
	cloud := cloudBase

	for k := range n {
		step := dt // seconds of energy this sample adds to the counters
		if k == 0 {
			step = 0
		}
		out.ts[k] = cfg.Day.Add(time.Duration(int64(k)*dt) * time.Second)
		hs := float64(int64(k)*dt)/3600 + s.lon/15 // solar time, hours
		clear := 0.0
		if hs > 5 && hs < 21 {
			clear = math.Pow(math.Sin(math.Pi*(hs-5)/16), 1.5)
		}
		cloud += 0.15*(cloudBase-cloud) + 0.04*rng.NormFloat64()
		cloud = min(max(cloud, 0.15), 1)
		sun := clear * cloud
		out.irradiation += sun * float64(step) / 3600

		var pvDW int64
		for i := range eff {
			ac := int64(math.Round(kwp * 1000 / InvertersPerSite * sun * eff[i] * 10))
			e := energyMWh(ac, step)
			invE[i] += e
			out.pvMWh += e
			sample := invSample{
				acDW: ac, dcDW: int64(math.Round(float64(ac) / 0.975)), energyMWh: invE[i],
				acV:   round(230+1.2*rng.NormFloat64(), 1),
				tempC: round(18+30*sun+0.5*rng.NormFloat64(), 1),
			}
			if ac > 0 {
				sample.dcV = round(560+60*clear+3*rng.NormFloat64(), 1)
			}
			out.inv[i][k] = sample
			pvDW += ac
		}

		loadW := baseLoadW * (0.6 + 0.8*math.Exp(-sq(hs-7.5)/(2*sq(1.2))) +
			1.2*math.Exp(-sq(hs-19)/(2*sq(2))) + 0.08*rng.NormFloat64())
		loadDW := int64(math.Round(max(loadW, 0.2*baseLoadW) * 10))

		surplus := float64(pvDW-loadDW) / 10 / BatteriesPerSite // W per battery
		var batDW int64
		for j := range soc {
			capWh := float64(out.batCapWh[j])
			maxP := capWh * 0.5
			var p float64 // W, positive: discharging
			if surplus > 0 {
				p = -min(surplus, maxP, max((95-soc[j])/100*capWh/dtH/0.95, 0))
			} else {
				p = min(-surplus, maxP, max((soc[j]-10)/100*capWh/dtH, 0))
			}
			pDW := int64(math.Round(p * 10))
			e := energyMWh(abs(pDW), step)
			if pDW < 0 {
				batIn[j] += e
				soc[j] = round(soc[j]+float64(e)/1000*0.95/capWh*100, 2)
			} else {
				batOut[j] += e
				soc[j] = round(soc[j]-float64(e)/1000/capWh*100, 2)
			}
			out.bat[j][k] = batSample{
				powerDW: pDW, inMWh: batIn[j], outMWh: batOut[j], soc: soc[j],
				tempC: round(22+6*math.Abs(p)/maxP+0.3*rng.NormFloat64(), 1),
			}
			batDW += pDW
		}

		gridDW := loadDW - pvDW - batDW
		powers := [MetersPerSite]int64{meterGrid: gridDW, meterPV: -pvDW, meterLoad: loadDW}
		for m, p := range powers {
			e := energyMWh(abs(p), step)
			if p > 0 {
				imp[m] += e
			} else {
				exp[m] += e
			}
			switch {
			case m == meterLoad:
				out.loadMWh += e
			case m == meterGrid && p > 0:
				out.importMWh += e
			case m == meterGrid:
				out.exportMWh += e
			}
			out.met[m][k] = meterSample{
				powerDW: p, importMWh: imp[m], exportMWh: exp[m],
				voltage: round(230+1.5*rng.NormFloat64(), 1),
			}
		}
	}
	return out
}

func sq(x float64) float64 { return x * x }

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
