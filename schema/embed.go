// Package schema embeds the golang-migrate migrations of every SolarHub database.
//
// Each database has a directory schema/<db> holding pairs of files
// NNNNNN_title.up.sql and NNNNNN_title.down.sql. The directory name is the
// database's logical name; it is also the Go package name of its generated
// queries in gen/<db>.
package schema

import (
	"embed"
	"io/fs"
	"sort"
)

// FS holds schema/<db>/*.sql. Open one database's migrations with
// iofs.New(FS, "<db>").
//
//go:embed */*.sql
var FS embed.FS

// Databases returns the logical names of the databases in fsys (one per
// directory), sorted. Pass [FS] for the embedded migrations.
func Databases(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}
