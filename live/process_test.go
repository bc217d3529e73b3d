package live

import (
	"context"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
)

// memLB is a LoadBalancer in memory that logs its calls.
type memLB struct {
	mu    sync.Mutex
	pool  map[string]autoscaler.Backend
	calls []string
}

func (m *memLB) Register(_ context.Context, b autoscaler.Backend) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pool[b.Name] = b
	m.calls = append(m.calls, "register "+b.Name)
	return nil
}
func (m *memLB) Drain(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, "drain "+name)
	return nil
}
func (m *memLB) Deregister(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pool, name)
	m.calls = append(m.calls, "deregister "+name)
	return nil
}
func (m *memLB) Backends(context.Context) ([]autoscaler.Backend, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []autoscaler.Backend
	for _, b := range m.pool {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b autoscaler.Backend) int {
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	return out, nil
}

func (m *memLB) names() []string {
	bs, _ := m.Backends(context.Background())
	var out []string
	for _, b := range bs {
		out = append(out, b.Name)
	}
	return out
}

func eventually(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not after %v: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }

// TestProcesses runs real processes: python3 listening on its port, as a
// web server would, and ignoring SIGTERM for the last one so that the
// grace period and SIGKILL are exercised.
func TestProcesses(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	base := freePort(t)
	for i := 1; i < 3; i++ { // the next ports are very likely free too; check
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+i)); err != nil {
			t.Skipf("port %d busy", base+i)
		} else {
			l.Close()
		}
	}
	// Instance 2 ignores SIGTERM.
	script := `import signal, socket, sys, time
name, port = sys.argv[1], int(sys.argv[2])
if name.endswith("-2"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen()
while True:
    time.sleep(1)`
	lb := &memLB{pool: map[string]autoscaler.Backend{}}
	p, err := NewProcesses(ProcessOptions{
		Command: []string{"python3", "-c", script, "{name}", "{port}"}, Name: "web", BasePort: base,
		Grace: 500 * time.Millisecond, RestartDelay: 100 * time.Millisecond, LB: lb,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	now := time.Now()
	if err := p.Scale(now, 3); err != nil {
		t.Fatal(err)
	}
	if n, _ := p.Current(now); n != 3 {
		t.Errorf("Current = %d, want 3", n)
	}
	eventually(t, "3 ready and registered", 10*time.Second, func() bool {
		st, _ := p.Status(now)
		return st.Ready == 3 && len(lb.names()) == 3
	})
	if got := lb.names(); !slices.Equal(got, []string{"web-0", "web-1", "web-2"}) {
		t.Errorf("pool %v", got)
	}

	// Kill one: it is started again and registered again.
	pids := p.PIDs()
	syscall.Kill(-pids[1], syscall.SIGKILL)
	eventually(t, "web-1 restarted", 10*time.Second, func() bool {
		now := p.PIDs()
		st, _ := p.Status(time.Now())
		return now[1] != 0 && now[1] != pids[1] && st.Ready == 3
	})
	if p.Restarts() != 1 {
		t.Errorf("%d restarts, want 1", p.Restarts())
	}

	// Scale in to 1: web-2 ignores SIGTERM and is killed after the grace
	// period; both leave the pool after being drained.
	pids = p.PIDs()
	start := time.Now()
	if err := p.Scale(time.Now(), 1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "web-1 and web-2 gone", 10*time.Second, func() bool {
		return !alive(pids[1]) && !alive(pids[2]) && slices.Equal(lb.names(), []string{"web-0"})
	})
	if el := time.Since(start); el < 500*time.Millisecond {
		t.Errorf("web-2 ignored SIGTERM yet was gone after %v, before the grace period", el)
	}
	if !alive(pids[0]) {
		t.Error("web-0 was stopped")
	}
	lb.mu.Lock()
	calls := slices.Clone(lb.calls)
	lb.mu.Unlock()
	for _, name := range []string{"web-1", "web-2"} {
		d, r := slices.Index(calls, "drain "+name), slices.Index(calls, "deregister "+name)
		if d < 0 || r < d {
			t.Errorf("%s: drain at %d, deregister at %d in %v", name, d, r, calls)
		}
	}

	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if alive(pids[0]) {
		t.Error("Close left web-0 running")
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`python3 -m http.server {port}`, []string{"python3", "-m", "http.server", "{port}"}},
		{`sh -c 'echo "a b"; sleep 1'`, []string{"sh", "-c", `echo "a b"; sleep 1`}},
		{`a "b \"c\"" d\ e`, []string{"a", `b "c"`, "d e"}},
	}
	for _, tt := range tests {
		got, err := SplitCommand(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "   ", `a 'b`, `a "b`} {
		if _, err := SplitCommand(bad); err == nil {
			t.Errorf("SplitCommand(%q): no error", bad)
		}
	}
}

// TestProcessesCrashLoop checks that an instance that keeps dying is
// restarted with growing delays, not as fast as it dies.
func TestProcessesCrashLoop(t *testing.T) {
	p, err := NewProcesses(ProcessOptions{Command: []string{"sh", "-c", "exit 3"}, RestartDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	if err := p.Scale(time.Now(), 1); err != nil {
		t.Fatal(err)
	}
	// Delays 50, 100, 200, 400, 800 ms: 4 restarts by 1.2 s (without
	// backoff there would be about 20).
	time.Sleep(1200 * time.Millisecond)
	if n := p.Restarts(); n < 3 || n > 5 {
		t.Errorf("%d restarts in 1.2 s, want 3 to 5 with backoff", n)
	}
	if n, _ := p.Current(time.Now()); n != 1 {
		t.Errorf("Current = %d, want 1: a crashing instance is still wanted", n)
	}
}
