package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vkerr/vkerr"
)

func init() { register(newExplainCmd) }

// defaultLang picks the language from $LANG: Russian when it starts with
// "ru", else English.
func defaultLang() string {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			if strings.HasPrefix(strings.ToLower(l), "ru") {
				return "ru"
			}
			return "en"
		}
	}
	return "en"
}

// langUsage is the help of every --lang flag.
const langUsage = "language of messages and remedies: ru or en (when not given: ru if $LC_ALL, $LC_MESSAGES or $LANG starts with ru, else en)"

// resolveLang checks --lang; an empty value takes the default from the
// environment.
func resolveLang(lang string) (string, error) {
	if lang == "" {
		return defaultLang(), nil
	}
	if lang != "ru" && lang != "en" {
		return "", &exitError{code: 2, err: fmt.Errorf("--lang must be ru or en, not %q", lang)}
	}
	return lang, nil
}

func newExplainCmd() *cobra.Command {
	var lang string
	var asJSON, all bool
	var method string
	cmd := &cobra.Command{
		Use:   "explain CODE|NAME",
		Short: "Explain a VK API error code: message, remedy, category, retry advice",
		Long: `Explain prints the catalogue entry of a VK API error code, given by number
(14), schema name (api_error_captcha), short name (captcha) or Go name
(Captcha). An unknown code is explained by its category default. The
Streaming API's codes are named streaming:N or by name (streaming_tag_exists).

With --all --json it prints every code as a JSON array. With --method it
prints the errors the schema lists for a method, with their remedies.`,
		Example: "  vk explain 14\n  vk explain too_many --lang ru\n  vk explain --all --json\n  vk explain --method messages.send",
		Args: func(cmd *cobra.Command, args []string) error {
			if (all || method != "") && len(args) == 0 || !all && method == "" && len(args) == 1 {
				return nil
			}
			return &exitError{code: 2, err: fmt.Errorf("explain takes one CODE or NAME, or --all")}
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			lang, err := resolveLang(lang)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if method != "" {
				return explainMethod(out, method, lang, asJSON)
			}
			if all {
				var infos []vkerr.Info
				for info := range vkerr.All() {
					infos = append(infos, info)
				}
				if asJSON {
					return writeJSON(out, infos)
				}
				printAll(out, infos, lang)
				return nil
			}
			if sinfo, ok := lookupStreamingArg(args[0]); ok {
				if asJSON {
					return writeJSON(out, sinfo)
				}
				printStreamingInfo(out, sinfo, lang)
				return nil
			}
			info, err := lookupArg(args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(out, info)
			}
			printInfo(out, info, lang)
			streamingAlso(out, info.Code, lang)
			return nil
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "", langUsage)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&all, "all", false, "explain every code of the catalogue")
	cmd.Flags().StringVar(&method, "method", "", "explain the errors the schema lists for a method (messages.send)")
	return cmd
}

// printAll prints one line per code, in columns as wide as their widest
// cell.
func printAll(w io.Writer, infos []vkerr.Info, lang string) {
	nameW, catW := 0, 0
	for _, info := range infos {
		nameW = max(nameW, len(info.GoName))
		catW = max(catW, len(info.Category.String()))
	}
	for _, info := range infos {
		fmt.Fprintf(w, "%5d  %-*s  %-*s  %s\n", info.Code, nameW, info.GoName, catW, info.Category.String(), info.Message(lang))
	}
}

func lookupArg(arg string) (vkerr.Info, error) {
	if info, ok := vkerr.LookupName(arg); ok {
		return info, nil
	}
	if n, err := strconv.Atoi(strings.TrimSpace(arg)); err == nil {
		return vkerr.UnknownInfo(vkerr.Code(n)), nil
	}
	return vkerr.Info{}, &exitError{code: 2, err: fmt.Errorf("no VK API error is named %q (try a number, or vk explain --all)", arg)}
}

// writeJSON writes v as indented JSON; nil slices of Info are written as [].
func writeJSON(w io.Writer, v any) error {
	switch x := v.(type) {
	case vkerr.Info:
		if x.Subcodes == nil {
			x.Subcodes = []vkerr.SubcodeInfo{}
		}
		v = x
	case []vkerr.Info:
		for i := range x {
			if x[i].Subcodes == nil {
				x[i].Subcodes = []vkerr.SubcodeInfo{}
			}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

var labels = map[string][]string{
	//        0          1           2         3         4           5          6         7
	"en": {"Message", "Category", "Retry", "Global", "Remedy", "Subcodes", "Docs", "VK's words"},
	"ru": {"Сообщение", "Категория", "Повтор", "Глобальная", "Что делать", "Подкоды", "Документация", "Слова VK"},
}

func printInfo(w io.Writer, info vkerr.Info, lang string) {
	l := labels[lang]
	if info.Unknown {
		if lang == "ru" {
			fmt.Fprintf(w, "%d: код неизвестен каталогу (схема VK API %s); объяснение по умолчанию для категории %s\n\n", info.Code, vkerr.SchemaVersion, info.Category)
		} else {
			fmt.Fprintf(w, "%d: unknown code (not in the VK API %s schema); explained by the default of category %s\n\n", info.Code, vkerr.SchemaVersion, info.Category)
		}
	} else {
		fmt.Fprintf(w, "%d %s (%s)\n\n", info.Code, info.GoName, info.Name)
	}
	row := func(label, value string) { fmt.Fprintf(w, "%-13s %s\n", pad(label), value) }
	messageRows(row, l, lang, info.Message(lang), info.MessageEN, info.Category, info.Retry)
	row(l[3], globalText[lang][globalKey(info)])
	row(l[4], info.Remedy(lang))
	if info.VKWordsRU != "" {
		row(l[7], "«"+info.VKWordsRU+"» ("+vkWordsSource[lang]+")")
	}
	for i, s := range info.Subcodes {
		label := ""
		if i == 0 {
			label = l[5]
		}
		msg := s.MessageEN
		if lang == "ru" {
			msg = s.MessageRU
		}
		if s.Undefined {
			fmt.Fprintf(w, "%-13s %s (value not defined by the schema)\n", pad(label), s.Name)
			continue
		}
		fmt.Fprintf(w, "%-13s %d %s: %s\n", pad(label), s.Subcode, s.Name, msg)
	}
	row(l[6], info.Doc)
}

// globalKey says whether any method may return the code: yes, no, or
// unknown for a code the catalogue lacks.
func globalKey(info vkerr.Info) string {
	switch {
	case info.Unknown:
		return "unknown"
	case info.Global:
		return "yes"
	}
	return "no"
}

// globalText says the same facts in both languages.
var globalText = map[string]map[string]string{
	"en": {
		"yes":     "yes: any method may return it",
		"no":      "no: only methods whose schema lists it return it",
		"unknown": "unknown: the code is not in the schema, so which methods return it is not known",
	},
	"ru": {
		"yes":     "да: её может вернуть любой метод",
		"no":      "нет: её возвращают только методы, в схеме которых она указана",
		"unknown": "неизвестно: кода нет в схеме, поэтому неизвестно, какие методы его возвращают",
	},
}

// vkWordsSource names where VK's words come from.
var vkWordsSource = map[string]string{
	"en": "VK's errors page, verbatim, in Russian",
	"ru": "страница ошибок VK, дословно",
}

var categoryRU = map[vkerr.Category]string{
	vkerr.CategoryTransient:    "временный сбой сервера",
	vkerr.CategoryRateLimit:    "ограничение частоты",
	vkerr.CategoryUserAction:   "требуется действие пользователя",
	vkerr.CategoryAuth:         "ошибка авторизации",
	vkerr.CategoryPermission:   "нет прав",
	vkerr.CategoryNotFound:     "объект не найден",
	vkerr.CategoryInvalidInput: "неверный запрос",
	vkerr.CategoryQuota:        "исчерпан лимит объектов",
	vkerr.CategoryFeatureState: "состояние объекта или функции",
}

var retryRU = map[vkerr.Retry]string{
	vkerr.RetryNever:      "не повторять тот же запрос",
	vkerr.RetryShortDelay: "повторить через короткую паузу (около секунды)",
	vkerr.RetryBackoff:    "повторить с экспоненциальной задержкой, не более нескольких раз",
	vkerr.RetryCooldown:   "повторить только после долгой паузы (от минут до суток)",
	vkerr.RetryUserAction: "повторить после того, как пользователь выполнит проверку",
}

func pad(label string) string {
	if label == "" {
		return ""
	}
	return label + ":"
}

// messageRows prints the rows an API code and a Streaming code share: the
// message (VK's English under the Russian), the category and the retry
// advice, each with its words in lang.
func messageRows(row func(label, value string), l []string, lang, message, messageEN string, cat vkerr.Category, retry vkerr.Retry) {
	row(l[0], message)
	if lang == "ru" {
		row("", "("+messageEN+")")
	}
	catText, retryText := strings.TrimPrefix(cat.Error(), "vk: "), retry.Describe()
	if lang == "ru" {
		catText, retryText = categoryRU[cat], retryRU[retry]
	}
	row(l[1], cat.String()+" — "+catText)
	row(l[2], retry.String()+" — "+retryText)
}
