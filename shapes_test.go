package vkerr_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"testing"

	"github.com/vkerr/vkerr"
)

func TestDecodeUpload(t *testing.T) {
	tests := []struct {
		file  string
		shape string
		code  int
		msg   string
	}{
		{"upload_docs.json", "docs", 0, "ERR_UPLOAD_FILE_NOT_UPLOADED: file not uploaded"},
		{"upload_video.json", "video", 3, "Video file is too large"},
		{"upload_story.json", "story", 1, "upload_error"},
		{"upload_leadform.json", "lead_form", 2, ""},
		{"upload_empty.json", "empty", 0, ""},
	}
	for _, tc := range tests {
		_, err := vkerr.DecodeUpload(readFixture(t, tc.file))
		var ue *vkerr.UploadError
		if !errors.As(err, &ue) || ue.Shape != tc.shape || ue.Code != tc.code || ue.Message != tc.msg {
			t.Errorf("%s: %#v", tc.file, err)
			continue
		}
		if !errors.Is(err, vkerr.Upload) || !errors.Is(err, ue.Category()) {
			t.Errorf("%s: does not match Upload and its category", tc.file)
		}
	}
	var ue *vkerr.UploadError
	_, err := vkerr.DecodeUpload(readFixture(t, "upload_video.json"))
	if errors.As(err, &ue) && !ue.Logged {
		t.Error("error_is_logged lost")
	}
	out, err := vkerr.DecodeUpload(readFixture(t, "upload_ok.json"))
	if err != nil || !json.Valid(out) {
		t.Errorf("upload_ok: %s, %v", out, err)
	}
	out, err = vkerr.DecodeUpload([]byte(`{"response":{"file":"abc|def"}}`))
	if err != nil || string(out) != `{"file":"abc|def"}` {
		t.Errorf("wrapped upload: %s, %v", out, err)
	}
	if _, err := vkerr.DecodeUpload([]byte(`<html><title>504</title></html>`)); !errors.Is(err, vkerr.ErrTransient) {
		t.Errorf("html: %v", err)
	}
}

func TestDecodeOAuth(t *testing.T) {
	tests := []struct {
		file string
		typ  string
		cat  vkerr.Category
	}{
		{"oauth_invalid_client.json", "invalid_client", vkerr.CategoryAuth},
		{"oauth_need_captcha.json", vkerr.OAuthNeedCaptcha, vkerr.CategoryUserAction},
		{"oauth_need_validation.json", vkerr.OAuthNeedValidation, vkerr.CategoryUserAction},
	}
	for _, tc := range tests {
		_, err := vkerr.DecodeOAuth(readFixture(t, tc.file))
		var oe *vkerr.OAuthError
		if !errors.As(err, &oe) || oe.Type != tc.typ || !errors.Is(err, tc.cat) {
			t.Errorf("%s: %#v", tc.file, err)
		}
	}
	_, err := vkerr.DecodeOAuth(readFixture(t, "oauth_need_validation.json"))
	var oe *vkerr.OAuthError
	errors.As(err, &oe)
	if oe.ValidationType != "2fa_sms" || oe.ValidationSID != "2fa_172030_2_1" || oe.PhoneMask == "" || oe.RedirectURI == "" {
		t.Errorf("need_validation fields: %+v", oe)
	}
	_, err = vkerr.DecodeOAuth(readFixture(t, "oauth_need_captcha.json"))
	errors.As(err, &oe)
	if oe.CaptchaSID != "960417143427" || oe.CaptchaImg == "" {
		t.Errorf("need_captcha fields: %+v", oe)
	}
	if _, err := vkerr.DecodeOAuth([]byte(`{"error":"temporarily_unavailable"}`)); !errors.Is(err, vkerr.ErrTransient) {
		t.Errorf("temporarily_unavailable: %v", err)
	}
	ok, err := vkerr.DecodeOAuth([]byte(`{"access_token":"vk1.a.x","expires_in":0,"user_id":1}`))
	if err != nil || ok == nil {
		t.Errorf("success: %v", err)
	}
	u, _ := url.Parse("https://oauth.vk.com/blank.html#error=access_denied&error_reason=user_denied&error_description=User%20denied%20your%20request")
	re := vkerr.OAuthRedirectError(u)
	if re == nil || re.Type != "access_denied" || re.Reason != "user_denied" || !errors.Is(re, vkerr.ErrPermission) {
		t.Errorf("redirect error: %+v", re)
	}
	u, _ = url.Parse("https://oauth.vk.com/blank.html#access_token=vk1.a.SECRETSECRETSECRET&expires_in=0")
	if vkerr.OAuthRedirectError(u) != nil {
		t.Error("a successful redirect has no error")
	}
	b, _ := json.Marshal(&vkerr.OAuthError{Type: "invalid_grant", Description: "Code is expired.", RedirectURI: "https://x/?access_token=vk1.a.SECRETSECRETSECRET"})
	assertNoSecret(t, "OAuthError JSON", string(b))
}

func TestDecodeLongPoll(t *testing.T) {
	tests := []struct {
		file   string
		failed int
		action vkerr.LongPollAction
		cat    vkerr.Category
	}{
		{"longpoll_failed1.json", 1, vkerr.LongPollUseNewTS, vkerr.CategoryTransient},
		{"longpoll_failed2.json", 2, vkerr.LongPollRefreshKey, vkerr.CategoryAuth},
		{"longpoll_failed3.json", 3, vkerr.LongPollRefreshKeyAndTS, vkerr.CategoryAuth},
		{"longpoll_failed4.json", 4, vkerr.LongPollChangeVersion, vkerr.CategoryInvalidInput},
	}
	for _, tc := range tests {
		_, err := vkerr.DecodeLongPoll(readFixture(t, tc.file))
		var le *vkerr.LongPollError
		if !errors.As(err, &le) || le.Failed != tc.failed || le.Action() != tc.action || !errors.Is(err, tc.cat) {
			t.Errorf("%s: %#v", tc.file, err)
		}
	}
	_, err := vkerr.DecodeLongPoll(readFixture(t, "longpoll_failed1.json"))
	var le *vkerr.LongPollError
	if errors.As(err, &le) && le.TS != "8" {
		t.Errorf("failed 1 ts = %q", le.TS)
	}
	_, err = vkerr.DecodeLongPoll(readFixture(t, "longpoll_failed4.json"))
	if errors.As(err, &le) && (le.MinVersion != 0 || le.MaxVersion != 19) {
		t.Errorf("failed 4 versions: %+v", le)
	}
	_, err = vkerr.DecodeLongPoll(readFixture(t, "longpoll_failed2.json"))
	if errors.As(err, &le) && le.Message != "Key expired" {
		t.Errorf("failed 2 error: %+v", le)
	}
	r, err := vkerr.DecodeLongPoll(readFixture(t, "longpoll_ok.json"))
	if err != nil || r.TS != "4" || len(r.Updates) != 1 {
		t.Errorf("ok: %+v, %v", r, err)
	}
	if _, err := vkerr.DecodeLongPoll([]byte(`{"failed":77}`)); !errors.As(err, &le) || le.Action() != vkerr.LongPollBackoff {
		t.Errorf("unknown failure: %v", err)
	}
}

func TestDecodeAdsResults(t *testing.T) {
	resp, err := vkerr.DecodeResponse(readFixture(t, "ads_multi.json"))
	if err != nil {
		t.Fatal(err)
	}
	items, err := vkerr.DecodeAdsResults(resp, false)
	var ae vkerr.AdsErrors
	if !errors.As(err, &ae) || len(ae) != 1 || ae[0].Index != 1 || ae[0].Code != vkerr.Param || ae[0].Desc == "" {
		t.Fatalf("err = %#v", err)
	}
	if len(items) != 3 || items[1] != nil || string(items[0]) != `{"id":101}` {
		t.Errorf("items = %q", items)
	}
	if !errors.Is(err, vkerr.Param) || !errors.Is(err, vkerr.ErrInvalidInput) {
		t.Error("errors.Is over ads items")
	}
	items, err = vkerr.DecodeAdsResults(json.RawMessage(`[0, 602, 0]`), true)
	if !errors.As(err, &ae) || len(ae) != 1 || ae[0].Code != vkerr.AdsPartialSuccess || len(items) != 3 {
		t.Errorf("delete codes: %v %v", items, err)
	}
	if _, err := vkerr.DecodeAdsResults(json.RawMessage(`[1,2]`), false); err != nil {
		t.Errorf("plain array: %v", err)
	}
}

func TestInspect(t *testing.T) {
	tests := []struct {
		file   string
		shape  vkerr.Shape
		errors int
	}{
		{"success.json", vkerr.ShapeAPI, 0},
		{"error_14_captcha.json", vkerr.ShapeAPI, 1},
		{"execute_partial.json", vkerr.ShapeAPI, 2},
		{"ads_multi.json", vkerr.ShapeAPI, 1},
		{"ads_item.json", vkerr.ShapeAdsItem, 1},
		{"upload_docs.json", vkerr.ShapeUpload, 1},
		{"upload_video.json", vkerr.ShapeUpload, 1},
		{"upload_story.json", vkerr.ShapeUpload, 1},
		{"upload_leadform.json", vkerr.ShapeUpload, 1},
		{"upload_empty.json", vkerr.ShapeUpload, 1},
		{"upload_ok.json", vkerr.ShapeUpload, 0},
		{"oauth_invalid_client.json", vkerr.ShapeOAuth, 1},
		{"oauth_need_captcha.json", vkerr.ShapeOAuth, 1},
		{"oauth_need_validation.json", vkerr.ShapeOAuth, 1},
		{"longpoll_failed1.json", vkerr.ShapeLongPoll, 1},
		{"longpoll_failed4.json", vkerr.ShapeLongPoll, 1},
		{"longpoll_ok.json", vkerr.ShapeLongPoll, 0},
		{"html_502.html", vkerr.ShapeHTTP, 1},
		{"truncated.json", vkerr.ShapeHTTP, 1},
		{"empty.txt", vkerr.ShapeHTTP, 1},
	}
	for _, tc := range tests {
		rep, err := vkerr.Inspect(readFixture(t, tc.file))
		if err != nil || rep.Shape != tc.shape || len(rep.Errors) != tc.errors {
			t.Errorf("%s: %+v, %v", tc.file, rep, err)
		}
	}
	for _, junk := range []string{"hello", "[1,2,3]", `{"foo":"bar"}`, "null", "42"} {
		if _, err := vkerr.Inspect([]byte(junk)); !errors.Is(err, vkerr.ErrNotVK) {
			t.Errorf("%q: err = %v, want ErrNotVK", junk, err)
		}
	}
}
