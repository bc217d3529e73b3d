package live

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/omnixan/omnixan/autoscaler"
)

// haproxyAPI returns the runtime API of the HAProxy testenv/haproxy-up.sh
// started ($HAPROXY_SOCK, backend $HAPROXY_BACKEND or workload), or skips
// the test (fails it under CI).
func haproxyAPI(t *testing.T) *HAProxy {
	t.Helper()
	sock := os.Getenv("HAPROXY_SOCK")
	if sock == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("HAPROXY_SOCK not set under CI: .ci/run starts HAProxy with testenv/haproxy-up.sh")
		}
		t.Skip("HAPROXY_SOCK not set: start HAProxy with testenv/haproxy-up.sh to run this integration test")
	}
	backend := os.Getenv("HAPROXY_BACKEND")
	if backend == "" {
		backend = "workload"
	}
	h, err := NewHAProxy(sock, backend)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Backends(context.Background()); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return h
}

// TestHAProxy adds, drains, moves and removes servers through a real
// HAProxy's runtime API. Its server names are its own, so it can share the
// backend with other tests.
func TestHAProxy(t *testing.T) {
	h := haproxyAPI(t)
	ctx := context.Background()
	pid := os.Getpid()
	a, b := fmt.Sprintf("lbtest-%d-a", pid), fmt.Sprintf("lbtest-%d-b", pid)
	t.Cleanup(func() { h.Deregister(ctx, a); h.Deregister(ctx, b) })
	mine := func() []autoscaler.Backend {
		t.Helper()
		all, err := h.Backends(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return slices.DeleteFunc(all, func(x autoscaler.Backend) bool { return x.Name != a && x.Name != b })
	}
	for _, be := range []autoscaler.Backend{{Name: b, Addr: "127.0.0.1:1002"}, {Name: a, Addr: "127.0.0.1:1001"}} {
		if err := h.Register(ctx, be); err != nil {
			t.Fatal(err)
		}
	}
	want := []autoscaler.Backend{{Name: a, Addr: "127.0.0.1:1001"}, {Name: b, Addr: "127.0.0.1:1002"}}
	if got := mine(); !slices.Equal(got, want) {
		t.Errorf("after Register: %v, want %v", got, want)
	}
	// Registering again moves the server and makes it ready.
	if err := h.Drain(ctx, a); err != nil {
		t.Fatal(err)
	}
	st, _ := h.ServerStates(ctx)
	if st[a][1]&0x08 == 0 {
		t.Errorf("after Drain: admin state %#x, want the drain bit", st[a][1])
	}
	if err := h.Register(ctx, autoscaler.Backend{Name: a, Addr: "127.0.0.1:1003"}); err != nil {
		t.Fatal(err)
	}
	st, _ = h.ServerStates(ctx)
	if st[a][1] != 0 {
		t.Errorf("after Register again: admin state %#x, want 0 (ready)", st[a][1])
	}
	if got := mine(); got[0].Addr != "127.0.0.1:1003" {
		t.Errorf("after moving %s: %v", a, got)
	}
	if err := h.Deregister(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := h.Deregister(ctx, a); err != nil {
		t.Errorf("Deregister of an unknown server: %v", err)
	}
	if got := mine(); len(got) != 1 || got[0].Name != b {
		t.Errorf("after Deregister: %v", got)
	}
	if err := h.Register(ctx, autoscaler.Backend{Name: "bad name", Addr: "x"}); err == nil {
		t.Error("Register accepted a bad backend")
	}
	if err := h.Drain(ctx, "no-such-server"); err == nil {
		t.Error("Drain of an unknown server: no error")
	}
}
