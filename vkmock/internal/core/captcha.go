package core

// CaptchaInfo is a captcha the mock issued (GET /__vkmock/captcha/{sid}),
// and the one a request answers.
type CaptchaInfo struct {
	SID string `json:"sid"`
	// Key is the right captcha_key (the digits in the picture).
	Key string `json:"key"`
	// SuccessToken is the success_token of the VK ID flow.
	SuccessToken string `json:"success_token,omitempty"`
	Attempt      int    `json:"attempt"`
	Flow         string `json:"flow"`
	// Strict is false for a captcha raised by a lenient fault rule or by
	// X-Vkmock-Error "14; lenient": any captcha_key solves it.
	Strict bool `json:"strict"`
	Solved bool `json:"solved"`
}

// The states of a captcha answer in a request.
const (
	AnswerNone  = iota // no captcha_sid, captcha_key or success_token
	AnswerFresh        // right, and not used yet: it satisfies a captcha
	AnswerUsed         // right, already used: as if absent
	AnswerWrong        // wrong: a fresh captcha
)
