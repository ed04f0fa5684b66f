// Command vk is the command line of vkerr: it explains VK API error codes,
// decodes response bodies, calls the API through the vkapi client, runs the
// vkmock server and shows a demo of the whole error system.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// exitError carries a process exit status out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// subcommands are added by the files of this package, one per command.
var subcommands []func() *cobra.Command

func register(f func() *cobra.Command) { subcommands = append(subcommands, f) }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "vk",
		Short:         "The VK API error system: explain and decode errors, call the API, run a mock VK server, listen to events, upload files",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
	}
	root.SetVersionTemplate("{{.Version}}")
	for _, f := range subcommands {
		root.AddCommand(f())
	}
	return root
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	stop := context.CancelFunc(func() {})
	defer func() { stop() }()
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		if cmd.Annotations[stopsOnSignal] != "" {
			var ctx context.Context
			ctx, stop = signalContext(cmdContext(cmd))
			cmd.SetContext(ctx)
		}
	}
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "vk:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "vk:", err)
	return 2
}

// stopSignals stop a command as Ctrl-C does: SIGINT, and SIGTERM (what
// kill, systemd, docker stop and Kubernetes send).
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// stopsOnSignal is the annotation of the commands that run until stopped
// or wait on the network (mock, listen, demo, call, upload): run gives
// them a context that SIGINT and SIGTERM cancel, so they stop cleanly on
// either. The others (explain, decode, events) keep the default action: a
// signal ends them at once, even while they read standard input.
const stopsOnSignal = "vk/stops-on-signal"

// stopOnSignal marks cmd stopsOnSignal and returns it.
func stopOnSignal(cmd *cobra.Command) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[stopsOnSignal] = "yes"
	return cmd
}

// signalContext returns a context that the first SIGINT or SIGTERM
// cancels. After the first signal the default action is restored: a
// second one ends the process at once.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(parent, stopSignals...)
	context.AfterFunc(ctx, stop)
	return ctx, stop
}

// cmdContext is the command's context (cancelled by SIGINT and SIGTERM
// under run), or Background when it has none.
func cmdContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}
