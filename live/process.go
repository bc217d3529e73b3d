package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/omnixan/omnixan/autoscaler"
)

// ProcessOptions configure a Processes orchestrator. Zero fields take the
// defaults in brackets.
type ProcessOptions struct {
	// Command is the program and its arguments (see SplitCommand). In each
	// argument "{name}" becomes the instance's name and "{port}" its port.
	Command []string
	// Name prefixes instance names: instance i is "<Name>-<i>" [proc].
	Name string
	// BasePort, when > 0, gives instance i the port BasePort+i, in {port}
	// and $PORT: the instance is ready once 127.0.0.1:port accepts a TCP
	// connection, and is registered with LB under that address. With 0
	// an instance is ready as soon as it runs and LB is not used.
	BasePort int
	// Grace is how long a stopped instance has between SIGTERM and SIGKILL
	// [10 s].
	Grace time.Duration
	// RestartDelay is the wait before a dead instance is started again
	// [1 s]. It doubles, up to 32 times itself, each time an instance dies
	// within a minute of its start (a crash loop), and is back to
	// RestartDelay once an instance has run for a minute.
	RestartDelay time.Duration
	// LB, when not nil, gets each instance registered once ready, drained
	// before it is stopped and deregistered once it is gone.
	LB autoscaler.LoadBalancer
	// Stdout and Stderr receive the instances' output [discarded].
	Stdout, Stderr io.Writer
	Log            *slog.Logger // [discard]
}

// Processes is the local process orchestrator: it keeps N copies of a
// command running. Scale starts the missing ones (lowest free index first)
// and stops the surplus (highest index first): drain in the load balancer,
// SIGTERM to the process group, SIGKILL after Grace, deregister. An instance
// that dies while still wanted is started again after RestartDelay, with
// backoff when it keeps dying.
// Stopping happens in the background; Current counts only wanted instances.
// Processes is safe for concurrent use.
type Processes struct {
	opts ProcessOptions

	mu       sync.Mutex
	want     int
	slots    map[int]*instance // by index, wanted or stopping
	closed   bool
	wg       sync.WaitGroup
	restarts int
}

type instance struct {
	idx      int
	name     string
	port     int
	cmd      *exec.Cmd
	pid      int
	ready    bool
	stopping bool
	started  time.Time     // when the current process started
	crashes  int           // deaths in a row within a minute of starting
	done     chan struct{} // closed when the current process has exited
}

var (
	_ autoscaler.Orchestrator = (*Processes)(nil)
	_ StatusReader            = (*Processes)(nil)
)

// NewProcesses returns an orchestrator with no instance running.
func NewProcesses(opts ProcessOptions) (*Processes, error) {
	if len(opts.Command) == 0 {
		return nil, errors.New("process orchestrator: empty command")
	}
	if opts.Name == "" {
		opts.Name = "proc"
	}
	if opts.Grace <= 0 {
		opts.Grace = 10 * time.Second
	}
	if opts.RestartDelay <= 0 {
		opts.RestartDelay = time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.BasePort < 0 || opts.BasePort > 65535 {
		return nil, fmt.Errorf("process orchestrator: base port %d out of range", opts.BasePort)
	}
	if opts.BasePort == 0 {
		opts.LB = nil
	}
	return &Processes{opts: opts, slots: map[int]*instance{}}, nil
}

// SplitCommand splits a command line into words as a POSIX shell would for
// plain words, single quotes, double quotes and backslashes; it expands
// nothing. It fails on an unterminated quote.
func SplitCommand(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("command %q: unterminated single quote", s)
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				w.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("command %q: unterminated double quote", s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("command %q: no words", s)
	}
	return words, nil
}

// Current returns the number of wanted instances.
func (p *Processes) Current(now time.Time) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.want, nil
}

// Status counts the wanted instances that are ready and those still
// starting.
func (p *Processes) Status(now time.Time) (Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var s Status
	for _, in := range p.slots {
		switch {
		case in.stopping:
		case in.ready:
			s.Ready++
		default:
			s.Starting++
		}
	}
	return s, nil
}

// Restarts returns how many times a dead instance was started again.
func (p *Processes) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// Scale starts or stops instances so that target are wanted. Starting
// errors (the command cannot be run) are returned; stopping is
// asynchronous.
func (p *Processes) Scale(now time.Time, target int) error {
	if target < 0 {
		return fmt.Errorf("process orchestrator: target %d < 0", target)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("process orchestrator: closed")
	}
	var errs []error
	for p.want < target {
		idx := 0
		for p.slots[idx] != nil {
			idx++
		}
		in := &instance{idx: idx, name: fmt.Sprintf("%s-%d", p.opts.Name, idx)}
		if p.opts.BasePort > 0 {
			in.port = p.opts.BasePort + idx
		}
		if err := p.start(in); err != nil {
			errs = append(errs, err)
			break
		}
		p.slots[idx] = in
		p.want++
	}
	for p.want > target {
		var top *instance
		for _, in := range p.slots {
			if !in.stopping && (top == nil || in.idx > top.idx) {
				top = in
			}
		}
		top.stopping = true
		p.want--
		p.wg.Add(1)
		go p.stop(top)
	}
	return errors.Join(errs...)
}

// start runs in's command; p.mu is held.
func (p *Processes) start(in *instance) error {
	args := make([]string, len(p.opts.Command))
	for i, a := range p.opts.Command {
		a = strings.ReplaceAll(a, "{name}", in.name)
		a = strings.ReplaceAll(a, "{port}", strconv.Itoa(in.port))
		args[i] = a
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "OMNIXAN_INSTANCE="+in.name)
	if in.port > 0 {
		cmd.Env = append(cmd.Env, "PORT="+strconv.Itoa(in.port))
	}
	cmd.Stdout, cmd.Stderr = p.opts.Stdout, p.opts.Stderr
	// A process group of its own: signals reach the command's children, and
	// a Ctrl-C at the terminal does not reach the instances.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("process orchestrator: start %s: %w", in.name, err)
	}
	in.cmd, in.pid, in.ready, in.started = cmd, cmd.Process.Pid, false, time.Now()
	in.done = make(chan struct{})
	p.opts.Log.Info("instance started", "instance", in.name, "pid", in.pid, "port", in.port)
	p.wg.Add(2)
	go p.watch(in, cmd, in.done)
	go p.probe(in, cmd, in.done)
	return nil
}

// watch waits for the process to exit and restarts it if still wanted.
func (p *Processes) watch(in *instance, cmd *exec.Cmd, done chan struct{}) {
	defer p.wg.Done()
	err := cmd.Wait()
	close(done)
	p.mu.Lock()
	if in.stopping || p.closed || in.cmd != cmd {
		p.mu.Unlock()
		return
	}
	in.ready = false
	if time.Since(in.started) < time.Minute {
		in.crashes++
	} else {
		in.crashes = 0
	}
	delay := p.opts.RestartDelay << min(max(in.crashes-1, 0), 5)
	p.mu.Unlock()
	p.opts.Log.Warn("instance died", "instance", in.name, "pid", cmd.Process.Pid, "err", errString(err), "restart_in", delay.String())
	if p.opts.LB != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := p.opts.LB.Drain(ctx, in.name); err != nil {
			p.opts.Log.Warn("drain of a dead instance failed", "instance", in.name, "err", err.Error())
		}
		cancel()
	}
	time.Sleep(delay)
	p.mu.Lock()
	defer p.mu.Unlock()
	if in.stopping || p.closed || in.cmd != cmd {
		return
	}
	if err := p.start(in); err != nil {
		p.opts.Log.Error("restart failed", "instance", in.name, "err", err.Error())
		// Leave the slot wanted but dead: the next Scale does not see it,
		// so give it up to let a later Scale start a fresh one.
		delete(p.slots, in.idx)
		p.want--
		return
	}
	p.restarts++
}

// probe marks the instance ready once its port accepts connections (at
// once without a port) and registers it with the load balancer.
func (p *Processes) probe(in *instance, cmd *exec.Cmd, done chan struct{}) {
	defer p.wg.Done()
	addr := ""
	if in.port > 0 {
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(in.port))
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	p.mu.Lock()
	if in.cmd != cmd || in.stopping || p.closed {
		p.mu.Unlock()
		return
	}
	in.ready = true
	p.mu.Unlock()
	if p.opts.LB != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.opts.LB.Register(ctx, autoscaler.Backend{Name: in.name, Addr: addr}); err != nil {
			p.opts.Log.Error("register failed", "instance", in.name, "addr", addr, "err", err.Error())
			return
		}
		p.opts.Log.Info("instance registered", "instance", in.name, "addr", addr)
	}
}

// stop drains, terminates and deregisters in, then frees its slot.
func (p *Processes) stop(in *instance) {
	defer p.wg.Done()
	p.mu.Lock()
	cmd, done := in.cmd, in.done
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if p.opts.LB != nil {
		if err := p.opts.LB.Drain(ctx, in.name); err != nil {
			p.opts.Log.Warn("drain failed", "instance", in.name, "err", err.Error())
		}
	}
	if cmd != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(p.opts.Grace):
			p.opts.Log.Warn("instance ignored SIGTERM: SIGKILL", "instance", in.name, "pid", cmd.Process.Pid, "grace", p.opts.Grace.String())
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	if p.opts.LB != nil {
		if err := p.opts.LB.Deregister(ctx, in.name); err != nil {
			p.opts.Log.Warn("deregister failed", "instance", in.name, "err", err.Error())
		}
	}
	p.opts.Log.Info("instance stopped", "instance", in.name)
	p.mu.Lock()
	if p.slots[in.idx] == in {
		delete(p.slots, in.idx)
	}
	p.mu.Unlock()
}

// PIDs returns the process IDs of the wanted instances, in index order
// (0 for one between a death and its restart).
func (p *Processes) PIDs() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	idx := make([]int, 0, len(p.slots))
	for i, in := range p.slots {
		if !in.stopping {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	pids := make([]int, len(idx))
	for k, i := range idx {
		in := p.slots[i]
		select {
		case <-in.done:
		default:
			pids[k] = in.pid
		}
	}
	return pids
}

// Close stops every instance as Scale(0) would and waits for them, or for
// ctx to end.
func (p *Processes) Close(ctx context.Context) error {
	if err := p.Scale(time.Time{}, 0); err != nil {
		return err
	}
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	ch := make(chan struct{})
	go func() { p.wg.Wait(); close(ch) }()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func errString(err error) string {
	if err == nil {
		return "exited"
	}
	return err.Error()
}
