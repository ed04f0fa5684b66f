package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr/vkmock"
)

func init() { register(newMockCmd) }

func newMockCmd() *cobra.Command {
	var (
		addr, config, schema, certOut string
		useTLS, httpsOnly, quiet      bool
		noRateLimits                  bool
		seed                          int64
		limits                        mockLimits
	)
	cmd := &cobra.Command{
		Use:   "mock",
		Short: "Run vkmock, a local VK API server that answers like VK, errors included",
		Long: `Run vkmock: every method of the VK API schema at /method/NAME, validated and
answered from the response schemas or from a small seeded world (users,
communities, walls, albums, messages), with the documented errors, the
captcha, validation and confirmation flows, flood control and quotas on a
controllable clock, execute with VKScript, fault injection and a JSON
control API under /__vkmock/.

It prints the preloaded tokens (one user, one community, one service token)
and logs one line per request (never a token or another secret). Ctrl-C or
SIGTERM shuts it down cleanly. The --config file format and the control API
are described in docs/vkmock.md; vkmock/testdata/config-example.json is a
complete example.

Every store is bounded (the request log, messages, posts, compiled
scripts: the oldest go first) and every connection times out: see the
--read-timeout, --idle-timeout and --max-* flags.`,
		Example: "  vk mock --addr 127.0.0.1:8080\n  vk mock --addr 127.0.0.1:8080 --config vkmock/testdata/config-example.json\n  vk mock --tls --cert-out mock.pem",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var opts []vkmock.Option
			if config != "" {
				c, err := vkmock.LoadConfig(config)
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				opts = append(opts, vkmock.WithConfig(c))
			}
			if cmd.Flags().Changed("seed") {
				opts = append(opts, vkmock.WithSeed(seed))
			}
			if schema != "" {
				opts = append(opts, vkmock.WithSchemaDir(schema))
			}
			if httpsOnly {
				opts = append(opts, vkmock.WithHTTPSOnly(true))
			}
			if noRateLimits {
				opts = append(opts, vkmock.WithRateLimits(false))
			}
			opts = append(opts, limits.options(cmd)...)
			if !quiet {
				opts = append(opts, vkmock.WithLogger(slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))))
			}
			s, err := vkmock.New(opts...)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return &exitError{code: 1, err: err}
			}
			scheme := "http"
			var certp *tls.Certificate
			if useTLS {
				host, _, _ := net.SplitHostPort(ln.Addr().String())
				cert, pemBytes, err := vkmock.SelfSignedCert(host, "localhost", "127.0.0.1", "::1")
				if err != nil {
					ln.Close()
					return &exitError{code: 1, err: err}
				}
				if certOut != "" {
					if err := os.WriteFile(certOut, pemBytes, 0o644); err != nil {
						ln.Close()
						return &exitError{code: 1, err: err}
					}
				}
				certp = &cert
				scheme = "https"
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "vkmock %s (VK API schema %s, %d methods) listening on %s://%s\n", vkmock.Version, s.SchemaVersion(), len(s.Methods()), scheme, ln.Addr())
			if useTLS && certOut != "" {
				fmt.Fprintf(out, "self-signed certificate written to %s\n", certOut)
			}
			fmt.Fprintln(out, "tokens:")
			for _, t := range s.Tokens().All() {
				fmt.Fprintf(out, "  %-8s %s  user_id=%d group_id=%d app_id=%d state=%s\n", t.Kind, t.Token, t.UserID, t.GroupID, t.AppID, t.State)
			}
			fmt.Fprintf(out, "try: curl -H 'Authorization: Bearer %s' '%s://%s/method/users.get?v=5.199&user_ids=1'\n", s.Tokens().Of(vkmock.TokenUser).Token, scheme, ln.Addr())
			if err := s.Serve(cmdContext(cmd), ln, certp, 5*time.Second); err != nil {
				return &exitError{code: 1, err: err}
			}
			fmt.Fprintln(out, "vkmock: stopped")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.BoolVar(&useTLS, "tls", false, "serve HTTPS with a generated self-signed certificate")
	f.StringVar(&certOut, "cert-out", "", "with --tls, write the certificate (PEM) to this file for clients to trust")
	f.Int64Var(&seed, "seed", 1, "seed of the tokens and the synthesised answers")
	f.StringVar(&config, "config", "", "JSON configuration file: tokens, apps, faults, settings")
	f.StringVar(&schema, "schema", "", "directory of the VK API schema to use instead of the embedded one")
	f.BoolVar(&httpsOnly, "https-only", false, "answer 16 to requests over plain HTTP")
	f.BoolVar(&quiet, "quiet", false, "do not log requests")
	f.BoolVar(&noRateLimits, "no-rate-limits", false, "turn off the per-token rate limits (error 6), e.g. for load tests")
	limits.register(cmd)
	return stopOnSignal(cmd)
}
