package vkerr_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/vkerr/vkerr"
)

// seedPage lists every code of VK's page of returned errors
// (testdata/vk-errors-page.ru.txt) with its Russian message and, where the
// page has one, its remedy paragraph, OCR damage repaired.
var seedPage = []struct {
	code    vkerr.Code
	message string
	remedy  string // "" where the page gives no remedy
}{
	{1, "Произошла неизвестная ошибка.", "Попробуйте повторить запрос позже."},
	{2, "Приложение выключено.", "Необходимо включить приложение в настройках https://vk.com/editapp?id={Ваш API_ID} или использовать тестовый режим (test_mode=1)"},
	{3, "Передан неизвестный метод.", "Проверьте, правильно ли указано название вызываемого метода: https://vk.com/dev/methods."},
	{4, "Неверная подпись.", ""},
	{5, "Авторизация пользователя не удалась.", "Убедитесь, что Вы используете верную схему авторизации."},
	{6, "Слишком много запросов в секунду.", "Задайте больший интервал между вызовами или используйте метод execute. Подробнее об ограничениях на частоту вызовов см. на странице https://vk.com/dev/api_requests."},
	{7, "Нет прав для выполнения этого действия.", "Проверьте, получены ли нужные права доступа при авторизации. Это можно сделать с помощью метода account.getAppPermissions."},
	{8, "Неверный запрос.", "Проверьте синтаксис запроса и список используемых параметров (его можно найти на странице с описанием метода)."},
	{9, "Слишком много однотипных действий.", "Нужно сократить число однотипных обращений. Для более эффективной работы Вы можете использовать execute или JSONP."},
	{10, "Произошла внутренняя ошибка сервера.", "Попробуйте повторить запрос позже."},
	{11, "В тестовом режиме приложение должно быть выключено или пользователь должен быть залогинен.", "Выключите приложение в настройках https://vk.com/editapp?id={Ваш API_ID}"},
	{14, "Требуется ввод кода с картинки (Captcha).", "Процесс обработки этой ошибки подробно описан на отдельной странице."},
	{15, "Доступ запрещён.", "Убедитесь, что Вы используете верные идентификаторы, и доступ к контенту для текущего пользователя есть в полной версии сайта."},
	{16, "Требуется выполнение запросов по протоколу HTTPS, т.к. пользователь включил настройку, требующую работу через безопасное соединение.", "Чтобы избежать появления такой ошибки, в Standalone-приложении Вы можете предварительно проверять состояние этой настройки у пользователя методом account.getInfo."},
	{17, "Требуется валидация пользователя.", "Действие требует подтверждения — необходимо перенаправить пользователя на служебную страницу для валидации."},
	{18, "Страница удалена или заблокирована.", "Страница пользователя была удалена или заблокирована"},
	{20, "Данное действие запрещено для не Standalone приложений.", "Если ошибка возникает несмотря на то, что Ваше приложение имеет тип Standalone, убедитесь, что при авторизации Вы используете redirect_uri=https://oauth.vk.com/blank.html. Подробнее см. https://vk.com/dev/auth_mobile."},
	{21, "Данное действие разрешено только для Standalone и Open API приложений.", ""},
	{23, "Метод был выключен.", "Все актуальные методы ВК API, которые доступны в настоящий момент, перечислены здесь: https://vk.com/dev/methods."},
	{24, "Требуется подтверждение со стороны пользователя.", ""},
	{27, "Ключ доступа сообщества недействителен.", ""},
	{28, "Ключ доступа приложения недействителен.", ""},
	{29, "Достигнут количественный лимит на вызов метода", "Подробнее об ограничениях на количество вызовов см. на странице https://vk.com/dev/data_limits"},
	{30, "Профиль является приватным", "Информация, запрашиваемая о профиле, недоступна с используемым ключом доступа"},
	{33, "Not implemented yet", ""},
	{100, "Один из необходимых параметров был не передан или неверен.", "Проверьте список требуемых параметров и их формат на странице с описанием метода."},
	{101, "Неверный API ID приложения.", "Найдите приложение в списке администрируемых на странице https://vk.com/apps?act=settings и укажите в запросе верный API_ID (идентификатор приложения)."},
	{113, "Неверный идентификатор пользователя.", "Убедитесь, что Вы используете верный идентификатор. Получить ID по короткому имени можно методом utils.resolveScreenName."},
	{150, "Неверный timestamp.", "Получить актуальное значение Вы можете методом utils.getServerTime."},
	{200, "Доступ к альбому запрещён.", "Убедитесь, что Вы используете верные идентификаторы (для пользователей owner_id положительный, для сообществ — отрицательный), и доступ к запрашиваемому контенту для текущего пользователя есть в полной версии сайта."},
	{201, "Доступ к аудио запрещён.", "Убедитесь, что Вы используете верные идентификаторы (для пользователей owner_id положительный, для сообществ — отрицательный), и доступ к запрашиваемому контенту для текущего пользователя есть в полной версии сайта."},
	{203, "Доступ к группе запрещён.", "Убедитесь, что текущий пользователь является участником или руководителем сообщества (для закрытых и частных групп и встреч)."},
	{300, "Альбом переполнен.", "Перед продолжением работы нужно удалить лишние объекты из альбома или использовать другой"},
	{500, "Действие запрещено. Вы должны включить переводы голосов в настройках приложения.", "Проверьте настройки приложения: https://vk.com/editapp?id={Ваш API_ID}&section=payments"},
	{600, "Нет прав на выполнение данных операций с рекламным кабинетом.", ""},
	{603, "Произошла ошибка при работе с рекламным кабинетом.", ""},
	{3300, "Recaptcha needed", ""},
	{3301, "Phone validation needed", ""},
	{3302, "Password validation needed", ""},
	{3303, "Otp app validation needed", ""},
	{3304, "Email confirmation needed", ""},
	{3305, "Assert votes", ""},
	{3609, "Token extension required", ""},
	{3610, "User is deactivated", ""},
	{3611, "Service is deactivated for user", ""},
}

func TestSeedPageRussianTexts(t *testing.T) {
	if len(seedPage) != 45 {
		t.Fatalf("seed table has %d codes, the page lists 45", len(seedPage))
	}
	for _, tc := range seedPage {
		info, ok := vkerr.Lookup(tc.code)
		if !ok {
			t.Errorf("%d: not in the catalogue", tc.code)
			continue
		}
		if !info.Seed {
			t.Errorf("%d: Seed is false", tc.code)
		}
		if info.MessageRU != tc.message {
			t.Errorf("%d: MessageRU = %q, page says %q", tc.code, info.MessageRU, tc.message)
		}
		// VK's words are the page's, verbatim; the remedy is the catalogue's.
		if info.VKWordsRU != tc.remedy {
			t.Errorf("%d: VKWordsRU = %q, page says %q", tc.code, info.VKWordsRU, tc.remedy)
		}
		if info.RemedyRU == "" {
			t.Errorf("%d: no Russian remedy", tc.code)
		}
	}
	seeds := 0
	for info := range vkerr.All() {
		if info.Seed {
			seeds++
		}
	}
	if seeds != len(seedPage) {
		t.Errorf("catalogue marks %d codes as seed, want %d", seeds, len(seedPage))
	}
}

// repairOCR undoes the damage of the page's PDF-to-text extraction.
func repairOCR(s string) string {
	r := strings.NewReplacer(
		"АРІ", "API", "Heoбходимо", "Необходимо", "Baш", "Ваш", "Bau", "Ваш", `\_`, "_", "**", "",
		"подтверждения—", "подтверждения —",
		`$https://vk.com/editapp?id=\{Ваш API_ID\} & section=payments$`, "https://vk.com/editapp?id={Ваш API_ID}&section=payments",
	)
	s = regexp.MustCompile(`<a href="([^"]*)">[^<]*</a>`).ReplaceAllString(s, "$1")
	s = r.Replace(r.Replace(s))
	return regexp.MustCompile(` +`).ReplaceAllString(s, " ")
}

// TestSeedTableMatchesPage checks the table above against the page itself,
// so that neither the table nor the catalogue drifts from VK's words.
func TestSeedTableMatchesPage(t *testing.T) {
	b, err := os.ReadFile("testdata/vk-errors-page.ru.txt")
	if err != nil {
		t.Fatal(err)
	}
	page := repairOCR(string(b))
	for _, tc := range seedPage {
		if !strings.Contains(page, tc.message) {
			t.Errorf("%d: message %q is not on the page", tc.code, tc.message)
		}
		if tc.remedy != "" && !strings.Contains(page, tc.remedy) {
			t.Errorf("%d: remedy %q is not on the page", tc.code, tc.remedy)
		}
	}
	for _, junk := range []string{"АРІ", "Heoбходимо", "Baш", `\_`} {
		for info := range vkerr.All() {
			if strings.Contains(info.MessageRU+info.RemedyRU, junk) {
				t.Errorf("%d: Russian text still has OCR damage %q", info.Code, junk)
			}
		}
	}
}
