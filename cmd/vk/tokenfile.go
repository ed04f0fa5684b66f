package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/vkerr/vkerr/vkoauth"
)

// The token file: `vk login` writes it (mode 0600) and `vk call`, `vk
// listen` and `vk upload` read its first token when neither --token nor
// $VK_TOKEN is given. $VK_TOKEN_FILE names it; the default is vk/token.json
// under the user's configuration directory.

// tokenFile is the file's JSON: the tokens of one login, first the one the
// commands use.
type tokenFile struct {
	Tokens []savedEntry `json:"tokens"`
}

type savedEntry struct {
	AccessToken string    `json:"access_token"`
	Kind        string    `json:"kind"`
	UserID      int64     `json:"user_id,omitempty"`
	GroupID     int64     `json:"group_id,omitempty"`
	Expires     time.Time `json:"expires,omitzero"`
}

// maxTokenFile bounds the file a command reads.
const maxTokenFile = 1 << 20

// tokenFilePath is $VK_TOKEN_FILE, or vk/token.json in the user's
// configuration directory.
func tokenFilePath() (string, error) {
	if p := os.Getenv("VK_TOKEN_FILE"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no place for the token file (set $VK_TOKEN_FILE): %w", err)
	}
	return filepath.Join(dir, "vk", "token.json"), nil
}

// envOrSavedToken is $VK_TOKEN or, when it is empty and withFile, the
// first token of the token file ("" when there is none or it cannot be
// read). A command against an in-process mock passes withFile false: a
// saved token is not one of the mock's.
func envOrSavedToken(withFile bool) string {
	if tok := os.Getenv("VK_TOKEN"); tok != "" || !withFile {
		return tok
	}
	p, err := tokenFilePath()
	if err != nil {
		return ""
	}
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	var tf tokenFile
	if err := json.NewDecoder(io.LimitReader(f, maxTokenFile)).Decode(&tf); err != nil || len(tf.Tokens) == 0 {
		return ""
	}
	return tf.Tokens[0].AccessToken
}

// saveTokens writes the tokens to path with mode 0600 (its directory
// 0700), through a temporary file renamed over it.
func saveTokens(path string, toks []vkoauth.Token) error {
	if len(toks) == 0 {
		return errors.New("no token to save")
	}
	tf := tokenFile{}
	for _, t := range toks {
		tf.Tokens = append(tf.Tokens, savedEntry{AccessToken: string(t.AccessToken), Kind: t.Kind.String(), UserID: t.UserID, GroupID: t.GroupID, Expires: t.Expires})
	}
	b, err := json.MarshalIndent(tf, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".token-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
