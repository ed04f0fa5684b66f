package vkerr

import (
	"iter"
	"slices"
	"strconv"
	"strings"
)

// Info is the catalogue's entry for one error code.
type Info struct {
	Code   Code   `json:"code"`
	Name   string `json:"name"`    // schema name, such as "api_error_captcha"
	GoName string `json:"go_name"` // name of the Go constant, such as "Captcha"
	// MessageEN is the English message as the API returns it in error_msg,
	// before any ": detail" suffix (the schema description).
	MessageEN string `json:"message_en"`
	// MessageRU is the Russian message: the words of VK's errors page for the
	// codes it lists, a translation of the schema description for the rest.
	MessageRU string `json:"message_ru"`
	// RemedyEN and RemedyRU say, in the same words, what a program or a
	// person should do.
	RemedyEN string `json:"remedy_en"`
	RemedyRU string `json:"remedy_ru"`
	// VKWordsRU is what VK's errors page says to do about the code, verbatim
	// (in Russian, with the page's links); empty for codes the page does not
	// explain. RemedyRU, not this, is the catalogue's advice.
	VKWordsRU string   `json:"vk_words_ru,omitempty"`
	Category  Category `json:"category"`
	Retry     Retry    `json:"retry"`
	// Global codes may be returned by any method; the others only by the
	// methods whose schema lists them.
	Global   bool          `json:"global"`
	Subcodes []SubcodeInfo `json:"subcodes"`
	Doc      string        `json:"doc"`  // documentation link (dev.vk.com)
	Seed     bool          `json:"seed"` // listed on VK's page of returned errors
	// Unknown is set on the Info made up for a code the catalogue lacks.
	Unknown bool `json:"unknown,omitempty"`
}

// Message returns the message in the language lang ("ru" or anything else
// for English).
func (i Info) Message(lang string) string {
	if isRussian(lang) {
		return i.MessageRU
	}
	return i.MessageEN
}

// Remedy returns the remedy in the language lang ("ru" or anything else for
// English).
func (i Info) Remedy(lang string) string {
	if isRussian(lang) {
		return i.RemedyRU
	}
	return i.RemedyEN
}

func isRussian(lang string) bool { return strings.HasPrefix(strings.ToLower(lang), "ru") }

// Lookup returns the catalogue entry of code. It reports false for a code
// the catalogue does not know; use Code.Info for an entry in any case.
func Lookup(code Code) (Info, bool) {
	i, ok := slices.BinarySearchFunc(catalogue[:], code, func(e Info, c Code) int { return int(e.Code) - int(c) })
	if !ok {
		return Info{}, false
	}
	return catalogue[i], true
}

var byName = func() map[string]Code {
	m := make(map[string]Code, 3*len(catalogue))
	for _, info := range catalogue {
		m[strings.ToLower(info.Name)] = info.Code
		m[strings.ToLower(info.GoName)] = info.Code
		m[strings.ToLower(strings.TrimPrefix(info.Name, "api_error_"))] = info.Code
	}
	return m
}()

// LookupName returns the catalogue entry named name: the schema name
// ("api_error_captcha"), the name without its prefix ("captcha"), or the Go
// constant's name ("Captcha"), in any case; or a decimal code ("14").
func LookupName(name string) (Info, bool) {
	name = strings.TrimSpace(name)
	if n, err := strconv.Atoi(name); err == nil {
		return Lookup(Code(n))
	}
	code, ok := byName[strings.ToLower(name)]
	if !ok {
		return Info{}, false
	}
	return Lookup(code)
}

// All yields every catalogue entry in order of code.
func All() iter.Seq[Info] {
	return func(yield func(Info) bool) {
		for _, info := range catalogue {
			if !yield(info) {
				return
			}
		}
	}
}

// NumCodes returns the number of codes in the catalogue.
func NumCodes() int { return len(catalogue) }

// UnknownInfo describes a code the catalogue does not know by the default of
// its category, so that every code can be explained.
func UnknownInfo(code Code) Info {
	return Info{
		Code:      code,
		Name:      "unknown",
		GoName:    "Code(" + strconv.Itoa(int(code)) + ")",
		MessageEN: "Unknown error code " + strconv.Itoa(int(code)),
		MessageRU: "Неизвестный код ошибки " + strconv.Itoa(int(code)),
		RemedyEN:  "The catalogue (VK API schema " + SchemaVersion + ") does not know this code. Do not retry the identical request; read error_msg for details and check the method's documentation.",
		RemedyRU:  "Каталог (схема VK API " + SchemaVersion + ") не знает этот код. Не повторяйте тот же запрос; подробности смотрите в error_msg и в описании метода.",
		Category:  DefaultCategory,
		Retry:     RetryNever,
		Doc:       "https://dev.vk.com/ru/reference/errors",
		Unknown:   true,
	}
}
