package vkerr

// The remedies of OAuth errors, by type and then by error_type, in
// English and Russian: what a program or its user does next.
var oauthRemedies = map[string][2]string{
	OAuthInvalidRequest: {
		"A parameter is missing or wrong (error_description names it): fix the request; do not retry it unchanged.",
		"Параметр отсутствует или неверен (его называет error_description): исправьте запрос, не повторяйте его без изменений.",
	},
	OAuthInvalidClient: {
		"client_id or client_secret is wrong: check the app's ID and secure key in its settings; do not retry.",
		"Неверны client_id или client_secret: сверьте ID приложения и защищённый ключ в его настройках; не повторяйте запрос.",
	},
	OAuthUnauthorizedClient: {
		"The app may not use this flow (direct authorization is for trusted apps): use the authorization code flow.",
		"Приложению недоступен этот способ (прямая авторизация только для доверенных): используйте Authorization Code Flow.",
	},
	OAuthInvalidGrant: {
		"The code is used, expired, of another app, or redirect_uri differs from /authorize's: start the authorization again with the same redirect_uri.",
		"Код использован, истёк, выдан другому приложению, или redirect_uri отличается от переданного в /authorize: начните авторизацию заново с тем же redirect_uri.",
	},
	OAuthAccessDenied: {
		"The user refused the request: ask again only if the user wants to; do not retry on your own.",
		"Пользователь отказал в доступе: спросите снова, только если он сам захочет; не повторяйте автоматически.",
	},
	OAuthUnsupportedGrantType: {
		"grant_type must be authorization_code, client_credentials or (trusted apps) password.",
		"grant_type должен быть authorization_code, client_credentials или (для доверенных приложений) password.",
	},
	OAuthUnsupportedResponseType: {
		"response_type must be code or token.",
		"response_type должен быть code или token.",
	},
	OAuthNeedCaptcha: {
		"Show captcha_img to the user and resend the same request with captcha_sid and the typed captcha_key.",
		"Покажите пользователю captcha_img и повторите тот же запрос с captcha_sid и введённым captcha_key.",
	},
	OAuthNeedValidation: {
		"Ask the user for the code of the second factor (SMS or app, per validation_type) and resend with 2fa_supported=1 and code; force_sms=1 asks for an SMS instead.",
		"Запросите у пользователя код второго фактора (SMS или приложение, см. validation_type) и повторите запрос с 2fa_supported=1 и code; force_sms=1 просит SMS.",
	},
	"server_error": {
		"A failure of oauth.vk.com: retry with backoff.",
		"Сбой oauth.vk.com: повторите с экспоненциальной задержкой.",
	},
	"temporarily_unavailable": {
		"oauth.vk.com is overloaded: retry with backoff.",
		"oauth.vk.com перегружен: повторите с экспоненциальной задержкой.",
	},
	"flood_control": {
		"Too many attempts: wait before trying again.",
		"Слишком много попыток: подождите, прежде чем пробовать снова.",
	},
	"username_or_password_is_incorrect": {
		"The login or the password is wrong: ask the user again; repeated failures bring a captcha.",
		"Неверен логин или пароль: спросите пользователя снова; повторные ошибки приводят к капче.",
	},
	"wrong_otp": {
		"The 2FA code is wrong: ask the user for the code again (a fresh one for SMS).",
		"Неверный код двухфакторной аутентификации: запросите код снова (для SMS — новый).",
	},
	"otp_format_is_incorrect": {
		"The 2FA code must be the digits the user received: ask again.",
		"Код двухфакторной аутентификации — это полученные цифры: запросите его снова.",
	},
	"too_much_tries": {
		"Too many authorization attempts: try again in a few hours.",
		"Слишком много попыток авторизации: повторите через несколько часов.",
	},
}

// Remedy says what to do about the error, in the language lang ("ru" or
// anything else for English): by its error_type when VK sent a known one,
// else by its type; "" for a type the catalogue does not know.
func (e *OAuthError) Remedy(lang string) string {
	r, ok := oauthRemedies[e.ErrorType]
	if !ok || e.ErrorType == "" {
		r, ok = oauthRemedies[e.Type]
	}
	if !ok {
		return ""
	}
	if isRussian(lang) {
		return r[1]
	}
	return r[0]
}
