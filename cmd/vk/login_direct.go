package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vkerr/vkerr/vkapi"
	"github.com/vkerr/vkerr/vkmock"
	"github.com/vkerr/vkerr/vkoauth"
)

// prompter asks questions on the terminal: the question to out, the
// answer a line of in.
type prompter struct {
	in  *bufio.Reader
	out io.Writer
	// tty is the terminal in reads, if it is one: the password is read
	// from it without echo.
	tty *os.File
	// hint, for --mock, tells the answer the mock expects.
	hint func(what string) string
}

// maxAnswer bounds a line of the terminal.
const maxAnswer = 4096

// ask writes the question and reads one line, without its end of line. A
// closed input before any answer is an error.
func (p *prompter) ask(ctx context.Context, question string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	fmt.Fprint(p.out, question)
	var b strings.Builder
	for {
		line, isPrefix, err := p.in.ReadLine()
		b.Write(line)
		if b.Len() > maxAnswer {
			return "", errors.New("the answer is longer than 4096 bytes")
		}
		if err != nil {
			if err == io.EOF && b.Len() > 0 {
				break
			}
			return "", fmt.Errorf("reading the answer: %w", err)
		}
		if !isPrefix {
			break
		}
	}
	return strings.TrimSpace(b.String()), nil
}

// askSecret asks for a secret: without echo on a terminal, else as ask.
func (p *prompter) askSecret(ctx context.Context, question string) (string, error) {
	if p.tty == nil {
		return p.ask(ctx, question)
	}
	fmt.Fprint(p.out, question)
	b, err := term.ReadPassword(int(p.tty.Fd()))
	fmt.Fprintln(p.out)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	if len(b) > maxAnswer {
		return "", errors.New("the answer is longer than 4096 bytes")
	}
	return strings.TrimSpace(string(b)), nil
}

func (p *prompter) note(what string) string {
	if p.hint == nil {
		return ""
	}
	return p.hint(what)
}

// solveCaptcha shows the captcha's picture URL and asks for its text.
func (p *prompter) solveCaptcha(ctx context.Context, c *vkapi.Captcha) (vkapi.CaptchaAnswer, error) {
	key, err := p.ask(ctx, fmt.Sprintf("VK asks for a captcha (attempt %d): open %s%s\nType the text of the picture: ", c.Attempt, c.Img, p.note("captcha")))
	return vkapi.CaptchaAnswer{Key: key}, err
}

// solveCode asks for the code of the second factor.
func (p *prompter) solveCode(ctx context.Context, t *vkoauth.TwoFactor) (string, error) {
	where := "the authenticator app"
	if t.Type == "2fa_sms" {
		where = "the SMS sent to " + t.PhoneMask
	}
	again := ""
	if t.Attempt > 1 {
		again = " (the last one was not accepted)"
	}
	return p.ask(ctx, fmt.Sprintf("Two-factor authentication%s: enter the code from %s%s: ", again, where, p.note("code")))
}

// loginDirect runs direct authorization, asking on the terminal for the
// password (unless $VK_PASSWORD is set), a captcha and the 2FA code.
func loginDirect(ctx context.Context, cmd *cobra.Command, c *vkoauth.Client, lf loginFlags, mock *vkmock.Server) ([]vkoauth.Token, error) {
	scope, err := vkoauth.ParseScope(lf.scope)
	if err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("--scope: %w", err)}
	}
	p := &prompter{in: bufio.NewReaderSize(cmd.InOrStdin(), maxAnswer), out: cmd.ErrOrStderr()}
	if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = f
	}
	if mock != nil {
		p.hint = func(what string) string {
			pend := mock.OAuth().Pending()
			switch {
			case what == "captcha" && len(pend.Captchas) > 0:
				return " (vkmock: the text is " + pend.Captchas[len(pend.Captchas)-1].Key + ")"
			case what == "code" && len(pend.TwoFA) > 0:
				return " (vkmock: the code is " + pend.TwoFA[0].Code + ")"
			}
			return ""
		}
	}
	password := os.Getenv("VK_PASSWORD")
	if password == "" {
		if password, err = p.askSecret(ctx, "Password for "+lf.username+": "); err != nil {
			return nil, err
		}
	}
	tok, err := c.Direct(ctx, vkoauth.DirectRequest{
		Username: lf.username, Password: vkoauth.Secret(password), Scope: scope, ForceSMS: lf.forceSMS,
		Captcha:   vkapi.CaptchaSolverFunc(p.solveCaptcha),
		TwoFactor: vkoauth.CodeSolverFunc(p.solveCode),
	})
	if err != nil {
		return nil, err
	}
	return []vkoauth.Token{tok}, nil
}
