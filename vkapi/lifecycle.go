package vkapi

import "errors"

// The lifecycle sentinels, shared by the client and every event and file
// client (vkapi/longpoll, vkapi/userlongpoll, vkapi/callback, vkapi/upload):
// each of those packages exports the same values under its own name, so
// errors.Is(err, vkapi.ErrClosed) holds whichever of them returned err.
var (
	// ErrClosed is matched by the error of a call made after Close, and of
	// the calls Close found waiting.
	ErrClosed = errors.New("closed")

	// ErrAlreadyRunning is returned by a second call of Run on a poller or
	// receiver whose Run has already been called.
	ErrAlreadyRunning = errors.New("already running: Run may be called once")
)
