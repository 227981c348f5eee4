package dbx

import (
	"reflect"
	"runtime"
	"strconv"
	"strings"
)

// callSite holds the program counters of a call stack, resolved to a
// file:line only when needed (a warning, a hook, debug logging).
type callSite struct {
	pcs [callSiteDepth]uintptr
	n   int
}

// callSiteDepth is how many frames captureSite records: dbx's own frames
// and the generated method above them are at most 6 deep, and walking a
// deep handler stack further costs every call (runtime.Callers walks
// each frame it returns).
const callSiteDepth = 10

// captureSite records the stack above its caller.
func captureSite() callSite {
	var cs callSite
	cs.n = runtime.Callers(2, cs.pcs[:])
	return cs
}

var (
	dbxPkg = reflect.TypeFor[Manager]().PkgPath()        // github.com/solarhub/hubdb/dbx
	genPkg = strings.TrimSuffix(dbxPkg, "/dbx") + "/gen" // github.com/solarhub/hubdb/gen
)

// String returns "file:line" of the first frame outside package dbx and
// the generated packages under gen/, or "unknown".
func (cs *callSite) String() string {
	if cs.n == 0 {
		return "unknown"
	}
	return appFrame(cs.pcs[:cs.n])
}

// appFrame returns "file:line" of the first of pcs that is the
// application's: not in dbx, the generated packages under gen/, the
// runtime, database/sql or the driver; or "unknown".
func appFrame(pcs []uintptr) string {
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		pkg := funcPackage(f.Function)
		if pkg != "" && pkg != dbxPkg && pkg != genPkg && !strings.HasPrefix(pkg, genPkg+"/") &&
			pkg != "runtime" && pkg != "database/sql" && !strings.HasPrefix(pkg, "github.com/go-sql-driver/") {
			return f.File + ":" + strconv.Itoa(f.Line)
		}
		if !more {
			return "unknown"
		}
	}
}

// funcPackage returns the import path of a function named as runtime
// names it, e.g. "github.com/solarhub/hubdb/dbx.(*DB[...]).Read" gives
// "github.com/solarhub/hubdb/dbx".
func funcPackage(fn string) string {
	if i := strings.IndexByte(fn, '['); i >= 0 {
		fn = fn[:i]
	}
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot < 0 {
		return fn
	}
	return fn[:slash+1+dot]
}
