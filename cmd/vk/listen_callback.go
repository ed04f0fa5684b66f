package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr/vkapi/callback"
	"github.com/vkerr/vkerr/vkevent"
)

// defaultCallbackGrace bounds the shutdown of vk listen --callback: the
// events in flight are finished within it (the receiver's handler timeout
// is shorter).
const defaultCallbackGrace = 10 * time.Second

// callbackListen is `vk listen --callback ADDR`: it serves the Callback API
// receiver on ADDR and prints each event as the Long Poll listener does.
type callbackListen struct {
	addr, secret, confirm string
	group                 int64
	user                  bool              // vk listen --user: User Long Poll instead
	queue                 queueFlags        // --queue: append the events to the durable queue instead of printing
	ready                 func(addr string) // tests: called with the address served
	grace                 time.Duration     // tests: the shutdown bound (default defaultCallbackGrace)
	// wrap, for tests, wraps the printer the receiver calls.
	wrap func(vkevent.Handler) vkevent.Handler
}

// run serves until ctx ends (SIGINT, SIGTERM, --max-events), then stops
// taking events (503, so VK resends them), finishes the ones in flight
// (each is answered ok once printed, or with --queue once appended to the
// durable queue) and returns nil; when they cannot be
// finished within the grace period, it says how many it leaves and
// returns an exit status of 1.
func (c callbackListen) run(ctx context.Context, pr *listenPrinter, logger *slog.Logger) error {
	if c.secret == "" {
		c.secret = os.Getenv("VK_CALLBACK_SECRET")
	}
	if c.confirm != "" && c.group == 0 {
		return &exitError{code: 2, err: errors.New("--confirm needs --group: the code is answered only to that community's confirmation")}
	}
	var h vkevent.Handler = pr
	if c.queue.url != "" {
		qh, closeQueue, err := callbackToQueue(c.queue, pr, logger)
		if err != nil {
			return err
		}
		defer closeQueue()
		h = qh
	}
	if c.wrap != nil {
		h = c.wrap(h)
	}
	rc, err := callback.New(callback.Config{
		Secret: c.secret, Confirmation: c.confirm, GroupID: c.group, Handler: h, Logger: logger,
		OnError: func(e *vkevent.Event, err error) { pr.note("printing event %s failed: %v", e.EventID, err) },
	})
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		_ = rc.Close()
		return &exitError{code: 1, err: err}
	}
	srv := &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	pr.note("Callback API receiver on http://%s/ (put it behind HTTPS for VK)", ln.Addr())
	if c.ready != nil {
		c.ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	if serveErr == nil {
		pr.note("stopping: new events are answered 503 (VK sends them again); finishing the ones in flight")
	}
	grace := c.grace
	if grace <= 0 {
		grace = defaultCallbackGrace
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	// The receiver first: while it finishes, the server still answers
	// (503 to new events), then the server closes.
	rcErr := rc.Shutdown(sctx)
	_ = srv.Shutdown(sctx)
	if serveErr == nil {
		serveErr = <-errc
	}
	var se *callback.ShutdownError
	if errors.As(rcErr, &se) {
		return &exitError{code: 1, err: fmt.Errorf("stopped after %v with %d events unfinished (not answered ok: VK sends them again)", grace, se.Unfinished)}
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return &exitError{code: 1, err: fmt.Errorf("serving: %w", serveErr)}
	}
	return nil
}

// addCallbackFlags adds the flags of the Callback API receiver to vk listen.
func addCallbackFlags(f interface {
	StringVar(p *string, name, value, usage string)
	BoolVar(p *bool, name string, value bool, usage string)
}, cb *callbackListen) {
	f.BoolVar(&cb.user, "user", false, "run the User Long Poll client of a user token instead (one line per update)")
	f.StringVar(&cb.addr, "callback", "", "run the Callback API receiver on this address (host:port) instead of Long Poll")
	f.StringVar(&cb.secret, "secret", "", "with --callback: the server's secret key (default $VK_CALLBACK_SECRET)")
	f.StringVar(&cb.confirm, "confirm", "", "with --callback and --group: the confirmation code (groups.getCallbackConfirmationCode)")
}

func runCallbackListen(cmd *cobra.Command, cb callbackListen, group int64, asJSON, verbose bool, maxEvents int) error {
	ctx, stop := signal.NotifyContext(cmdContext(cmd), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	level := slog.LevelError + 1
	if verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	pr := &listenPrinter{linePrinter: linePrinter{out: cmd.OutOrStdout(), asJSON: asJSON, max: maxEvents, stop: cancel}, errOut: cmd.ErrOrStderr()}
	cb.group = group
	return cb.run(ctx, pr, logger)
}
