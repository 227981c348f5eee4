package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// terminal is implemented by test stdins that stand in for a terminal.
type terminal interface{ isTerminal() bool }

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	switch r := r.(type) {
	case terminal:
		return r.isTerminal()
	case *os.File:
		return fileIsTerminal(r)
	}
	return false
}

// confirm asks the operator to type "yes" before a destructive operation
// and reports whether they did. With yes set it does not ask. When stdin is
// not a terminal it does not ask either: it refuses, saying to pass --yes.
func confirm(s stdio, yes bool, what string, plans []string) bool {
	if yes {
		return true
	}
	if !isTerminal(s.in) {
		fmt.Fprintf(s.err, "hubdb: refusing to run without confirmation: %s (%s); stdin is not a terminal, so pass --yes to confirm\n",
			what, strings.Join(plans, ", "))
		return false
	}
	fmt.Fprintf(s.err, "%s:\n", what)
	for _, p := range plans {
		fmt.Fprintf(s.err, "  %s\n", p)
	}
	fmt.Fprint(s.err, `Type "yes" to continue: `)
	line, _ := bufio.NewReader(s.in).ReadString('\n')
	if strings.TrimSpace(line) != "yes" {
		fmt.Fprintln(s.err, "hubdb: not confirmed; nothing changed")
		return false
	}
	return true
}
