package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkstream"
)

func init() { register(newStreamCmd) }

// streamLine is one event as vk stream prints it.
type streamLine struct{ e vkstream.Event }

func (l streamLine) String() string {
	id := strconv.FormatInt(l.e.ID.PostOwnerID, 10) + "_" + strconv.FormatInt(l.e.ID.PostID, 10)
	switch {
	case l.e.ID.CommentID != 0:
		id += "#" + strconv.FormatInt(l.e.ID.CommentID, 10)
	case l.e.ID.SharedPostID != 0:
		id += "^" + strconv.FormatInt(l.e.ID.SharedPostID, 10)
	}
	text := strings.Join(strings.Fields(l.e.Text), " ")
	return fmt.Sprintf("%s %s [%s] %s", l.e.Type, id, strings.Join(l.e.Tags, ","), vkerr.RedactShort(text, 200))
}

// MarshalJSON is the event as the stream sent it.
func (l streamLine) MarshalJSON() ([]byte, error) {
	if len(l.e.Raw) > 0 {
		return l.e.Raw, nil
	}
	return json.Marshal(l.e)
}

// streamNotes writes vk stream's notes on standard error.
type streamNotes struct {
	mu  sync.Mutex
	out io.Writer
}

func (n *streamNotes) note(format string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	fmt.Fprintf(n.out, "vk stream: "+format+"\n", args...)
}

// parseRules reads --rule TAG=VALUE flags.
func parseRules(specs []string) ([]vkstream.Rule, error) {
	rules := make([]vkstream.Rule, 0, len(specs))
	for _, s := range specs {
		tag, value, ok := strings.Cut(s, "=")
		if !ok || strings.TrimSpace(tag) == "" || strings.TrimSpace(value) == "" {
			return nil, fmt.Errorf("--rule %q: want TAG=VALUE", s)
		}
		rules = append(rules, vkstream.Rule{Tag: tag, Value: value})
	}
	return rules, nil
}

func newStreamCmd() *cobra.Command {
	var token, baseURL string
	var specs []string
	var asJSON bool
	var maxEvents int
	cmd := &cobra.Command{
		Use:   "stream --token SERVICE [--rule TAG=VALUE]... [--json]",
		Short: "Read the Streaming API: sync the rules, print one line per event, reconnect",
		Long: `Stream gets the Streaming API's endpoint and key with streaming.getServerUrl
(a service token), makes the stream's rules the --rule flags given (adding
the missing ones, deleting the others; without --rule the rules stay as
they are), then prints one line per event: type, owner_post[#comment], the
tags of the rules it matched, and its text; with --json the event as VK sent
it. It reconnects after a close or a stall and says on standard error when
it lost the connection and, once back, for how long: the Streaming API has
no replay, so the events of that time may be missing. SIGINT or SIGTERM
stops it.`,
		Example: "  VK_TOKEN=SERVICE vk stream --rule cats='кот -собака' --rule dogs=собака\n  vk stream --base-url http://127.0.0.1:8080 --token SERVICE --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if token == "" {
				token = os.Getenv("VK_TOKEN")
			}
			if token == "" {
				return &exitError{code: 2, err: errors.New("no token: set $VK_TOKEN or pass --token (a service token)")}
			}
			rules, err := parseRules(specs)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			ctx, stop := signal.NotifyContext(cmdContext(cmd), os.Interrupt, syscall.SIGTERM)
			defer stop()
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			notes := &streamNotes{out: cmd.ErrOrStderr()}
			pr := &linePrinter{out: cmd.OutOrStdout(), asJSON: asJSON, max: maxEvents, stop: cancel}
			cfg := vkstream.Config{
				OnEvent: func(e vkstream.Event) { _ = pr.print(streamLine{e}) },
				OnService: func(m vkstream.ServiceMessage) {
					notes.note("service message %d: %s", m.ServiceCode, vkerr.RedactString(m.Message))
				},
				OnError:   func(err error) { notes.note("%s", vkerr.RedactString(err.Error())) },
				OnConnect: func(time.Time) { notes.note("connected") },
				OnDisconnect: func(d vkstream.Disconnect) {
					notes.note("lost the connection: %s", vkerr.RedactString(errText(d.Err)))
				},
				OnGap: func(g vkstream.Gap) {
					notes.note("reconnected after %v: events from %s to %s may be missing", g.Duration().Round(time.Millisecond), g.From.Format(time.TimeOnly), g.To.Format(time.TimeOnly))
				},
			}
			api := vkapi.New(token, vkapi.WithBaseURL(baseURL), vkapi.WithTokenKind(vkapi.KindService))
			defer api.Close()
			c, err := vkstream.Connect(ctx, api, cfg)
			if err != nil {
				return &exitError{code: 1, err: errors.New(vkerr.RedactString(err.Error()))}
			}
			defer c.Close()
			if len(rules) > 0 {
				res, err := c.SyncRules(ctx, rules)
				if err != nil {
					return &exitError{code: 1, err: errors.New(vkerr.RedactString(err.Error()))}
				}
				notes.note("rules: %d added, %d deleted, %d in all", len(res.Added), len(res.Deleted), len(rules))
			}
			err = c.Run(ctx)
			if err != nil && ctx.Err() == nil {
				return &exitError{code: 1, err: errors.New(vkerr.RedactString(err.Error()))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&token, "token", "", "service token of the app (default $VK_TOKEN)")
	f.StringVar(&baseURL, "base-url", vkapi.DefaultBaseURL, "API server root; the client adds /method/NAME")
	f.StringArrayVar(&specs, "rule", nil, "a rule of the stream, TAG=VALUE (repeat it; VALUE: words, \"exact phrase\", -excluded)")
	f.BoolVar(&asJSON, "json", false, "print each event as VK sent it, one JSON per line")
	f.IntVar(&maxEvents, "max-events", 0, "stop after this many events (0: never)")
	return cmd
}

func errText(err error) string {
	if err == nil {
		return "closed"
	}
	return err.Error()
}
