package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/longpoll"
	"github.com/vkerr/vkerr/vkapi/userlongpoll"
)

// userPrinter prints User Long Poll updates, a line each.
type userPrinter struct{ linePrinter }

func (p *userPrinter) HandleUpdate(_ context.Context, u *userlongpoll.Update) error {
	return p.print(newUserUpdateLine(u))
}

// runUserListen is `vk listen --user`: the User Long Poll client of a user
// token, one line per update. With a store path the position (ts and pts)
// is saved in files beside it after each printed update, so a restart
// resumes after the last one printed.
func runUserListen(cmd *cobra.Command, token, baseURL, store string, queue queueFlags, asJSON bool, maxEvents int) error {
	if token == "" {
		token = envOrSavedToken(true)
	}
	if token == "" {
		return &exitError{code: 2, err: errors.New("no token: set $VK_TOKEN or pass --token")}
	}
	ctx, cancel := context.WithCancel(cmdContext(cmd))
	defer cancel()
	errOut := cmd.ErrOrStderr()
	logger := slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	api := vkapi.New(token, vkapi.WithBaseURL(baseURL), vkapi.WithTokenKind(vkapi.KindUser))
	defer api.Close()
	pr := &userPrinter{linePrinter{out: cmd.OutOrStdout(), asJSON: asJSON, max: maxEvents, stop: cancel}}
	cfg := userlongpoll.Config{Handler: pr, Logger: logger,
		OnResync: func(e *userlongpoll.ResyncError) { fmt.Fprintln(errOut, "vk listen:", e) }}
	if queue.url != "" {
		return runUserToQueue(ctx, api, cfg, queue, pr, errOut)
	}
	if store != "" {
		cfg.Store = longpoll.NewFileStore(store)
	}
	p := userlongpoll.New(api, cfg)
	defer p.Close()
	fmt.Fprintln(errOut, "vk listen: User Long Poll of the token's user; Ctrl-C stops")
	err := p.Run(ctx)
	if err != nil && ctx.Err() == nil {
		return &exitError{code: 1, err: errors.New(inWords(err))}
	}
	return nil
}
