package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/eventqueue"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkevent"
)

func init() { register(newListenCmd) }

// linePrinter prints one line per event on out, as JSON with asJSON, and
// calls stop after max events (0: never). It is safe for concurrent use.
type linePrinter struct {
	mu     sync.Mutex
	out    io.Writer
	asJSON bool
	max    int
	seen   int
	stop   context.CancelFunc
}

// print prints l: its JSON, or its String.
func (p *linePrinter) print(l fmt.Stringer) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.asJSON {
		b, err := json.Marshal(l)
		if err != nil {
			return err
		}
		fmt.Fprintln(p.out, string(b))
	} else {
		fmt.Fprintln(p.out, l)
	}
	p.seen++
	if p.max > 0 && p.seen >= p.max {
		p.stop()
	}
	return nil
}

// listenPrinter prints events on stdout and recovery notes on stderr.
type listenPrinter struct {
	linePrinter
	errOut io.Writer
}

func (p *listenPrinter) HandleEvent(_ context.Context, e *vkevent.Event) error {
	return p.print(newEventLine(e))
}

func (p *listenPrinter) note(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.errOut, "vk listen: "+format+"\n", args...)
}

func (p *listenPrinter) observer() longpoll.Observer {
	return longpoll.ObserverFuncs{
		Recovery: func(_ context.Context, e longpoll.RecoveryEvent) {
			msg := ""
			if e.Err != nil {
				msg = ": " + vkerr.RedactString(e.Err.Error())
			}
			p.note("%s -> %s (wait %v)%s", e.Failure, e.Action, e.Delay.Round(time.Millisecond), msg)
		},
		Gap: func(_ context.Context, g longpoll.Gap) {
			p.note("events may be missing (%s): ts %s to %s", g.Kind, g.From, g.To)
		},
		Handler: func(_ context.Context, e longpoll.HandlerEvent) {
			p.note("printing event %s failed: %v", e.EventID, e.Err)
		},
	}
}

func newListenCmd() *cobra.Command {
	var (
		token, baseURL, store string
		group                 int64
		asJSON, verbose       bool
		wait                  time.Duration
		maxEvents             int
		cb                    callbackListen
		queue                 queueFlags
		fromQueue             string
	)
	cmd := &cobra.Command{
		Use:   "listen",
		Short: "Run the Bots Long Poll client and print one line per event",
		Long: `Listen runs the Bots Long Poll client for a community: it gets a server from
groups.getLongPollServer and prints one line per event on standard output
(JSON lines with --json, the fields of vk events --json); what the client
recovers from (failed 1/2/3, network errors, cooldowns) and gaps in the
stream go to standard error. It runs until Ctrl-C (or SIGTERM), or --max-events.

The token comes from --token or $VK_TOKEN (a community token; the community
is taken from it unless --group is given). Works against VK and against
vk mock (--base-url http://127.0.0.1:8080).

With --callback ADDR it serves the Callback API receiver on ADDR instead
(--secret, or $VK_CALLBACK_SECRET, and --confirm CODE): it answers VK's
confirmation, refuses a wrong secret, answers ok and prints each event
once, however often VK resends it. With --queue it appends each event to
the durable queue instead of printing it, and answers ok only once the
event is in Redis; a full backlog is answered 503 with Retry-After.

With --user it runs the User Long Poll client of a user token; --store
keeps its position (ts and pts), so a restart loses nothing.

Exit status: 0 when stopped, 1 when the server cannot be used (a dead token,
Long Poll disabled, no access), 2 on bad usage.`,
		Example: "  VK_TOKEN=... vk listen\n  vk listen --base-url http://127.0.0.1:8080 --token vk1.a... --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if fromQueue != "" {
				return runFromQueue(cmd, queueFlags{url: fromQueue, name: queue.name, group: queue.group}, asJSON, maxEvents)
			}
			if cb.addr != "" {
				warnCallbackSetup(cmd.ErrOrStderr(), cb)
				cb.queue = queue
				return runCallbackListen(cmd, cb, group, asJSON, verbose, maxEvents)
			}
			if cb.user {
				return runUserListen(cmd, token, baseURL, store, queue, asJSON, maxEvents)
			}
			if token == "" {
				token = envOrSavedToken(true)
			}
			if token == "" {
				return &exitError{code: 2, err: errors.New("no token: set $VK_TOKEN or pass --token")}
			}
			if wait < time.Second || wait > longpoll.MaxWait {
				return &exitError{code: 2, err: fmt.Errorf("--wait must be between 1s and %v", longpoll.MaxWait)}
			}
			ctx, cancel := context.WithCancel(cmdContext(cmd))
			defer cancel()
			level := slog.LevelError + 1 // recovery notes come through the observer
			if verbose {
				level = slog.LevelDebug
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			api := vkapi.New(token, vkapi.WithBaseURL(baseURL), vkapi.WithTokenKind(vkapi.KindGroup), vkapi.WithLogger(logger))
			pr := &listenPrinter{linePrinter: linePrinter{out: cmd.OutOrStdout(), asJSON: asJSON, max: maxEvents, stop: cancel}, errOut: cmd.ErrOrStderr()}
			cfg := longpoll.Config{GroupID: group, Handler: pr, Wait: wait, Logger: logger, Observer: pr.observer()}
			if store != "" && queue.url == "" {
				cfg.Store = longpoll.NewFileStore(store)
			}
			c, err := checkCommunity(ctx, api, group)
			if err != nil {
				return &exitError{code: 1, err: err}
			}
			if c.ID != 0 {
				cfg.GroupID = c.ID
				version := c.APIVersion
				if version == "" {
					version = "unknown"
				}
				pr.note("connected: community %d, api_version %s; Ctrl-C stops", c.ID, version)
			}
			if queue.url != "" {
				err = runLongPollToQueue(ctx, api, cfg, queue, pr)
			} else {
				err = longpoll.New(api, cfg).Run(ctx)
			}
			if err != nil && ctx.Err() == nil {
				return &exitError{code: 1, err: errors.New(inWords(err))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&token, "token", "", "community access token (default $VK_TOKEN)")
	f.StringVar(&baseURL, "base-url", vkapi.DefaultBaseURL, "API server root; the client adds /method/NAME")
	f.Int64Var(&group, "group", 0, "community id (default: the token's community)")
	f.BoolVar(&asJSON, "json", false, "print JSON lines")
	f.BoolVar(&verbose, "verbose", false, "log every poll and API attempt to standard error")
	f.DurationVar(&wait, "wait", longpoll.DefaultWait, "a_check wait (at most 90s)")
	f.StringVar(&store, "store", "", "keep the position (ts; with --user ts and pts) in files beside this path, to resume after a restart")
	f.IntVar(&maxEvents, "max-events", 0, "stop after this many events (0: never)")
	addCallbackFlags(f, &cb)
	f.StringVar(&queue.url, "queue", "", "append events to the durable queue in this Redis (redis://HOST:PORT/DB) instead of printing them")
	f.StringVar(&fromQueue, "from-queue", "", "print the events of the durable queue in this Redis (redis://HOST:PORT/DB), acknowledging each after printing")
	f.StringVar(&queue.name, "queue-name", eventqueue.DefaultName, "the queue's name, with --queue or --from-queue")
	f.StringVar(&queue.group, "queue-group", eventqueue.DefaultGroup, "the consumer group, with --from-queue: processes of one group share the events")
	return stopOnSignal(cmd)
}

// warnCallbackSetup warns on w when the Callback API receiver runs without
// a secret (anyone who finds the address can send it events) or without a
// confirmation code (VK cannot confirm the server).
func warnCallbackSetup(w io.Writer, cb callbackListen) {
	if cb.secret == "" && os.Getenv("VK_CALLBACK_SECRET") == "" {
		fmt.Fprintln(w, "vk listen: warning: no --secret (or $VK_CALLBACK_SECRET): anyone who finds this address can send it events; set the server's secret key")
	}
	if cb.confirm == "" {
		fmt.Fprintln(w, "vk listen: warning: no --confirm: VK cannot confirm this server; give the code of groups.getCallbackConfirmationCode")
	}
}
