package faults

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
)

// sockets records every TCP connection the application dials, by its
// local port, and whether the client has closed it. The server lists a
// connection the client closed until its thread has read the EOF and
// ended, which under load can be after the client opened the connection
// that replaced it; matching the processlist's HOST column (ip:port)
// against this ledger tells the connections the process holds from those
// the server has not reaped yet.
type sockets struct {
	mu       sync.Mutex
	open     map[int]bool // local port → still open on the client
	nOpen    int          // sockets open on the client now
	peakOpen int          // the most open at once, checked at every dial
}

func newSockets() *sockets { return &sockets{open: map[int]bool{}} }

// dial is a mysql.Config.DialFunc.
func (s *sockets) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nc, nil // not TCP: not tracked, counted as held
	}
	port := tc.LocalAddr().(*net.TCPAddr).Port
	s.mu.Lock()
	s.open[port] = true
	s.nOpen++
	s.peakOpen = max(s.peakOpen, s.nOpen)
	s.mu.Unlock()
	return &trackedConn{TCPConn: tc, s: s, port: port}, nil
}

// trackedConn embeds *net.TCPConn so the driver's liveness check
// (syscall.Conn) still works.
type trackedConn struct {
	*net.TCPConn
	s    *sockets
	port int
	once sync.Once
}

func (c *trackedConn) Close() error {
	err := c.TCPConn.Close()
	c.once.Do(func() {
		c.s.mu.Lock()
		c.s.open[c.port] = false
		c.s.nOpen--
		c.s.mu.Unlock()
	})
	return err
}

// serverView is one look at the application user's connections on the
// server: all it lists, and of those the ones the client has closed
// already (closing). Held = listed − closing.
type serverView struct{ listed, closing int }

// look reads the processlist and matches it with the ledger. A listed
// connection whose port the ledger does not know (or cannot be parsed)
// counts as held.
func (s *sockets) look(srv *server) (serverView, error) {
	rows, err := srv.admin.QueryContext(context.Background(),
		"SELECT HOST FROM information_schema.PROCESSLIST WHERE USER = ?", appUser)
	if err != nil {
		return serverView{}, fmt.Errorf("processlist: %w", err)
	}
	defer rows.Close()
	var hosts []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return serverView{}, fmt.Errorf("processlist: %w", err)
		}
		hosts = append(hosts, h)
	}
	if err := rows.Err(); err != nil {
		return serverView{}, fmt.Errorf("processlist: %w", err)
	}
	// The ledger is read after the processlist: a socket closed while the
	// query ran is no longer held by the process either.
	s.mu.Lock()
	defer s.mu.Unlock()
	v := serverView{listed: len(hosts)}
	for _, h := range hosts {
		_, p, err := net.SplitHostPort(h)
		if err != nil {
			continue
		}
		port, err := strconv.Atoi(p)
		if err != nil {
			continue
		}
		if open, known := s.open[port]; known && !open {
			v.closing++
		}
	}
	return v, nil
}

// counts returns how many sockets the ledger has seen (distinct local
// ports) and the most that were open on the client at once.
func (s *sockets) counts() (seen, peakOpen int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open), s.peakOpen
}
