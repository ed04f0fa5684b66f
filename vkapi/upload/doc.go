// Package upload sends photos and documents to VK: the three steps of an
// upload in one call, with the right remedy at each step.
//
//	c := vkapi.New(token, vkapi.WithTokenKind(vkapi.KindGroup))
//	up := upload.New(c, upload.Config{})
//	defer up.Close()
//	p, err := up.MessagePhoto(ctx, peerID, upload.File("cat.jpg"))
//	// p.Attachment() is "photo-1_456239017_ab12…", for messages.send.
//
// # The steps and their remedies
//
//  1. The get-upload-server method (photos.getMessagesUploadServer, …) is
//     an API call through the vkapi.Client: its rate budget, retries and
//     hooks apply as to any call.
//  2. The POST of the file to upload_url is not an API call: it takes no
//     rate budget and never carries the token (a separate http.Client; no
//     access_token, no Authorization header). A transient failure (a
//     reset, a timeout, a 5xx or HTML page, a truncated body, an API
//     error of the transient kind) is retried with the same URL while the
//     URL is fresh (Policy.URLFresh) and Policy.UploadAttempts allows. A
//     refused or expired URL (an upload server's error other than a
//     complaint about the file, an HTTP 4xx) or the silent failure
//     ("photo":"[]", "file":"") sends the chain back to step 1, at most
//     Policy.Chains times in all. A complaint about the file itself
//     (too large, a type VK refuses, bad sides)
//     ends the call.
//  3. The save method (photos.saveMessagesPhoto, docs.save, …) is an API
//     call. Errors 100, 118, 121, 129 and 22 mean the upload went wrong
//     silently: nothing was saved, and the chain goes back to step 1. A
//     transient failure, whose outcome is unknown, resends the same save
//     (Policy.SaveAttempts): a save of one upload stores it once, and a
//     resend gets the object already saved, so the upload is never saved
//     twice; after such an unknown outcome the chain never goes back to
//     step 1 (that would upload and save a second copy): a silent failure
//     code then resends the same save too, and a final error says the
//     outcome is unknown (Error.Unknown).
//
// The file is read once into memory, within Policy.MaxBytes (50 MiB for
// photos, 200 MiB for documents by default: VK's limits), so that step 2
// can resend it.
//
// # Errors and secrets
//
// A failure is an *Error naming the step, with the cause inside (errors.Is
// and errors.As reach a *vkerr.UploadError, a *vkerr.Error, a
// *vkapi.CallError, an *HTTPStatusError or a network error). Upload URLs
// carry signatures (hash, rhash, _sig): errors and log records show only
// their scheme, host and path, and every message goes through
// vkerr.RedactString.
package upload
