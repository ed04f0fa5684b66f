package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/userlongpoll"
)

// userUpdateLine is one User Long Poll update as vk listen --user prints it.
type userUpdateLine struct {
	Code      int             `json:"code"`
	MessageID int64           `json:"message_id,omitempty"`
	Flags     int64           `json:"flags,omitempty"`
	PeerID    int64           `json:"peer_id,omitempty"`
	Text      string          `json:"text,omitempty"`
	Raw       json.RawMessage `json:"raw,omitempty"` // the array, for other codes
}

func newUserUpdateLine(u *userlongpoll.Update) userUpdateLine {
	l := userUpdateLine{Code: u.Code}
	if m, err := u.Message(); err == nil {
		l.MessageID, l.Flags, l.PeerID, l.Text = m.MessageID, m.Flags, m.PeerID, m.Text
		return l
	}
	l.Raw, _ = json.Marshal(u.Fields)
	return l
}

func (l userUpdateLine) String() string {
	if l.Code == 4 || l.Code == 5 {
		return fmt.Sprintf("%d message %d peer %d flags %d %q", l.Code, l.MessageID, l.PeerID, l.Flags, l.Text)
	}
	return fmt.Sprintf("%d %s", l.Code, l.Raw)
}

// userPrinter prints User Long Poll updates, a line each.
type userPrinter struct{ linePrinter }

func (p *userPrinter) HandleUpdate(_ context.Context, u *userlongpoll.Update) error {
	return p.print(newUserUpdateLine(u))
}

// runUserListen is `vk listen --user`: the User Long Poll client of a user
// token, one line per update.
func runUserListen(cmd *cobra.Command, token, baseURL string, asJSON bool, maxEvents int) error {
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
	p := userlongpoll.New(api, userlongpoll.Config{Handler: pr, Logger: logger,
		OnResync: func(e *userlongpoll.ResyncError) { fmt.Fprintln(errOut, "vk listen:", e) }})
	defer p.Close()
	fmt.Fprintln(errOut, "vk listen: User Long Poll of the token's user; Ctrl-C stops")
	err := p.Run(ctx)
	if err != nil && ctx.Err() == nil {
		return &exitError{code: 1, err: errors.New(inWords(err))}
	}
	return nil
}
