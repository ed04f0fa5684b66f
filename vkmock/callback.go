package vkmock

import (
	"context"
	"errors"
	"time"

	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/callback"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The Callback API, with the mock as VK's sender (vkmock/internal/callback;
// docs/vkmock-design.md, "The Callback sender"). The groups.*CallbackServer*
// methods are in callback_api.go, the control API in callback_control.go.

// Defaults of CallbackConfig.
const (
	DefaultCallbackTimeout     = callback.DefaultTimeout
	DefaultCallbackPauseAfter  = callback.DefaultPauseAfter
	DefaultCallbackPause       = callback.DefaultPause
	DefaultCallbackSenders     = callback.DefaultSenders
	DefaultCallbackPending     = callback.DefaultPending
	DefaultCallbackPendingSize = callback.DefaultPendingSize
	DefaultCallbackLogSize     = callback.DefaultLogSize
	DefaultCallbackLogBytes    = callback.DefaultLogBytes
	DefaultCallbackCommunities = callback.DefaultCommunities
	// MaxCallbackServers is VK's limit of servers per community.
	MaxCallbackServers = callback.MaxServers
)

// Statuses of a Callback server, as groups.getCallbackServers shows them.
const (
	CallbackUnconfigured = callback.StatusUnconfigured // no address is set: nothing is asked or sent
	CallbackWait         = callback.StatusWait         // the confirmation is being asked
	CallbackOK           = callback.StatusOK           // confirmed; events are sent
	CallbackFailed       = callback.StatusFailed       // the confirmation failed, or paused after failures
)

// DefaultCallbackSchedule returns the delays before each resend of a
// failed event (see callback.DefaultSchedule).
func DefaultCallbackSchedule() []time.Duration { return callback.DefaultSchedule() }

// CallbackConfig configures the Callback API sender; the zero value of a
// field means its default.
type CallbackConfig = callback.Config

// CallbackServer is a community's Callback server.
type CallbackServer = callback.Server

// CallbackDelivery is one attempt of the sender (GET /__vkmock/callback/log).
type CallbackDelivery = callback.Delivery

// callbackEmit gives an emitted event to the sender and the user in the
// conversation its User Long Poll update. It runs under the Long Poll
// lock (emit).
func (s *Server) callbackEmit(groupID int64, typ vkevent.Type, eventID string, object, legacy []byte) {
	s.userLPEmitted(groupID, typ, object)
	s.cb.Emit(groupID, typ, eventID, object, legacy, func(v string) bool { return core.VersionLess(v, LegacyMessageVersion) })
}

// ConfirmationCode returns the code a community's servers must answer to
// the confirmation (groups.getCallbackConfirmationCode).
func (ctl CallbackControl) ConfirmationCode(groupID int64) string {
	return ctl.s.cb.ConfirmationCode(groupID)
}

// SetConfig replaces the sender's configuration (the servers and pending
// deliveries stay; the log keeps its entries up to the new bounds).
func (ctl CallbackControl) SetConfig(cfg CallbackConfig) { ctl.s.cb.SetConfig(cfg) }

// Config returns the sender's configuration, defaults filled.
func (ctl CallbackControl) Config() CallbackConfig { return ctl.s.cb.Config() }

// Servers returns a community's servers, in the order they were added,
// with their status at the mock's now.
func (ctl CallbackControl) Servers(groupID int64) []CallbackServer {
	return ctl.s.cb.Servers(groupID)
}

// Deliveries returns the delivery log, oldest first.
func (ctl CallbackControl) Deliveries() []CallbackDelivery { return ctl.s.cb.Deliveries() }

// Pending returns the number of deliveries waiting or in flight.
func (ctl CallbackControl) Pending() int { return ctl.s.cb.Pending() }

// Idle waits until the sender has nothing to do now: no POST in flight
// and no delivery due at the mock's now (the ones left wait for a resend
// time or the end of a pause: Clock().Advance makes them due). It returns
// ctx's error when ctx ends first.
func (ctl CallbackControl) Idle(ctx context.Context) error { return ctl.s.cb.Idle(ctx) }

// Confirm asks a server for the confirmation again.
func (ctl CallbackControl) Confirm(groupID, serverID int64) error {
	return ctl.s.cb.Confirm(groupID, serverID)
}

// AddServer adds a Callback server to sv.GroupID's community as the
// community's settings page does, and returns it with its status. With a
// URL it is asked for the confirmation, as after groups.addCallbackServer;
// without one it is CallbackUnconfigured (VK: "address not set"), which
// VK's methods cannot make (they require a url), until
// groups.editCallbackServer gives it an address. Title, URL and secret are
// bounded as the methods bound them.
func (ctl CallbackControl) AddServer(sv CallbackServer) (CallbackServer, error) {
	if err := (groupRef{GroupID: sv.GroupID}).check(); err != nil {
		return CallbackServer{}, err
	}
	if err := callback.CheckServer(sv.URL, sv.Title, sv.SecretKey, true); err != nil {
		return CallbackServer{}, err
	}
	if sv.APIVersion == "" {
		sv.APIVersion = DefaultLongPollAPIVersion
	} else if _, ok := core.ParseVersion(sv.APIVersion); !ok {
		return CallbackServer{}, errors.New("api_version is invalid")
	}
	id, err := ctl.s.cb.AddServer(CallbackServer{GroupID: sv.GroupID, Title: sv.Title, URL: sv.URL, SecretKey: sv.SecretKey, APIVersion: sv.APIVersion})
	if err != nil {
		return CallbackServer{}, err
	}
	return ctl.s.cb.UpdateServer(sv.GroupID, id, nil)
}
