package vkerr

import "testing"

// TestRedactUnlabelled: a secret written after its name with only white
// space or HTML tags between them is masked (issue 23: `vk decode` printed
// "client_secret AbCd…" whole), while VK's prose that names a secret stays.
func TestRedactUnlabelled(t *testing.T) {
	tests := []struct{ in, want string }{
		{"client_secret AbCdEfGh1234IjKlMnOp is wrong", "client_secret " + Redacted + " is wrong"},
		{"client_secret\tQbYic1K3lEV5kTGiqlq2", "client_secret\t" + Redacted},
		{"<td>client_secret</td><td>QbYic1K3lEV5kTGiqlq2</td>", "<td>client_secret</td><td>" + Redacted + "</td>"},
		{"<b>client_secret</b> <code class=\"x\">QbYic1K3lEV5kTGiqlq2</code>", "<b>client_secret</b> <code class=\"x\">" + Redacted + "</code>"},
		{"validation_sid 2fa_4b9c0d1e2f3a4b5c6d7e8f90 sent", "validation_sid " + Redacted + " sent"},
		{"password hunter22 rejected", "password " + Redacted + " rejected"},
		{"code 493021ab expired", "code " + Redacted + " expired"},
		// Prose stays.
		{"client_secret is undefined", "client_secret is undefined"},
		{"client_secret is incorrect", "client_secret is incorrect"},
		{"Username or password is incorrect", "Username or password is incorrect"},
		{"User authorization failed: access_token has expired.", "User authorization failed: access_token has expired."},
		{"redirect_uri is invalid, please pass same redirect_uri, you used in authorize method.", "redirect_uri is invalid, please pass same redirect_uri, you used in authorize method."},
		{"Code is invalid or expired.", "Code is invalid or expired."},
		{"sms sent, use code param", "sms sent, use code param"},
		{"the secret key-rotation-policy-document applies", "the secret key-rotation-policy-document applies"},
		{"error code 100 returned", "error code 100 returned"},
	}
	for _, tc := range tests {
		if got := RedactString(tc.in); got != tc.want {
			t.Errorf("RedactString(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
		if got := RedactString(tc.want); got != tc.want {
			t.Errorf("RedactString is not idempotent on %q: %q", tc.want, got)
		}
	}
}
