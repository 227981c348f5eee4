//go:build !unix

package testdb

import "errors"

var errNoPrivate = errors.New("testdb: the private test server needs a unix system; set " + EnvDSN + " to a MariaDB/MySQL server for tests")

func lockFile(string) (func(), error) { return nil, errNoPrivate }

func freeBytes(string) (uint64, error) { return 0, errNoPrivate }

func processAlive(int) bool { return false }
