package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr"
)

func init() { register(newDecodeCmd) }

// maxDecodeInput bounds what vk decode and vk events read.
const maxDecodeInput = 64 << 20

// readInput reads the input of vk decode and vk events: the file args[0]
// names, or standard input (no argument, or "-"), at most maxDecodeInput
// bytes. A non-empty hint goes to standard error when standard input is a
// terminal. It returns the bytes and the input's name for messages; its
// errors exit with status 2.
func readInput(cmd *cobra.Command, args []string, hint string) ([]byte, string, error) {
	in := cmd.InOrStdin()
	name := "standard input"
	if len(args) == 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return nil, "", &exitError{code: 2, err: err}
		}
		defer f.Close()
		in, name = f, args[0]
	} else if hint != "" && stdinIsTerminal(in) {
		fmt.Fprintln(cmd.ErrOrStderr(), hint)
	}
	b, err := io.ReadAll(io.LimitReader(in, maxDecodeInput+1))
	if err != nil {
		return nil, "", &exitError{code: 2, err: fmt.Errorf("reading %s: %w", name, err)}
	}
	if len(b) > maxDecodeInput {
		return nil, "", &exitError{code: 2, err: fmt.Errorf("%s is larger than %d bytes", name, maxDecodeInput)}
	}
	return b, name, nil
}

// decoded is one error of a body, as vk decode --json and vk call --json
// print it; empty fields are left out. Every text is redacted.
type decoded struct {
	Code             int                 `json:"code,omitempty"`
	Subcode          int                 `json:"subcode,omitempty"`
	Name             string              `json:"name"`
	Message          string              `json:"message"`
	Text             string              `json:"text,omitempty"`
	Category         string              `json:"category,omitempty"`
	Method           string              `json:"method,omitempty"`
	CaptchaSID       string              `json:"captcha_sid,omitempty"`
	CaptchaImg       string              `json:"captcha_img,omitempty"`
	RedirectURI      string              `json:"redirect_uri,omitempty"`
	ConfirmationText string              `json:"confirmation_text,omitempty"`
	RequestParams    vkerr.RequestParams `json:"request_params,omitempty"`
	Shape            string              `json:"shape,omitempty"`
	Remedy           string              `json:"remedy,omitempty"`
}

// httpRemedy is the remedy of an HTTP-level failure, by language.
var httpRemedy = map[string]string{
	"en": "A failure below the API (proxy, gateway, network): retry the request with backoff if it is safe to repeat.",
	"ru": "Сбой ниже уровня API (прокси, шлюз, сеть): повторите запрос с экспоненциальной задержкой, если его безопасно повторять.",
}

func describe(err error, shape vkerr.Shape, lang string) decoded {
	r := vkerr.RedactString
	d := decoded{Shape: string(shape)}
	var (
		apiErr  *vkerr.Error
		adsErr  *vkerr.AdsError
		httpErr *vkerr.HTTPError
		upErr   *vkerr.UploadError
		oaErr   *vkerr.OAuthError
		lpErr   *vkerr.LongPollError
		stErr   *vkerr.StreamingError
	)
	switch {
	case errors.As(err, &apiErr):
		info := apiErr.Code.Info()
		d.Code, d.Subcode, d.Name = int(apiErr.Code), int(apiErr.Subcode), info.Name
		d.Message, d.Text, d.Method = r(apiErr.Message), r(apiErr.Text), r(apiErr.Method)
		d.Category, d.Remedy = info.Category.String(), info.Remedy(lang)
		d.CaptchaSID, d.CaptchaImg = r(apiErr.CaptchaSID), r(apiErr.CaptchaImg)
		d.RedirectURI, d.ConfirmationText = r(apiErr.RedirectURI), r(apiErr.ConfirmationText)
		d.RequestParams = apiErr.RequestParams
		if d.Message == "" {
			d.Message = info.Message(lang)
		}
	case errors.As(err, &adsErr):
		info := adsErr.Code.Info()
		d.Code, d.Name, d.Message = int(adsErr.Code), info.Name, r(adsErr.Desc)
		d.Category, d.Remedy = info.Category.String(), info.Remedy(lang)
		d.Method = "ads item " + strconv.Itoa(adsErr.Index)
		if d.Message == "" {
			d.Message = info.Message(lang)
		}
	case errors.As(err, &httpErr):
		d.Code, d.Name, d.Message = httpErr.StatusCode, "http_error", unprefixed(httpErr)
		d.Category, d.Remedy = vkerr.CategoryTransient.String(), httpRemedy[lang]
	case errors.As(err, &upErr):
		d.Code, d.Name, d.Message = upErr.Code, "upload_error_"+upErr.Shape, unprefixed(upErr)
		d.Category, d.Remedy = upErr.Category().String(), vkerr.Upload.Info().Remedy(lang)
	case errors.As(err, &oaErr):
		d.Name, d.Message, d.Category = "oauth_"+r(oaErr.Type), unprefixed(oaErr), oaErr.Category().String()
		d.CaptchaSID, d.CaptchaImg, d.RedirectURI = r(oaErr.CaptchaSID), r(oaErr.CaptchaImg), r(oaErr.RedirectURI)
		d.Remedy = oaErr.Remedy(lang)
	case errors.As(err, &stErr):
		d = describeStreaming(d, stErr, lang)
	case errors.As(err, &lpErr):
		d.Code, d.Name, d.Message = lpErr.Failed, "long_poll_failed_"+strconv.Itoa(lpErr.Failed), unprefixed(lpErr)
		d.Category, d.Remedy = lpErr.Category().String(), lpErr.Action().String()
	default:
		d.Name, d.Message = "error", inWords(err)
	}
	return d
}

func newDecodeCmd() *cobra.Command {
	var asJSON bool
	var lang string
	var status int
	cmd := &cobra.Command{
		Use:   "decode [FILE|-]",
		Short: "Explain every error in a raw VK response (body, or status, headers and body as curl -i prints them)",
		Long: `Decode reads what the VK platform answered, from FILE or standard input, and
explains each error in it: an API envelope, execute with execute_errors, ads.*
per-item results or a lone ads item, an upload server's answer, OAuth, Long
Poll, or an HTML, empty or truncated body.

The input is a body, or a whole HTTP response as "curl -i" prints it (status
line, headers, blank line, body): then a status other than 200 is reported as
the HTTP failure it is. --status gives the status of a bare body.

Exit status: 0 when the answer holds no error, 1 when it holds one or more,
2 when it is not a VK answer at all.`,
		Example: "  curl -si 'https://api.vk.com/method/users.get?v=5.199' | vk decode\n  vk decode testdata/examples/response.json --json\n  vk decode --status 502 testdata/examples/page.html",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lang, err := resolveLang(lang)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("status") && (status < 100 || status > 999) {
				return &exitError{code: 2, err: fmt.Errorf("--status must be an HTTP status (100-999), not %d", status)}
			}
			input, name, err := readInput(cmd, args, msg(lang, "readingStdin"))
			if err != nil {
				return err
			}
			rep, err := inspectInput(input, status)
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("%s: %s", name, inWords(err))}
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
				printDecoded(out, rep, list, lang)
			}
			if len(list) > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of the decoded errors")
	cmd.Flags().StringVar(&lang, "lang", "", langUsage)
	cmd.Flags().IntVar(&status, "status", 0, "HTTP status of the body (when the input has no status line of its own)")
	return cmd
}

// inspectInput decodes input, a body or a whole HTTP response; status, when
// not 0, is the HTTP status of a bare body. A status other than 200 makes
// an *HTTPError, as vkerr.CheckResponse does for a client.
func inspectInput(input []byte, status int) (*vkerr.Report, error) {
	body, ct := input, ""
	raw, isHTTP, err := parseRawResponse(input)
	if err != nil {
		return nil, err
	}
	if isHTTP {
		body, ct = raw.Body, raw.ContentType
		if status == 0 {
			status = raw.Status
		}
	}
	if status != 0 && status != http.StatusOK && !streamingBody(body) {
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body))}
		if ct != "" {
			resp.Header.Set("Content-Type", ct)
		}
		_, err := vkerr.CheckResponse(resp, maxDecodeInput)
		if err == nil {
			err = &vkerr.HTTPError{StatusCode: status, ContentType: ct, Reason: "unexpected status", Snippet: vkerr.RedactedSnippet(body)}
		}
		return &vkerr.Report{Shape: vkerr.ShapeHTTP, Errors: []error{err}}, nil
	}
	rep, err := vkerr.Inspect(body)
	if err != nil {
		return nil, err
	}
	for _, e := range rep.Errors {
		var he *vkerr.HTTPError
		if errors.As(e, &he) && ct != "" {
			he.ContentType = ct
		}
	}
	return rep, nil
}

// stdinIsTerminal is isTerminal; tests replace it.
var stdinIsTerminal = isTerminal

// isTerminal reports whether r is a terminal, where nothing is piped in.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// shapeWords says where the errors were found, by language.
var shapeWords = map[string]map[vkerr.Shape]string{
	"en": {
		vkerr.ShapeAPI: "in an API answer", vkerr.ShapeUpload: "in an upload server's answer", vkerr.ShapeOAuth: "in an OAuth answer",
		vkerr.ShapeLongPoll: "in a Long Poll answer", vkerr.ShapeHTTP: "in the HTTP response", vkerr.ShapeAdsItem: "in an ads.* item",
		vkerr.ShapeStreaming: "in a Streaming API answer",
	},
	"ru": {
		vkerr.ShapeAPI: "в ответе API", vkerr.ShapeUpload: "в ответе сервера загрузки", vkerr.ShapeOAuth: "в ответе OAuth",
		vkerr.ShapeLongPoll: "в ответе Long Poll", vkerr.ShapeHTTP: "в HTTP-ответе", vkerr.ShapeAdsItem: "в элементе ответа ads.*",
		vkerr.ShapeStreaming: "в ответе Streaming API",
	},
}

func printDecoded(w io.Writer, rep *vkerr.Report, list []decoded, lang string) {
	shape := shapeWords[lang][rep.Shape]
	if shape == "" {
		shape = string(rep.Shape)
	}
	switch {
	case len(list) == 0:
		fmt.Fprintf(w, msg(lang, "noError")+"\n", shape)
		return
	case len(list) == 1:
		fmt.Fprintf(w, msg(lang, "oneError")+"\n", shape)
	default:
		fmt.Fprintf(w, msg(lang, "nErrors")+"\n", len(list), errorsWord(lang, len(list)), shape)
	}
	for i, d := range list {
		fmt.Fprintf(w, "\n%d. ", i+1)
		printError(w, d, lang)
	}
}

// errorsWord is the plural of "error" for n.
func errorsWord(lang string, n int) string {
	if lang != "ru" {
		return "errors"
	}
	switch {
	case n%10 == 1 && n%100 != 11:
		return "ошибка"
	case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
		return "ошибки"
	}
	return "ошибок"
}

// printError prints one decoded error: its headline, then its fields.
func printError(w io.Writer, d decoded, lang string) {
	if d.Method != "" {
		fmt.Fprintf(w, "%s: ", d.Method)
	}
	// The code before the message: VK's messages carry numbers of their
	// own ("invalid access_token (4).").
	if d.Name != "error" {
		fmt.Fprintf(w, "%s %d", msg(lang, "code"), d.Code)
		if d.Subcode != 0 {
			fmt.Fprintf(w, ", %s %d", msg(lang, "subcode"), d.Subcode)
		}
		fmt.Fprintf(w, ", %s: ", d.Name)
	}
	fmt.Fprintln(w, d.Message)
	field := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "   %-19s %s\n", msg(lang, k)+":", v)
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

// messages are the words of decode and call, by language.
var messages = map[string]map[string]string{
	"en": {
		"readingStdin": "vk decode: reading the answer from standard input (paste it, then Ctrl-D), or give a FILE",
		"noError":      "No error %s.",
		"oneError":     "1 error %s:",
		"nErrors":      "%d %s %s:",
		"code":         "code", "subcode": "subcode",
		"category": "category", "text": "text", "captcha_sid": "captcha_sid", "captcha_img": "captcha_img",
		"redirect_uri": "redirect_uri", "confirmation_text": "confirmation_text", "request_params": "request_params",
		"remedy": "remedy",
	},
	"ru": {
		"readingStdin": "vk decode: читаю ответ со стандартного ввода (вставьте его и нажмите Ctrl-D) или укажите ФАЙЛ",
		"noError":      "Нет ошибок %s.",
		"oneError":     "1 ошибка %s:",
		"nErrors":      "%d %s %s:",
		"code":         "код", "subcode": "подкод",
		"category": "категория", "text": "текст", "captcha_sid": "captcha_sid", "captcha_img": "captcha_img",
		"redirect_uri": "redirect_uri", "confirmation_text": "текст подтверждения", "request_params": "параметры запроса",
		"remedy": "что делать",
	},
}

func msg(lang, key string) string {
	if m, ok := messages[lang][key]; ok {
		return m
	}
	return messages["en"][key]
}
