package live

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
)

// HAProxy is an autoscaler.LoadBalancer over HAProxy's runtime API (the
// "stats socket" at admin level): it adds servers to a backend with
// "add server" (HAProxy ≥ 2.5; the backend needs a dynamic-server
// compatible balance algorithm such as roundrobin, leastconn or first),
// drains them with "set server … state drain" and removes them with
// "del server" after putting them in maintenance and shutting their
// sessions. Changes live in the running process only: a reload of HAProxy
// forgets them, and the orchestrator's next Register puts them back.
//
// It is safe for concurrent use: one runtime-API connection per command,
// and a mutex around each multi-command change.
type HAProxy struct {
	network, addr string
	backend       string
	timeout       time.Duration
	mu            sync.Mutex
}

var _ autoscaler.LoadBalancer = (*HAProxy)(nil)

// NewHAProxy returns an adapter for backend over the runtime API at addr:
// a unix socket path ("/run/haproxy/admin.sock" or "unix:/…") or a TCP
// "host:port" (HAProxy's "stats socket ipv4@127.0.0.1:9999").
func NewHAProxy(addr, backend string) (*HAProxy, error) {
	if addr == "" || backend == "" {
		return nil, errors.New("haproxy: want a runtime API address and a backend")
	}
	h := &HAProxy{addr: addr, backend: backend, timeout: 5 * time.Second, network: "tcp"}
	switch {
	case strings.HasPrefix(addr, "unix:"):
		h.network, h.addr = "unix", strings.TrimPrefix(addr, "unix:")
	case strings.HasPrefix(addr, "/") || strings.HasPrefix(addr, "."):
		h.network = "unix"
	}
	return h, nil
}

// Command sends one runtime-API command and returns HAProxy's answer.
// An answer that reports a failure is an error.
func (h *HAProxy) Command(ctx context.Context, cmd string) (string, error) {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	c, err := d.DialContext(ctx, h.network, h.addr)
	if err != nil {
		return "", autoscaler.Transient(fmt.Errorf("haproxy %s: %w", h.addr, err))
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", autoscaler.Transient(fmt.Errorf("haproxy %q: %w", cmd, err))
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return "", autoscaler.Transient(fmt.Errorf("haproxy %q: %w", cmd, err))
	}
	out := strings.TrimSpace(string(b))
	if failed(out) {
		return out, fmt.Errorf("haproxy %q: %s", cmd, firstLine(out))
	}
	return out, nil
}

// failed recognises the runtime API's refusals, which come back as text.
func failed(out string) bool {
	l := strings.ToLower(firstLine(out))
	for _, p := range []string{"unknown command", "no such", "not found", "error", "failed", "invalid", "permission denied", "require", "cannot", "can't", "unsupported", "expects"} {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func (h *HAProxy) srv(name string) string { return h.backend + "/" + name }

// Register adds the backend as a server, or moves an existing one to the
// new address, and sets it ready.
func (h *HAProxy) Register(ctx context.Context, b autoscaler.Backend) error {
	host, port, err := net.SplitHostPort(b.Addr)
	if err != nil || b.Name == "" || strings.ContainsAny(b.Name, " /\t\n") {
		return fmt.Errorf("haproxy: register %+v: want a name without spaces or slashes and a host:port address", b)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	have, err := h.backends(ctx)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(have, func(x autoscaler.Backend) bool { return x.Name == b.Name }) {
		if _, err := h.Command(ctx, fmt.Sprintf("set server %s addr %s port %s", h.srv(b.Name), host, port)); err != nil {
			return err
		}
	} else {
		if _, err := h.Command(ctx, fmt.Sprintf("add server %s %s", h.srv(b.Name), b.Addr)); err != nil {
			return err
		}
	}
	_, err = h.Command(ctx, "set server "+h.srv(b.Name)+" state ready")
	return err
}

// Drain stops new traffic to the named server.
func (h *HAProxy) Drain(ctx context.Context, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.Command(ctx, "set server "+h.srv(name)+" state drain")
	return err
}

// Deregister removes the named server; an unknown one is not an error.
func (h *HAProxy) Deregister(ctx context.Context, name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	have, err := h.backends(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(have, func(x autoscaler.Backend) bool { return x.Name == name }) {
		return nil
	}
	if _, err := h.Command(ctx, "set server "+h.srv(name)+" state maint"); err != nil {
		return err
	}
	if _, err := h.Command(ctx, "shutdown sessions server "+h.srv(name)); err != nil {
		return err
	}
	_, err = h.Command(ctx, "del server "+h.srv(name))
	return err
}

// Backends lists the backend's servers in name order.
func (h *HAProxy) Backends(ctx context.Context) ([]autoscaler.Backend, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.backends(ctx)
}

// ServerStates returns each server's operational and administrative state
// as "show servers state" reports them (srv_op_state: 0 stopped, 1
// starting, 2 running, 3 stopping; srv_admin_state: a bit set, 0 ready,
// 0x01 forced maintenance, 0x08 drain).
func (h *HAProxy) ServerStates(ctx context.Context) (map[string][2]int, error) {
	rows, err := h.serversState(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string][2]int, len(rows))
	for _, r := range rows {
		op, _ := strconv.Atoi(r["srv_op_state"])
		adm, _ := strconv.Atoi(r["srv_admin_state"])
		out[r["srv_name"]] = [2]int{op, adm}
	}
	return out, nil
}

func (h *HAProxy) backends(ctx context.Context) ([]autoscaler.Backend, error) {
	rows, err := h.serversState(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]autoscaler.Backend, 0, len(rows))
	for _, r := range rows {
		out = append(out, autoscaler.Backend{Name: r["srv_name"], Addr: net.JoinHostPort(r["srv_addr"], r["srv_port"])})
	}
	slices.SortFunc(out, func(a, b autoscaler.Backend) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// serversState parses "show servers state BACKEND": a version line, a
// "# field names" line, then one line of fields per server.
func (h *HAProxy) serversState(ctx context.Context) ([]map[string]string, error) {
	out, err := h.Command(ctx, "show servers state "+h.backend)
	if err != nil {
		return nil, err
	}
	var names []string
	var rows []map[string]string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || (names == nil && !strings.HasPrefix(line, "#")):
			continue
		case strings.HasPrefix(line, "#"):
			names = strings.Fields(strings.TrimPrefix(line, "#"))
		default:
			f := strings.Fields(line)
			r := make(map[string]string, len(names))
			for i, n := range names {
				if i < len(f) {
					r[n] = f[i]
				}
			}
			if r["be_name"] == h.backend {
				rows = append(rows, r)
			}
		}
	}
	if names == nil {
		return nil, fmt.Errorf("haproxy: show servers state %s: unexpected answer %q", h.backend, firstLine(out))
	}
	return rows, nil
}
