package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkapi/upload"
)

func init() { register(newUploadCmd) }

func newUploadCmd() *cobra.Command {
	var (
		token, baseURL, kind string
		peer                 int64
		useMock, verbose     bool
		timeout              time.Duration
	)
	cmd := &cobra.Command{
		Use:   "upload photo|doc --peer ID FILE",
		Short: "Upload a photo or a document for a message and print its attachment string",
		Long: `Upload sends FILE to a conversation's upload server in the three steps of
VK uploads (get the upload server, POST the file, save it) through the vkapi
client and the upload package's remedies, and prints the attachment string
to pass to messages.send (attachment=...).

The token comes from --token or $VK_TOKEN (prefer $VK_TOKEN: command lines
are visible to other users). It goes to the API only, never to the upload
server. With --mock the upload goes to an in-process vkmock server with its
preloaded token of --kind.

Exit status: 0 on success, 1 when the upload failed, 2 on bad usage.`,
		Example: "  vk upload photo --peer 2000000001 testdata/examples/cat.jpg --mock\n  VK_TOKEN=... vk upload doc --peer 2000000001 report.pdf --kind group",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 || (args[0] != "photo" && args[0] != "doc") {
				return &exitError{code: 2, err: errors.New("upload needs photo or doc and a FILE")}
			}
			if peer == 0 {
				return &exitError{code: 2, err: errors.New("upload needs --peer")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			tk := vkapi.ParseTokenKind(kind)
			if tk != vkapi.KindUser && tk != vkapi.KindGroup {
				return &exitError{code: 2, err: fmt.Errorf("--kind must be user or group, not %q", kind)}
			}
			if err := checkUploadFile(args[0], args[1]); err != nil {
				return &exitError{code: 2, err: err}
			}
			ctx, cancel := context.WithTimeout(cmdContext(cmd), timeout)
			defer cancel()
			baseURL, token, err := target(ctx, useMock, baseURL, token, tk)
			if err != nil {
				return err
			}
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelDebug
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			client := vkapi.New(token, vkapi.WithBaseURL(baseURL), vkapi.WithTokenKind(tk), vkapi.WithLogger(logger))
			defer client.Close()
			up := upload.New(client, upload.Config{Logger: logger})
			defer up.Close()
			var att string
			if args[0] == "photo" {
				var p *upload.Photo
				if p, err = up.MessagePhoto(ctx, peer, upload.File(args[1])); err == nil {
					att = p.Attachment()
				}
			} else {
				var d *upload.Doc
				if d, err = up.MessageDoc(ctx, peer, upload.File(args[1])); err == nil {
					att = d.Attachment()
				}
			}
			if err != nil {
				return &exitError{code: 1, err: errors.New(inWords(err))}
			}
			fmt.Fprintln(cmd.OutOrStdout(), att)
			return nil
		},
	}
	f := cmd.Flags()
	f.Int64Var(&peer, "peer", 0, "peer_id of the conversation")
	f.StringVar(&token, "token", "", "access token (default $VK_TOKEN)")
	f.StringVar(&baseURL, "base-url", vkapi.DefaultBaseURL, "API server root; the client adds /method/NAME")
	f.BoolVar(&useMock, "mock", false, "upload to an in-process vkmock server instead of VK")
	f.StringVar(&kind, "kind", "group", "token kind: group or user")
	f.BoolVar(&verbose, "verbose", false, "log every attempt and remedy to standard error")
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long")

	return stopOnSignal(cmd)
}

// checkUploadFile refuses a FILE that cannot be read and, for a photo, one
// that is not an image (VK keeps it as no photo at all: "photo":"[]").
func checkUploadFile(kind, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if kind != "photo" {
		return nil
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return err
	}
	if ct := http.DetectContentType(head[:n]); !strings.HasPrefix(ct, "image/") {
		return fmt.Errorf("%s is not an image (%s): vk upload photo takes JPG, PNG or GIF; send other files with vk upload doc", name, ct)
	}
	return nil
}
