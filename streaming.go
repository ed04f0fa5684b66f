package vkerr

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// StreamingCode is an error code of the Streaming API, the error_code of
// its {"code":400,"error":{"message","error_code"}} answers. The Streaming
// API numbers its errors on its own: StreamingCode 1000 is not the API's
// Code 1000. Like Code, a StreamingCode is an error that matches its
// category: errors.Is(StreamingTooManyRules, ErrQuota) is true.
type StreamingCode int

// The Streaming API's error codes (VK's "Streaming API" pages; the Go SDK
// SevereCloud/vksdk names the same set). VK documents no 2007.
const (
	StreamingBadUpgrade        StreamingCode = 1000 // the WebSocket upgrade parameters are wrong
	StreamingUnsupportedMethod StreamingCode = 1001 // unsupported HTTP method
	StreamingBadContentType    StreamingCode = 1002 // Content-Type absent or wrong
	StreamingNoKey             StreamingCode = 1003 // key absent
	StreamingBadKey            StreamingCode = 1004 // key invalid
	StreamingBadStreamID       StreamingCode = 1005 // stream_id invalid
	StreamingAlreadyConnected  StreamingCode = 1006 // a connection with these parameters is already established
	StreamingInvalidJSON       StreamingCode = 2000 // invalid JSON
	StreamingTagExists         StreamingCode = 2001 // a rule with this tag already exists
	StreamingTagNotFound       StreamingCode = 2002 // no rule with this tag
	StreamingInvalidRule       StreamingCode = 2003 // invalid rule
	StreamingTooManyFilters    StreamingCode = 2004 // too many filters in one rule
	StreamingUnbalancedQuotes  StreamingCode = 2005 // unbalanced quotes
	StreamingTooManyRules      StreamingCode = 2006 // too many rules in the stream
	StreamingMinusOnly         StreamingCode = 2008 // a rule of minus-words only
)

// StreamingDoc is the page of VK's documentation that lists the Streaming
// API's errors.
const StreamingDoc = "https://dev.vk.com/ru/api/streaming/getting-started"

// StreamingInfo is the catalogue entry of a Streaming API error code.
type StreamingInfo struct {
	Code      StreamingCode `json:"code"`
	Name      string        `json:"name"`    // such as "streaming_tag_exists"
	GoName    string        `json:"go_name"` // such as "StreamingTagExists"
	MessageEN string        `json:"message_en"`
	MessageRU string        `json:"message_ru"`
	RemedyEN  string        `json:"remedy_en"`
	RemedyRU  string        `json:"remedy_ru"`
	Category  Category      `json:"category"`
	Retry     Retry         `json:"retry"`
	Doc       string        `json:"doc"`
	// Unknown is set on the entry made up for a code the catalogue lacks.
	Unknown bool `json:"unknown,omitempty"`
}

// Message returns the message in lang ("ru", or anything else for English).
func (i StreamingInfo) Message(lang string) string {
	if isRussian(lang) {
		return i.MessageRU
	}
	return i.MessageEN
}

// Remedy returns the remedy in lang ("ru", or anything else for English).
func (i StreamingInfo) Remedy(lang string) string {
	if isRussian(lang) {
		return i.RemedyRU
	}
	return i.RemedyEN
}

// streamingCatalogue is the Streaming API's error table, in code order.
var streamingCatalogue = []StreamingInfo{
	{StreamingBadUpgrade, "streaming_bad_upgrade", "StreamingBadUpgrade",
		"The parameters of the WebSocket upgrade are wrong",
		"Неверно переданы параметры для перехода на WebSocket",
		"Connect to /stream with a WebSocket client (GET with Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Key and Sec-WebSocket-Version: 13).",
		"Подключайтесь к /stream клиентом WebSocket (GET с заголовками Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Key и Sec-WebSocket-Version: 13).",
		CategoryInvalidInput, RetryNever, StreamingDoc, false},
	{StreamingUnsupportedMethod, "streaming_unsupported_method", "StreamingUnsupportedMethod",
		"Unsupported HTTP method",
		"Неподдерживаемый HTTP-метод",
		"Use GET to read the rules, POST to add one and DELETE to remove one; the stream takes GET only.",
		"Читайте правила методом GET, добавляйте методом POST, удаляйте методом DELETE; поток принимает только GET.",
		CategoryInvalidInput, RetryNever, StreamingDoc, false},
	{StreamingBadContentType, "streaming_bad_content_type", "StreamingBadContentType",
		"The Content-Type header is absent or wrong",
		"Заголовок Content-Type отсутствует или неверен",
		"Send the body of POST and DELETE /rules as JSON with Content-Type: application/json.",
		"Отправляйте тело POST и DELETE /rules в JSON с заголовком Content-Type: application/json.",
		CategoryInvalidInput, RetryNever, StreamingDoc, false},
	{StreamingNoKey, "streaming_no_key", "StreamingNoKey",
		"The key parameter is absent",
		"Не передан параметр key",
		"Pass the key that streaming.getServerUrl returned as ?key=.",
		"Передайте в ?key= ключ, который вернул streaming.getServerUrl.",
		CategoryAuth, RetryNever, StreamingDoc, false},
	{StreamingBadKey, "streaming_bad_key", "StreamingBadKey",
		"The key parameter is invalid",
		"Неверный параметр key",
		"Get a new endpoint and key with streaming.getServerUrl (service token) and use them.",
		"Получите новые endpoint и key методом streaming.getServerUrl (сервисный ключ) и используйте их.",
		CategoryAuth, RetryNever, StreamingDoc, false},
	{StreamingBadStreamID, "streaming_bad_stream_id", "StreamingBadStreamID",
		"The stream_id parameter is invalid",
		"Неверный параметр stream_id",
		"Leave stream_id out, or pass a non-negative integer.",
		"Не передавайте stream_id или передайте неотрицательное целое число.",
		CategoryInvalidInput, RetryNever, StreamingDoc, false},
	{StreamingAlreadyConnected, "streaming_already_connected", "StreamingAlreadyConnected",
		"A connection with these parameters is already established",
		"Соединение с такими параметрами уже установлено",
		"Keep one connection per key: close the other one; after a drop, retry with backoff until the server has let the old connection go.",
		"Держите одно соединение на ключ: закройте другое; после обрыва повторяйте с экспоненциальной задержкой, пока сервер не отпустит старое соединение.",
		CategoryFeatureState, RetryBackoff, StreamingDoc, false},
	{StreamingInvalidJSON, "streaming_invalid_json", "StreamingInvalidJSON",
		"Invalid JSON",
		"Неверный JSON",
		`Send {"rule":{"value":"...","tag":"..."}} to add a rule and {"tag":"..."} to delete one.`,
		`Отправляйте {"rule":{"value":"...","tag":"..."}} для добавления правила и {"tag":"..."} для удаления.`,
		CategoryInvalidInput, RetryNever, StreamingDoc, false},
	{StreamingTagExists, "streaming_tag_exists", "StreamingTagExists",
		"A rule with this tag has already been added",
		"Правило с таким тегом уже добавлено",
		"The rule is there already: treat it as done, or delete the tag first to change its value.",
		"Правило уже есть: считайте добавление выполненным или сначала удалите тег, чтобы изменить значение.",
		CategoryFeatureState, RetryNever, StreamingDoc, false},
	{StreamingTagNotFound, "streaming_tag_not_found", "StreamingTagNotFound",
		"There is no rule with this tag",
		"Правила с таким тегом нет",
		"The rule is gone already: treat the deletion as done; list the rules to see the tags.",
		"Правила уже нет: считайте удаление выполненным; список тегов даёт GET /rules.",
		CategoryNotFound, RetryNever, StreamingDoc, false},
	{StreamingInvalidRule, "streaming_invalid_rule", "StreamingInvalidRule",
		"Invalid rule",
		"Неверное правило",
		"Give the rule a non-empty value (at most 4096 bytes) and a non-empty tag (at most 256 bytes).",
		"Задайте правилу непустое значение (не больше 4096 байт) и непустой тег (не больше 256 байт).",
		CategoryInvalidInput, RetryNever, StreamingDoc, false},
	{StreamingTooManyFilters, "streaming_too_many_filters", "StreamingTooManyFilters",
		"Too many filters in one rule",
		"Слишком много фильтров в одном правиле",
		"Keep a rule to at most 100 keywords; split it into several rules.",
		"Оставьте в правиле не больше 100 ключевых слов; разбейте его на несколько правил.",
		CategoryInvalidInput, RetryNever, StreamingDoc, false},
	{StreamingUnbalancedQuotes, "streaming_unbalanced_quotes", "StreamingUnbalancedQuotes",
		"Unbalanced quotes",
		"Непарные кавычки",
		`Close every double quote of the rule's value: "exact phrase".`,
		`Закройте каждую двойную кавычку в значении правила: "точная фраза".`,
		CategoryInvalidInput, RetryNever, StreamingDoc, false},
	{StreamingTooManyRules, "streaming_too_many_rules", "StreamingTooManyRules",
		"Too many rules in this stream",
		"Слишком много правил в потоке",
		"A stream holds at most 300 rules: delete the rules you no longer need.",
		"В потоке не больше 300 правил: удалите ненужные.",
		CategoryQuota, RetryNever, StreamingDoc, false},
	{StreamingMinusOnly, "streaming_minus_only", "StreamingMinusOnly",
		"A rule cannot have minus-words only",
		"Правило не может состоять только из минус-слов",
		"Add at least one keyword without a minus to the rule.",
		"Добавьте в правило хотя бы одно слово без минуса.",
		CategoryInvalidInput, RetryNever, StreamingDoc, false},
}

// LookupStreaming returns the catalogue entry of a Streaming API code.
func LookupStreaming(c StreamingCode) (StreamingInfo, bool) {
	for _, info := range streamingCatalogue {
		if info.Code == c {
			return info, true
		}
	}
	return StreamingInfo{}, false
}

// LookupStreamingName finds a Streaming API code by its name
// ("streaming_tag_exists", or without the prefix: "tag_exists"), its Go
// name ("StreamingTagExists"), or "streaming:N" / "streaming_N" for its
// number; case does not matter.
func LookupStreamingName(name string) (StreamingInfo, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, sep := range []string{"streaming:", "streaming_", "streaming "} {
		if rest, ok := strings.CutPrefix(n, sep); ok {
			if c, err := strconv.Atoi(rest); err == nil {
				return LookupStreaming(StreamingCode(c))
			}
		}
	}
	for _, info := range streamingCatalogue {
		if n == info.Name || n == strings.TrimPrefix(info.Name, "streaming_") || n == strings.ToLower(info.GoName) {
			return info, true
		}
	}
	return StreamingInfo{}, false
}

// AllStreaming lists the Streaming API's codes in order.
func AllStreaming() []StreamingInfo {
	return append([]StreamingInfo(nil), streamingCatalogue...)
}

// Info returns the code's entry; an unknown code gets one made up with
// DefaultCategory.
func (c StreamingCode) Info() StreamingInfo {
	if info, ok := LookupStreaming(c); ok {
		return info
	}
	return StreamingInfo{Code: c, Name: "streaming_" + strconv.Itoa(int(c)), GoName: "StreamingCode(" + strconv.Itoa(int(c)) + ")",
		MessageEN: "Unknown Streaming API error", MessageRU: "Неизвестная ошибка Streaming API",
		RemedyEN: "The catalogue does not know this code: do not repeat the request as it is.",
		RemedyRU: "Каталог не знает этот код: не повторяйте запрос без изменений.",
		Category: DefaultCategory, Retry: RetryNever, Doc: StreamingDoc, Unknown: true}
}

// Category returns the code's category (DefaultCategory when unknown).
func (c StreamingCode) Category() Category { return c.Info().Category }

// Retry returns the catalogue's retry advice for the code.
func (c StreamingCode) Retry() Retry { return c.Info().Retry }

// Known reports whether the catalogue describes the code.
func (c StreamingCode) Known() bool {
	_, ok := LookupStreaming(c)
	return ok
}

// String returns the Go name of the code, such as "StreamingTagExists".
func (c StreamingCode) String() string { return c.Info().GoName }

// Error is "vk streaming: " with the English message and the number.
func (c StreamingCode) Error() string {
	return "vk streaming: " + c.Info().MessageEN + " (" + strconv.Itoa(int(c)) + ")"
}

// Is reports whether the code belongs to the category target.
func (c StreamingCode) Is(target error) bool {
	t, ok := target.(Category)
	return ok && c.Category() == t
}

// StreamingError is an error answer of the Streaming API: on the rules
// endpoint, on the stream's upgrade, or as a message of the stream. It
// matches its StreamingCode and its category with errors.Is.
type StreamingError struct {
	Code StreamingCode
	// Message is the message the server sent, redacted by Error.
	Message string
	// HTTPStatus is the status of the HTTP answer; 0 for a message that
	// came on the stream.
	HTTPStatus int
}

// Category returns the category of the code.
func (e *StreamingError) Category() Category { return e.Code.Category() }

// Retry returns the retry advice of the code.
func (e *StreamingError) Retry() Retry { return e.Code.Retry() }

// Is matches the error's StreamingCode and category.
func (e *StreamingError) Is(target error) bool {
	switch t := target.(type) {
	case StreamingCode:
		return e.Code == t
	case Category:
		return e.Category() == t
	}
	return false
}

func (e *StreamingError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Code.Info().MessageEN
	}
	return "vk streaming: " + RedactShort(RedactString(msg), 200) + " (" + strconv.Itoa(int(e.Code)) + ")"
}

// The codes of the Streaming API's messages.
const (
	StreamingMessageEvent   = 100 // {"code":100,"event":{...}}
	StreamingMessageOK      = 200 // {"code":200} or {"code":200,"rules":[...]}
	StreamingMessageService = 300 // {"code":300,"service_message":{...}}
	StreamingMessageError   = 400 // {"code":400,"error":{...}}
)

// StreamingService is a service message of the stream (code 300).
type StreamingService struct {
	Message     string `json:"message"`
	ServiceCode int    `json:"service_code"`
}

// StreamingMessage is one message of the Streaming API other than an error:
// an event (Code 100), a success of the rules endpoint (200, with Rules for
// GET) or a service message (300).
type StreamingMessage struct {
	Code    int
	Event   json.RawMessage   // code 100
	Rules   json.RawMessage   // code 200 of GET /rules; may be null
	Service *StreamingService // code 300
}

// DecodeStreaming decodes an answer of the rules endpoint or a message of
// the stream. A code-400 answer is a *StreamingError (HTTPStatus 0: the
// caller sets it); a body that is not a Streaming API message is a
// *FormatError.
func DecodeStreaming(body []byte) (*StreamingMessage, error) {
	// A struct of raw fields, not a map: the stream's hot path.
	var raw struct {
		Code    json.RawMessage `json:"code"`
		Event   json.RawMessage `json:"event"`
		Rules   json.RawMessage `json:"rules"`
		Service json.RawMessage `json:"service_message"`
		Error   json.RawMessage `json:"error"`
	}
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &raw) != nil {
		return nil, &FormatError{Reason: "not a Streaming API message (a JSON object)", Snippet: RedactedSnippet(body)}
	}
	code, err := flexInt(raw.Code)
	if err != nil || raw.Code == nil || isNull(raw.Code) {
		return nil, &FormatError{Reason: "Streaming API message without a numeric code", Snippet: RedactedSnippet(body)}
	}
	m := &StreamingMessage{Code: int(code)}
	switch code {
	case StreamingMessageEvent:
		if !isObject(raw.Event) {
			return nil, &FormatError{Reason: "code 100 without an event object", Snippet: RedactedSnippet(body)}
		}
		m.Event = raw.Event
	case StreamingMessageOK:
		if raw.Rules != nil && !isNull(raw.Rules) {
			if t := bytes.TrimSpace(raw.Rules); t[0] != '[' {
				return nil, &FormatError{Reason: "rules is not an array", Snippet: RedactedSnippet(body)}
			}
			m.Rules = raw.Rules
		}
	case StreamingMessageService:
		var s StreamingService
		if !isObject(raw.Service) || json.Unmarshal(raw.Service, &s) != nil {
			return nil, &FormatError{Reason: "code 300 without a service_message object", Snippet: RedactedSnippet(body)}
		}
		m.Service = &s
	case StreamingMessageError:
		return nil, decodeStreamingError(raw.Error, body)
	default:
		return nil, &FormatError{Reason: "unknown Streaming API message code " + strconv.FormatInt(code, 10), Snippet: RedactedSnippet(body)}
	}
	return m, nil
}

// decodeStreamingError reads {"message","error_code"}.
func decodeStreamingError(v json.RawMessage, body []byte) error {
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) != nil || obj == nil {
		return &FormatError{Reason: "code 400 without an error object", Snippet: RedactedSnippet(body)}
	}
	c, err := flexInt(obj["error_code"])
	if err != nil || c <= 0 || c > 1<<31-1 {
		return &FormatError{Reason: "Streaming API error without a valid error_code", Snippet: RedactedSnippet(body)}
	}
	msg, _, _ := flexString(obj["message"])
	return &StreamingError{Code: StreamingCode(c), Message: msg}
}

// isObject reports whether v is a JSON object.
func isObject(v json.RawMessage) bool {
	t := bytes.TrimSpace(v)
	return len(t) > 0 && t[0] == '{'
}

// isStreamingAnswer: {"code":N,...} with an error object of error_code (not
// an API error_msg), an event, a service message or rules.
func isStreamingAnswer(raw map[string]json.RawMessage) bool {
	if !has(raw, "code") || has(raw, "response") {
		return false
	}
	if e, ok := raw["error"]; ok {
		var obj map[string]json.RawMessage
		return json.Unmarshal(e, &obj) == nil && has(obj, "error_code") && !has(obj, "error_msg")
	}
	return has(raw, "event") || has(raw, "service_message") || has(raw, "rules") || len(raw) == 1
}
