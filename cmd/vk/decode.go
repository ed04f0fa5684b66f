package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr"
)

func init() { register(newDecodeCmd) }

// maxDecodeInput bounds what vk decode reads.
const maxDecodeInput = 64 << 20

// decoded is one error of a body, as vk decode --json prints it.
type decoded struct {
	Code             int                 `json:"code"`
	Subcode          int                 `json:"subcode"`
	Name             string              `json:"name"`
	Message          string              `json:"message"`
	Text             string              `json:"text"`
	Category         string              `json:"category"`
	Method           string              `json:"method"`
	CaptchaSID       string              `json:"captcha_sid"`
	CaptchaImg       string              `json:"captcha_img"`
	RedirectURI      string              `json:"redirect_uri"`
	ConfirmationText string              `json:"confirmation_text"`
	RequestParams    vkerr.RequestParams `json:"request_params"`
	Shape            string              `json:"shape"`
	Remedy           string              `json:"remedy"`
}

func describe(err error, shape vkerr.Shape, lang string) decoded {
	d := decoded{Shape: string(shape), RequestParams: vkerr.RequestParams{}}
	var (
		apiErr  *vkerr.Error
		adsErr  *vkerr.AdsError
		httpErr *vkerr.HTTPError
		upErr   *vkerr.UploadError
		oaErr   *vkerr.OAuthError
		lpErr   *vkerr.LongPollError
	)
	switch {
	case errors.As(err, &apiErr):
		info := apiErr.Code.Info()
		d.Code, d.Subcode, d.Name = int(apiErr.Code), int(apiErr.Subcode), info.Name
		d.Message, d.Text, d.Method = vkerr.RedactString(apiErr.Message), vkerr.RedactString(apiErr.Text), apiErr.Method
		d.Category, d.Remedy = info.Category.String(), info.Remedy(lang)
		d.CaptchaSID, d.CaptchaImg = apiErr.CaptchaSID, vkerr.RedactString(apiErr.CaptchaImg)
		d.RedirectURI, d.ConfirmationText = vkerr.RedactString(apiErr.RedirectURI), apiErr.ConfirmationText
		if apiErr.RequestParams != nil {
			d.RequestParams = apiErr.RequestParams
		}
		if d.Message == "" {
			d.Message = info.MessageEN
		}
	case errors.As(err, &adsErr):
		info := adsErr.Code.Info()
		d.Code, d.Name, d.Message = int(adsErr.Code), info.Name, vkerr.RedactString(adsErr.Desc)
		d.Category, d.Remedy = info.Category.String(), info.Remedy(lang)
		d.Method = "ads item " + strconv.Itoa(adsErr.Index)
	case errors.As(err, &httpErr):
		d.Code, d.Name, d.Message = httpErr.StatusCode, "http_error", httpErr.Error()
		d.Category, d.Remedy = vkerr.CategoryTransient.String(), "Infrastructure failure: retry the request with backoff if it is safe to repeat."
	case errors.As(err, &upErr):
		d.Code, d.Name, d.Message = upErr.Code, "upload_error_"+upErr.Shape, upErr.Error()
		d.Category, d.Remedy = upErr.Category().String(), vkerr.Upload.Info().Remedy(lang)
	case errors.As(err, &oaErr):
		d.Name, d.Message, d.Category = "oauth_"+oaErr.Type, oaErr.Error(), oaErr.Category().String()
		d.CaptchaSID, d.CaptchaImg, d.RedirectURI = oaErr.CaptchaSID, oaErr.CaptchaImg, vkerr.RedactString(oaErr.RedirectURI)
	case errors.As(err, &lpErr):
		d.Code, d.Name, d.Message = lpErr.Failed, "long_poll_failed_"+strconv.Itoa(lpErr.Failed), lpErr.Error()
		d.Category, d.Remedy = lpErr.Category().String(), lpErr.Action().String()
	default:
		d.Name, d.Message = "error", vkerr.RedactString(err.Error())
	}
	return d
}

func newDecodeCmd() *cobra.Command {
	var asJSON bool
	var lang string
	cmd := &cobra.Command{
		Use:   "decode [FILE|-]",
		Short: "Explain every error in a raw VK response body",
		Long: `Decode reads a raw body the VK platform answered with (API envelope, execute
with execute_errors, ads.* per-item results, upload server, OAuth, Long Poll,
or an HTML/empty/truncated body) from FILE or standard input and explains each
error in it.

Exit status: 0 when the body holds no error, 1 when it holds one or more,
2 when it is not a VK response at all.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkLang(lang); err != nil {
				return err
			}
			in := cmd.InOrStdin()
			name := "standard input"
			if len(args) == 1 && args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return &exitError{code: 2, err: err}
				}
				defer f.Close()
				in, name = f, args[0]
			}
			body, err := io.ReadAll(io.LimitReader(in, maxDecodeInput+1))
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("reading %s: %w", name, err)}
			}
			if len(body) > maxDecodeInput {
				return &exitError{code: 2, err: fmt.Errorf("%s is larger than %d bytes", name, maxDecodeInput)}
			}
			rep, err := vkerr.Inspect(body)
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("%s: %w", name, err)}
			}
			out := cmd.OutOrStdout()
			list := make([]decoded, 0, len(rep.Errors))
			for _, e := range rep.Errors {
				list = append(list, describe(e, rep.Shape, lang))
			}
			if asJSON {
				if err := writeJSON(out, list); err != nil {
					return err
				}
			} else {
				printDecoded(out, rep, list)
			}
			if len(list) > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of the decoded errors")
	cmd.Flags().StringVar(&lang, "lang", defaultLang(), "language of remedies: ru or en (default from $LANG)")
	return cmd
}

func printDecoded(w io.Writer, rep *vkerr.Report, list []decoded) {
	if len(list) == 0 {
		fmt.Fprintf(w, "no error (%s answer)\n", rep.Shape)
		return
	}
	fmt.Fprintf(w, "%d error(s) in a %s answer\n", len(list), rep.Shape)
	for i, d := range list {
		fmt.Fprintf(w, "\n%d. ", i+1)
		printError(w, d)
	}
}

// printError prints one decoded error: its headline, then its fields.
func printError(w io.Writer, d decoded) {
	if d.Method != "" {
		fmt.Fprintf(w, "%s: ", d.Method)
	}
	fmt.Fprintf(w, "%s (code %d", d.Message, d.Code)
	if d.Subcode != 0 {
		fmt.Fprintf(w, ", subcode %d", d.Subcode)
	}
	fmt.Fprintf(w, ", %s)\n", d.Name)
	field := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "   %-18s %s\n", k+":", v)
		}
	}
	field("category", d.Category)
	field("text", d.Text)
	field("captcha_sid", d.CaptchaSID)
	field("captcha_img", d.CaptchaImg)
	field("redirect_uri", d.RedirectURI)
	field("confirmation_text", d.ConfirmationText)
	if len(d.RequestParams) > 0 {
		field("request_params", d.RequestParams.String())
	}
	field("remedy", d.Remedy)
}
