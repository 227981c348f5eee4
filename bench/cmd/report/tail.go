package main

// Tail blocks: go test runs of the main module, from the repository root,
// that cmd/report runs after the others, each saved at the end of
// bench/last-run.txt behind its own "# <name>:" header line and rendered
// as a section of its own. Each has -<name> (default on) and -<name>-only.

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

// tailBlock is one of them.
type tailBlock struct {
	name   string   // the header "# <name>:", the flags -<name> and -<name>-only
	what   string   // what it measures, for the flags' help and "How to run"
	env    []string // environment added to the report's own
	args   []string // go's arguments, run in the repository root
	render func(b *strings.Builder, tb tailBlock, block []byte)
}

// tailBlocks are run and rendered in this order.
var tailBlocks = []tailBlock{
	{name: "tracing", what: "the tracing section: BenchmarkTracing of dbx/dbxotel",
		args: tracingArgs(), render: func(b *strings.Builder, tb tailBlock, blk []byte) { renderTracing(b, tb, parseTracing(blk)) }},
	{name: "cluster", what: "the replicas section: BenchmarkCausal of clustertest, on private GTID replica sets it starts",
		env:    []string{"HUBDB_TEST_CLUSTER=1"},
		args:   []string{"test", "-run", "^$", "-bench", "^BenchmarkCausal$", "-benchtime", "2000x", "-count", "3", "-timeout", "20m", "./clustertest/"},
		render: renderCluster},
}

// command is the block's run as a shell command line.
func (tb tailBlock) command() string {
	s := "go " + shellJoin(tb.args)
	if len(tb.env) > 0 {
		s = strings.Join(tb.env, " ") + " " + s
	}
	return s
}

func (tb tailBlock) header() *regexp.Regexp {
	return regexp.MustCompile(`(?m)^# ` + regexp.QuoteMeta(tb.name) + `:`)
}

// tailFlags are the blocks' flags: run (default true) and only.
type tailFlags struct {
	run, only map[string]*bool
}

func registerTailFlags() tailFlags {
	f := tailFlags{run: map[string]*bool{}, only: map[string]*bool{}}
	for _, tb := range tailBlocks {
		f.run[tb.name] = flag.Bool(tb.name, true, "also run the "+tb.name+" block (after the kit block): "+tb.what)
		f.only[tb.name] = flag.Bool(tb.name+"-only", false, "run only the "+tb.name+" block, replace it in the -from file (default bench/last-run.txt) and render from it")
	}
	return f
}

// anyOnly reports whether some -<name>-only is set.
func (f tailFlags) anyOnly() bool {
	for _, v := range f.only {
		if v != nil && *v {
			return true
		}
	}
	return false
}

func (f tailFlags) isOnly(name string) bool { v := f.only[name]; return v != nil && *v }
func (f tailFlags) isRun(name string) bool  { v := f.run[name]; return v == nil || *v }

// cutTail splits a saved run into what comes before the tail blocks and
// the blocks by name (each from its header to the next block's or the end).
func cutTail(output []byte) (rest []byte, blocks map[string][]byte) {
	type at struct {
		name string
		pos  int
	}
	var starts []at
	for _, tb := range tailBlocks {
		if loc := tb.header().FindIndex(output); loc != nil {
			starts = append(starts, at{tb.name, loc[0]})
		}
	}
	blocks = map[string][]byte{}
	if len(starts) == 0 {
		return output, blocks
	}
	slices.SortFunc(starts, func(a, b at) int { return a.pos - b.pos })
	for i, s := range starts {
		end := len(output)
		if i+1 < len(starts) {
			end = starts[i+1].pos
		}
		blocks[s.name] = output[s.pos:end]
	}
	return output[:starts[0].pos], blocks
}

// joinTail puts the blocks after rest, in tailBlocks' order.
func joinTail(rest []byte, blocks map[string][]byte) []byte {
	parts := [][]byte{}
	for _, tb := range tailBlocks {
		parts = append(parts, blocks[tb.name])
	}
	return joinRuns(rest, parts...)
}

// runTail runs the block in the repository root and returns its output
// behind a header line with the run's facts.
func runTail(repoDir string, tb tailBlock) ([]byte, error) {
	before, start := loadavg(), time.Now()
	var buf bytes.Buffer
	if err := goTestIn(repoDir, append(os.Environ(), tb.env...), tb.args, &buf); err != nil {
		return nil, fmt.Errorf("%s: %w", tb.command(), err)
	}
	header := fmt.Sprintf("# %s: when=%s took=%s load-before=%s load-after=%s cmd=%s\n", tb.name,
		start.UTC().Format(time.RFC3339), time.Since(start).Round(time.Second),
		strings.ReplaceAll(before, " ", "/"), strings.ReplaceAll(loadavg(), " ", "/"), tb.command())
	return append([]byte(header), buf.Bytes()...), nil
}

// blockFacts reads a tail block's header facts.
func blockFacts(block []byte) (when, took, loadBefore, loadAfter string) {
	m := regexp.MustCompile(`(?m)^# [a-z]+: when=(\S+) took=(\S+) load-before=(\S+) load-after=(\S+)`).FindSubmatch(block)
	if m == nil {
		return "", "", "", ""
	}
	return string(m[1]), string(m[2]), strings.ReplaceAll(string(m[3]), "/", " "), strings.ReplaceAll(string(m[4]), "/", " ")
}
