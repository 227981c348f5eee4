module example.com/sitecheck

go 1.26.0

require (
	github.com/shopspring/decimal v1.6.0
	github.com/solarhub/hubdb v0.0.0
)

require (
	filippo.io/edwards25519 v1.2.0 // indirect
	github.com/go-sql-driver/mysql v1.10.1 // indirect
	github.com/golang-migrate/migrate/v4 v4.20.1 // indirect
)

replace github.com/solarhub/hubdb => ../..
