// Package seed fills the SolarHub databases with realistic, deterministic
// demo data through the generated queries: an organization with its users,
// sites with inverters, batteries, meters and an EV charger each, one day of
// telemetry per inverter, battery and meter (one sample per Config.Interval),
// battery states and meter profiles, a day-ahead charge schedule per site,
// tariffs and their assignment, alarm rules and alarms, and 30 days of
// KPIs per site.
//
// [Run] is idempotent: it finds what an earlier run wrote (the organization
// by slug, sites by name, devices by serial, and per site and database a
// marker such as "the first inverter has samples on Config.Day") and writes
// only what is missing. Every database's part of a site is written in one
// transaction, so an interrupted run leaves whole units behind and the next
// run completes them. The same Config always produces the same values: the
// random numbers come from a PCG generator seeded with Config.Seed and the
// site's number, so sites can be generated in any order.
//
// Telemetry goes in through the generated batch methods
// (pv.InsertInverterReadingBatch, ess.InsertBatteryReadingBatch and
// meter.InsertMeterReadingBatch: multi-row INSERTs, Config.RowsPerStatement
// rows per call); with RowsPerStatement 1 the generated single-row queries
// are used instead, about ten times slower.
package seed
