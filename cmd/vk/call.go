package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
)

func init() { register(newCallCmd) }

// serveMock serves srv on a free loopback port until ctx is done; it
// returns the server's root URL.
func serveMock(ctx context.Context, srv *vkmock.Server) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go func() { _ = srv.Serve(ctx, ln, nil, time.Second) }()
	return "http://" + ln.Addr().String(), nil
}

// target settles where a command's client goes: with useMock an in-process
// vkmock served until ctx is done (and, when no token was given, its token
// of kind tk); otherwise baseURL with the token given or $VK_TOKEN. It
// returns the base URL and the token, or a usage error (exit 2).
func target(ctx context.Context, useMock bool, baseURL, token string, tk vkapi.TokenKind) (string, string, error) {
	if token == "" {
		token = envOrSavedToken(!useMock)
	}
	if useMock {
		srv, err := vkmock.New()
		if err != nil {
			return "", "", &exitError{code: 2, err: fmt.Errorf("starting vkmock: %w", err)}
		}
		if baseURL, err = serveMock(ctx, srv); err != nil {
			return "", "", &exitError{code: 2, err: fmt.Errorf("starting vkmock: %w", err)}
		}
		if token == "" {
			token = srv.Tokens().Of(tk).Token
		}
	}
	if token == "" {
		return "", "", &exitError{code: 2, err: errors.New("no token: set $VK_TOKEN, pass --token, or use --mock")}
	}
	return baseURL, token, nil
}

// parseParams turns key=value arguments into call parameters.
func parseParams(args []string) (vkapi.Params, error) {
	params := vkapi.Params{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("parameter %q is not key=value", a)
		}
		params[k] = v
	}
	return params, nil
}

func newCallCmd() *cobra.Command {
	var (
		token, baseURL, kind, lang, version string
		useMock, asJSON, verbose            bool
		timeout                             time.Duration
	)
	cmd := &cobra.Command{
		Use:   "call METHOD [key=value...]",
		Short: "Make one VK API call through the full client and print the answer or the explained error",
		Long: `Call makes one VK API call through the vkapi client (rate limiting, retries
with backoff where safe, idempotency keys) and prints the response JSON, or
explains the error the call ended with. The response goes to standard
output, alone, so that it can be piped (vk call users.get user_ids=1 | jq);
an error goes to standard error, once, in words (with --json, as JSON).

The token comes from --token or $VK_TOKEN; prefer $VK_TOKEN, since command
lines are visible to other users of the machine. With --mock the call goes to
an in-process vkmock server and uses its preloaded token of --kind (unless a
token is given), so no token and no network are needed.

Exit status: 0 on success, 1 when the call failed, 2 on bad usage.`,
		Example: "  vk call users.get user_ids=1 --mock\n  VK_TOKEN=... vk call groups.getById group_id=1 --kind group",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &exitError{code: 2, err: errors.New("call needs a METHOD")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			lang, err := resolveLang(lang)
			if err != nil {
				return err
			}
			params, err := parseParams(args[1:])
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			tk := vkapi.ParseTokenKind(kind)
			if tk == vkapi.KindUnknown {
				return &exitError{code: 2, err: fmt.Errorf("--kind must be user, group or service, not %q", kind)}
			}
			ctx, cancel := context.WithTimeout(cmdContext(cmd), timeout)
			defer cancel()
			baseURL, token, err = target(ctx, useMock, baseURL, token, tk)
			if err != nil {
				return err
			}
			// The client's log only with --verbose: otherwise the error
			// it ends with is the one line vk call prints.
			logger := slog.New(slog.DiscardHandler)
			if verbose {
				logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelDebug}))
			}
			client := vkapi.New(token, vkapi.WithBaseURL(baseURL), vkapi.WithTokenKind(tk),
				vkapi.WithLang(lang), vkapi.WithVersion(version), vkapi.WithLogger(logger))
			defer client.Close()
			var out json.RawMessage
			err = client.Call(ctx, args[0], params, &out)
			w := cmd.OutOrStdout()
			if err == nil {
				var buf bytes.Buffer
				if json.Indent(&buf, out, "", "  ") != nil {
					buf.Reset()
					buf.Write(out)
				}
				fmt.Fprintln(w, buf.String())
				return nil
			}
			d := describe(err, vkerr.ShapeAPI, lang)
			ew := cmd.ErrOrStderr()
			if asJSON {
				if err := writeJSON(ew, d); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(ew, "vk call %s: ", args[0])
				printError(ew, d, lang)
			}
			return &exitError{code: 1}
		},
	}
	f := cmd.Flags()
	f.StringVar(&token, "token", "", "access token (default $VK_TOKEN)")
	f.StringVar(&baseURL, "base-url", vkapi.DefaultBaseURL, "API server root; the client adds /method/NAME")
	f.BoolVar(&useMock, "mock", false, "call an in-process vkmock server instead of VK")
	f.StringVar(&kind, "kind", "user", "token kind, for the rate limit and --mock: user, group or service")
	f.StringVar(&lang, "lang", "", langUsage)
	f.StringVar(&version, "v", "5.199", "API version")
	f.BoolVar(&asJSON, "json", false, "print a failed call's error as JSON (on standard error)")
	f.BoolVar(&verbose, "verbose", false, "log every attempt and retry decision to standard error")
	f.DurationVar(&timeout, "timeout", time.Minute, "give up after this long")
	return stopOnSignal(cmd)
}
