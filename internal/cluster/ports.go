package cluster

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Ports are taken below the kernel's ephemeral range when it leaves room:
// a port found free by binding :0 is an ephemeral one, which any outgoing
// connection (the Galera nodes' own among them) may take as its source
// port before mariadbd binds it. Below the range only an explicit bind
// can clash, and a clash is retried with other ports.
const (
	portLow  = 20000
	portSpan = 10000 // at most portLow+portSpan, and below the ephemeral range
)

var ports struct {
	mu    sync.Mutex
	given map[int]bool // handed out by this process: never twice
}

// sqlPorts picks a node's SQL port: freePorts, but a test may hand out
// a taken one to see the clash retried.
var sqlPorts = freePorts

// freePorts returns n distinct loopback ports that were free a moment ago
// and were not handed out before by this process.
func freePorts(n int) ([]int, error) {
	ports.mu.Lock()
	defer ports.mu.Unlock()
	if ports.given == nil {
		ports.given = map[int]bool{}
	}
	hi := portLow + portSpan
	if lo := ephemeralLow(); lo < hi {
		hi = lo
	}
	// Every listener stays open until all n are found, so the same port
	// cannot come back twice.
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	out := make([]int, 0, n)
	for tries := 0; len(out) < n; tries++ {
		var addr string
		switch {
		case hi-portLow >= 1000 && tries < 200*n:
			addr = "127.0.0.1:" + strconv.Itoa(portLow+rand.IntN(hi-portLow))
		case tries < 400*n:
			addr = "127.0.0.1:0"
		default:
			return nil, errors.New("cluster: no free loopback port found")
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		p := l.Addr().(*net.TCPAddr).Port
		if ports.given[p] || p == 3306 {
			l.Close()
			continue
		}
		held = append(held, l)
		out = append(out, p)
	}
	for _, p := range out {
		ports.given[p] = true
	}
	return out, nil
}

// ephemeralLow is the first port of the kernel's ephemeral range (32768
// when unknown).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	lo, err := strconv.Atoi(f[0])
	if err != nil {
		return 32768
	}
	return lo
}

// portClash reports whether an error log says a port was taken.
func portClash(log string) bool {
	return strings.Contains(log, "Address already in use") || strings.Contains(log, "errno: 98") ||
		strings.Contains(log, "error: 98")
}

// errPortClash marks a start that failed because a port was taken; the
// first start of a cluster retries it with new ports.
var errPortClash = fmt.Errorf("cluster: port taken")
