// Package faults is hubdb's fault suite: each test starts its own private
// MariaDB (internal/devdb), runs a bounded mixed load through dbx over
// several databases, injects one real fault (a restart, killed
// connections, an idle timeout, a full max_connections, network faults
// through an in-process toxiproxy, a cancellation storm, panics) and
// checks the promise dbx makes about it. Each test prints one line of
// figures starting with "FIGURES"; RELIABILITY.md at the repository root
// collects them.
//
// It is its own module so that toxiproxy and its dependencies stay out of
// hubdb's go.mod. Run it with
//
//	cd faults && go test -race -count=1 -v ./...
package faults
