package main

// demoRU is the Russian of vk demo's narrative, by its English text (a
// format, when the English is one: the verbs in the same order). tr falls
// back to the English for a text missing here; TestDemoRussian checks none
// is.
var demoRU = map[string]string{
	// The frame.
	"vk demo: the VK API error system end to end: a vkapi client against an in-process\n":   "vk demo: система ошибок VK API целиком: клиент vkapi против vkmock в этом же процессе\n",
	"vkmock (%s, VK API schema %s, seed %d). No token, no network.\n":                       "(%s, схема VK API %s, seed %d). Без токена и без сети.\n",
	"\n[%d/%d] execute — up to 25 calls in one request, the documented answer to 6 and 9\n": "\n[%d/%d] execute — до 25 вызовов в одном запросе, документированный ответ на 6 и 9\n",
	"  setup:  %s\n":        "  условие: %s\n",
	"  server: %s\n":        "  сервер:  %s\n",
	"  client: %s\n":        "  клиент:  %s\n",
	"  error:  %v\n":        "  ошибка:  %v\n",
	"  remedy: %s\n":        "  что делать: %s\n",
	"  result: %s\n":        "  итог:    %s\n",
	"ok":                    "ok",
	"NOT AS DOCUMENTED":     "НЕ ПО ДОКУМЕНТАЦИИ",
	"retried after %v (%s)": "повторил через %v (%s)",
	"did not retry (%s)":    "не повторял (%s)",
	"\nSummary\n\n":         "\nИтог\n\n",
	"code":                  "код",
	"error":                 "ошибка",
	"category":              "категория",
	"what the client did":   "что сделал клиент",
	"execute batch":         "пакет execute",
	"… %d more …":           "… ещё %d …",
	"error %d":              "ошибка %d",
	"FAIL":                  "СБОЙ",
	"\n%d of %d steps went as documented. Requests the mock answered: %d.\n": "\n%d из %d шагов прошли по документации. Запросов, на которые ответил мок: %d.\n",

	// The steps: what the client did, in a few words (the summary).
	"kept to 3 req/s by its limiter: no error 6":     "держался 3 запросов/с своим ограничителем: ни одной ошибки 6",
	"retried the read with backoff and jitter":       "повторил чтение с растущей паузой и разбросом",
	"resent the write with the same random_id":       "переотправил запись с тем же random_id",
	"asked the captcha hook, resent with the key":    "спросил обработчик капчи, переотправил с ключом",
	"asked the validator, replaced the token":        "спросил валидатор, заменил токен",
	"asked the confirmer, resent with confirm=1":     "спросил подтверждение, переотправил с confirm=1",
	"failed fast with a *CooldownError":              "сразу вернул *CooldownError",
	"refused the method locally until the reset":     "сам отказывал в методе до сброса лимита",
	"dropped the dead token, went on with the other": "бросил мёртвый токен, продолжил с другим",
	"no retry; the message names the parameter":      "без повтора; сообщение называет параметр",
	"no retry; skip the target, keep the token":      "без повтора; пропустить цель, токен оставить",
	"no retry; the method needs a user token":        "без повтора; методу нужен токен пользователя",
	"25 calls in one request, errors paired":         "25 вызовов в одном запросе, ошибки сопоставлены",
	"no retry; compile error with its line":          "без повтора; ошибка компиляции с номером строки",

	// The steps: their set-up.
	"9 concurrent callers of users.get on one user token; the mock allows 3 requests in any rolling second": "9 одновременных вызовов users.get с одним токеном пользователя; мок пропускает 3 запроса в любую скользящую секунду",
	"a fault rule answers the next two users.get calls with error 10":                                       "правило сбоев отвечает на два следующих вызова users.get ошибкой 10",
	"messages.send; the mock stores the message, then its answer is lost (HTTP 502 page), then error 1":     "messages.send; мок сохраняет сообщение, но ответ теряется (страница HTTP 502), затем ошибка 1",
	"a captcha rule: every messages.send needs one":                                                         "правило капчи: каждый messages.send требует её",
	"the user token is marked as needing validation":                                                        "токен пользователя помечен как требующий проверки",
	"a confirmation rule on friends.delete":                                                                 "правило подтверждения для friends.delete",
	"a flood rule: two messages to one peer per minute":                                                     "правило флуда: два сообщения одному собеседнику в минуту",
	"a daily quota of 2 wall.get calls per token":                                                           "суточная квота: 2 вызова wall.get на токен",
	"a pool of two user tokens; the first is revoked":                                                       "два токена пользователя; первый отозван",
	"users.get with a name_case outside its enum":                                                           "users.get с name_case вне допустимых значений",
	"wall.get of a deleted user, then of a private profile":                                                 "wall.get удалённого пользователя, затем закрытого профиля",
	"a community token calls friends.get, a user-only method":                                               "токен сообщества вызывает friends.get, метод только для пользователей",
	"one execute carries 25 calls, two of which fail inside":                                                "один execute несёт 25 вызовов, два из них внутри падают",
	"execute with a VKScript program that does not compile":                                                 "execute с программой на VKScript, которая не компилируется",

	// The steps: what the client did, in full.
	"kept to the budget by its rolling-window limiter: %d calls in %v, waited %d times (longest %v), never provoked error 6": "держался бюджета ограничителем со скользящим окном: %d вызовов за %v, ждал %d раз (дольше всего %v), ни разу не вызвал ошибку 6",
	"retried a safe read with exponential backoff and full jitter: ":                                                         "повторил безопасное чтение с экспоненциальной паузой и полным разбросом: ",
	"set random_id once and resent the write with the same key: %s; the mock holds %d message(s)":                            "задал random_id один раз и переотправил запись с тем же ключом: %s; у мока сообщений: %d",
	"asked the captcha hook (%s) and resent with captcha_sid and captcha_key":                                                "спросил обработчик капчи (%s) и переотправил с captcha_sid и captcha_key",
	"sid %s, a %d-byte PNG": "sid %s, PNG на %d байт",
	"asked the validator hook to open redirect_uri, took the new token from blank.html#access_token=…, replaced the old one in its pool and resent": "попросил валидатор открыть redirect_uri, взял новый токен из blank.html#access_token=…, заменил им старый и переотправил",
	"showed confirmation_text %q to the confirmer hook, which said yes, and resent with confirm=1":                                                  "показал confirmation_text %q обработчику подтверждения, тот согласился, и переотправил с confirm=1",
	"failed fast with a *CooldownError: do not repeat before %s; no retry loop":                                                                     "сразу вернул *CooldownError: не повторять до %s; без цикла повторов",
	"after the 29, refused wall.get on that token locally until %s without a request (the 4th call); users.get still works":                         "после 29 сам отказывал в wall.get для этого токена до %s, не посылая запроса (4-й вызов); users.get работает",
	"never resent with the dead token: it left the pool after its one error 5 (%d *TokenError), the other %d calls used the live token":             "не повторял с мёртвым токеном: после единственной ошибки 5 он больше не используется (%d *TokenError), остальные %d вызовов шли с живым",
	"did not retry a malformed request; returned %q":                                                                                                "не повторял неверный запрос; вернул %q",
	"returned target errors at once (18 not_found, 30 permission): the token is fine, skip the target":                                              "сразу вернул ошибки цели (18 not_found, 30 permission): токен в порядке, цель пропустить",
	"did not retry: the schema's access_token_type predicts it; use a user token":                                                                   "не повторял: access_token_type из схемы это предсказывает; нужен токен пользователя",
	"sent 25 calls as one execute (one request against the rate limit): %d succeeded, each false result took its execute_errors entry (18, 30)":     "отправил 25 вызовов одним execute (один запрос в счёт лимита): %d успешно, каждому false досталась своя запись execute_errors (18, 30)",
	"returned %q at once, the line included; a program error is not retried":                                                                        "сразу вернул %q с номером строки; ошибку программы не повторяют",

	// Bots Long Poll.
	"\nBots Long Poll: vkapi/longpoll against the mock's Long Poll server\n": "\nBots Long Poll: vkapi/longpoll против Long Poll-сервера мока\n",
	"  setup failed: %v\n": "  подготовка не удалась: %v\n",
	"  inbox: %v\n":        "  входящие: %v\n",
	"as documented":        "по документации",
	"\n[LP %d/3] %s\n  setup:  %s\n  client: %s\n  result: %s\n":                                         "\n[LP %d/3] %s\n  условие: %s\n  клиент:  %s\n  итог:    %s\n",
	`{"failed":2} — the key expired`:                                                                     `{"failed":2} — ключ истёк`,
	"the mock expires every key of the community, then a user writes":                                    "мок делает недействительными все ключи сообщества, затем пользователь пишет",
	"got a new key from groups.getLongPollServer and kept its ts: the message written meanwhile arrived": "получил новый ключ из groups.getLongPollServer и сохранил ts: сообщение, написанное тем временем, пришло",
	`{"failed":3} — information lost`:                                                                    `{"failed":3} — информация утеряна`,
	"while the bot is busy two messages come, and the mock loses them":                                   "пока бот занят, приходят два сообщения, и мок их теряет",
	"got a new key and ts and reported the gap: ts %s to %s (the mock lost %d events)":                   "получил новые ключ и ts и сообщил о пропуске: ts с %s по %s (мок потерял событий: %d)",
	"network faults on a_check":                                                                          "сбои сети на a_check",
	"the next a_check answer is cut short, the one after is an HTML 502":                                 "следующий ответ a_check обрезан, за ним HTML-страница 502",
	"kept server, key and ts, backed off with jitter and went on: the message arrived":                   "сохранил сервер, ключ и ts, выждал паузу с разбросом и продолжил: сообщение пришло",
	"  fault: %v\n":   "  сбой: %v\n",
	"  stopped: %v\n": "  остановлен: %v\n",
	"\n%d of 3 Long Poll steps went as documented.\n": "\n%d из 3 шагов Long Poll прошли по документации.\n",
}

// tr returns the text in the demo's language.
func (d *demo) tr(en string) string {
	if d.lang == "ru" {
		if ru, ok := demoRU[en]; ok {
			return ru
		}
	}
	return en
}
