package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/eventqueue"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkapi/longpoll/redisstore"
	"github.com/vkerr/vkerr/vkevent"
)

func init() { register(newQueueCmd) }

// queueFlags name a durable event queue in Redis (vk listen --queue,
// --from-queue, vk queue).
type queueFlags struct {
	url   string // redis://HOST:PORT/DB
	name  string // the queue's name
	group string // the consumer group
	// maxBacklog bounds each partition (tests; 0 is the queue's default).
	maxBacklog int
}

// open connects to the queue's Redis.
func (q queueFlags) open() (*redis.Client, eventqueue.Options, error) {
	o, err := redis.ParseURL(q.url)
	if err != nil {
		return nil, eventqueue.Options{}, &exitError{code: 2, err: fmt.Errorf("--queue: %v (want redis://HOST:PORT/DB)", vkerr.RedactString(err.Error()))}
	}
	o.DialTimeout = 2 * time.Second
	return redis.NewClient(o), eventqueue.Options{Name: q.name, MaxBacklog: q.maxBacklog}, nil
}

// producer connects to the queue's Redis and makes the queue's producer,
// for the three ways vk listen appends to it. The caller closes the
// client; after an error there is none to close.
func (q queueFlags) producer(logger *slog.Logger) (*redis.Client, *eventqueue.Producer, error) {
	rdb, opts, err := q.open()
	if err != nil {
		return nil, nil, err
	}
	prod, err := eventqueue.NewProducer(rdb, opts, logger)
	if err != nil {
		_ = rdb.Close()
		return nil, nil, &exitError{code: 2, err: err}
	}
	return rdb, prod, nil
}

// retryAfterError is a full backlog as the Callback receiver reads it: its
// 503 carries the queue's Retry-After (callback.RetryAfter).
type retryAfterError struct{ full *eventqueue.BacklogFullError }

func (e retryAfterError) Error() string             { return e.full.Error() }
func (e retryAfterError) Unwrap() error             { return e.full }
func (e retryAfterError) RetryAfter() time.Duration { return e.full.RetryAfter }

// callbackToQueue is the handler of vk listen --callback --queue: each
// event is appended to the durable queue, and the receiver answers ok only
// once Append returned (a resend of an event already appended is a
// duplicate there, not a second entry). A full backlog fails at once, so
// the receiver answers 503 with the queue's Retry-After and VK keeps the
// event. close ends the Redis connection.
func callbackToQueue(q queueFlags, pr *listenPrinter, logger *slog.Logger) (h vkevent.Handler, close func(), err error) {
	rdb, prod, err := q.producer(logger)
	if err != nil {
		return nil, nil, err
	}
	h = vkevent.HandlerFunc(func(ctx context.Context, e *vkevent.Event) error {
		_, err := prod.Append(ctx, e)
		if full, ok := errors.AsType[*eventqueue.BacklogFullError](err); ok {
			return retryAfterError{full}
		}
		if err != nil {
			return err
		}
		pr.count()
		return nil
	})
	pr.note("appending the events to queue %q (ok is answered once an event is in Redis)", q.name)
	return h, func() { _ = rdb.Close() }, nil
}

// runQueueConsumer consumes the queue until ctx ends, handing each event to
// h (which prints it): an event is acknowledged after it was printed.
func runQueueConsumer(ctx context.Context, q queueFlags, h vkevent.Handler, logger *slog.Logger) error {
	rdb, opts, err := q.open()
	if err != nil {
		return err
	}
	defer rdb.Close()
	c, err := eventqueue.NewConsumer(rdb, eventqueue.Config{Options: opts, Group: q.group, Handler: h, Logger: logger})
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	defer c.Close()
	if err := c.Run(ctx); err != nil && ctx.Err() == nil {
		return &exitError{code: 1, err: err}
	}
	return nil
}

// runLongPollToQueue runs the Bots Long Poll client with the queue as its
// handler: an event counts as handled once it is in Redis. Processes
// started this way elect one poller, whose position is kept in the same
// Redis, so one killed and started again (or a second one waiting) loses
// nothing.
func runLongPollToQueue(ctx context.Context, api *vkapi.Client, cfg longpoll.Config, q queueFlags, pr *listenPrinter) error {
	rdb, prod, err := q.producer(cfg.Logger)
	if err != nil {
		return err
	}
	defer rdb.Close()
	if cfg.GroupID == 0 {
		var r struct {
			Groups []struct {
				ID int64 `json:"id"`
			} `json:"groups"`
		}
		if err := api.Call(ctx, "groups.getById", nil, &r); err != nil {
			return &exitError{code: 1, err: fmt.Errorf("finding the token's community: %w", err)}
		}
		if len(r.Groups) == 0 || r.Groups[0].ID <= 0 {
			return &exitError{code: 1, err: errors.New("groups.getById named no community: pass --group")}
		}
		cfg.GroupID = r.Groups[0].ID
	}
	cfg.Handler = vkevent.HandlerFunc(func(ctx context.Context, e *vkevent.Event) error {
		if err := prod.HandleEvent(ctx, e); err != nil {
			return err
		}
		pr.count()
		return nil
	})
	store := redisstore.New(rdb, lpStorePrefix)
	note := pr.note
	note("appending community %d's events to queue %q; waiting to be the elected poller", cfg.GroupID, q.name)
	return store.RunElected(ctx, cfg.GroupID, 0, func(ctx context.Context, st longpoll.Store, lease redisstore.Lease) error {
		note("elected (fence %d): polling", lease.Fence)
		cfg.Store = st
		return longpoll.New(api, cfg).Run(ctx)
	})
}

// lpStorePrefix starts the Redis keys of the Long Poll position that vk
// listen --queue keeps beside the queue.
const lpStorePrefix = "vk:lp:"

// count counts an event handled without printing it (vk listen --queue),
// stopping after max.
func (p *linePrinter) count() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen++
	if p.max > 0 && p.seen >= p.max {
		p.stop()
	}
}

func newQueueCmd() *cobra.Command {
	var q queueFlags
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Inspect a durable event queue in Redis: stats, dead letters, redrive",
		Long: `Queue inspects the durable event queue that vk listen --queue fills and
vk listen --from-queue consumes (package vkapi/eventqueue, on Redis Streams).

  stats     backlog, pending entries and the age of the oldest, per consumer
            group and consumer; entries per partition; dead letters
  dead      the events whose handler kept failing, with the last error
  redrive   append the dead letters (all, or the ids given) to the queue again`,
		Example: "  vk queue stats --queue redis://127.0.0.1:6379/0\n  vk queue dead --queue redis://127.0.0.1:6379/0\n  vk queue redrive --queue redis://127.0.0.1:6379/0",
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&q.url, "queue", "", "the queue's Redis: redis://HOST:PORT/DB (required)")
	pf.StringVar(&q.name, "name", eventqueue.DefaultName, "the queue's name")
	// withQueue runs f with the queue's Redis and a 30 s bound; an error
	// of f is the command's failure (exit 1).
	withQueue := func(cmd *cobra.Command, f func(ctx context.Context, rdb *redis.Client, opts eventqueue.Options) error) error {
		if q.url == "" {
			return &exitError{code: 2, err: errors.New("--queue is required")}
		}
		rdb, opts, err := q.open()
		if err != nil {
			return err
		}
		defer rdb.Close()
		ctx, cancel := context.WithTimeout(cmdContext(cmd), 30*time.Second)
		defer cancel()
		if err := f(ctx, rdb, opts); err != nil {
			return &exitError{code: 1, err: err}
		}
		return nil
	}
	stats := &cobra.Command{
		Use: "stats", Short: "Backlog, pending and dead letters of the queue", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withQueue(cmd, func(ctx context.Context, rdb *redis.Client, opts eventqueue.Options) error {
				st, err := eventqueue.ReadStats(ctx, rdb, opts)
				if err == nil {
					printQueueStats(cmd, st)
				}
				return err
			})
		},
	}
	var limit int64
	dead := &cobra.Command{
		Use: "dead", Short: "List the dead letters: events whose handler kept failing", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withQueue(cmd, func(ctx context.Context, rdb *redis.Client, opts eventqueue.Options) error {
				ds, err := eventqueue.ListDead(ctx, rdb, opts, limit)
				if err != nil {
					return err
				}
				out := cmd.OutOrStdout()
				for _, d := range ds {
					ev := "(undecodable)"
					if d.Event != nil {
						ev = newEventLine(d.Event).String()
					}
					fmt.Fprintf(out, "%s  group %s, %d deliveries, last error: %s\n    %s\n", d.ID, d.Group, d.Deliveries, d.Error, ev)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "vk queue: %d dead letters\n", len(ds))
				return nil
			})
		},
	}
	dead.Flags().Int64Var(&limit, "limit", 100, "list at most this many (0: all)")
	redrive := &cobra.Command{
		Use: "redrive [ID...]", Short: "Append dead letters to the queue again (all when no id is given)",
		RunE: func(cmd *cobra.Command, ids []string) error {
			return withQueue(cmd, func(ctx context.Context, rdb *redis.Client, opts eventqueue.Options) error {
				n, err := eventqueue.Redrive(ctx, rdb, opts, ids...)
				if err == nil {
					fmt.Fprintf(cmd.OutOrStdout(), "%d dead letters appended to the queue again\n", n)
				}
				return err
			})
		},
	}
	cmd.AddCommand(stats, dead, redrive)
	return cmd
}

func printQueueStats(cmd *cobra.Command, st eventqueue.Stats) {
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
	defer w.Flush()
	var total int64
	var parts []string
	for _, p := range st.Partitions {
		total += p.Length
		parts = append(parts, fmt.Sprint(p.Length))
	}
	fmt.Fprintf(w, "queue\t%s\n", st.Queue)
	fmt.Fprintf(w, "entries kept\t%d (per partition: %s)\n", total, strings.Join(parts, " "))
	fmt.Fprintf(w, "dead letters\t%d\n", st.Dead)
	for _, g := range st.Groups {
		fmt.Fprintf(w, "group %s\tbacklog %d, pending %d, oldest pending %s, %d consumers alive\n", g.Group, g.Backlog, g.Pending, g.OldestPending.Round(time.Millisecond), g.Members)
		for name, n := range g.Consumers {
			fmt.Fprintf(w, "  consumer %s\tpending %d\n", name, n)
		}
	}
}

// runFromQueue is vk listen --from-queue: it prints the queue's events, one
// line each, acknowledging each after printing.
func runFromQueue(cmd *cobra.Command, q queueFlags, asJSON bool, maxEvents int) error {
	ctx, cancel := context.WithCancel(cmdContext(cmd)) // SIGINT and SIGTERM end it (stopOnSignal)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	pr := &listenPrinter{linePrinter: linePrinter{out: cmd.OutOrStdout(), asJSON: asJSON, max: maxEvents, stop: cancel}, errOut: cmd.ErrOrStderr()}
	pr.note("consuming queue %q as group %q", q.name, q.group)
	return runQueueConsumer(ctx, q, queuePrinter{pr}, logger)
}
