package callback

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The operations behind the groups.*CallbackServer* methods and the
// controls: the façade checks the request, these change the state.

// Errors of the server operations; the façade answers them as VK does.
var (
	ErrNoServer    = errors.New("no such server")
	ErrNoAddress   = errors.New("the server has no address to confirm")
	ErrNoServers   = errors.New("the community has no Callback server")
	ErrServerLimit = errors.New("the community has MaxServers servers")
	ErrCommunities = errors.New("the mock keeps Callback servers of at most CallbackConfig.Communities communities")
)

// Init sets what the sender reads of its mock: the clock, a channel that
// closes when the clock moves (so that waits measure again), the seed of
// the confirmation codes, and the User-Agent of the POSTs.
func (c *Sender) Init(now func() time.Time, clockMoved func() <-chan struct{}, seed int64, userAgent string) {
	c.now, c.clockMoved, c.seed, c.userAgent = now, clockMoved, seed, userAgent
}

// Reset forgets every server, delivery and log entry; the configuration
// stays.
func (c *Sender) Reset() { c.reset() }

// Emit queues an event for every confirmed server of the community that
// takes its type, in the server's api_version shape: legacy (when not
// nil) for the versions useLegacy picks.
func (c *Sender) Emit(groupID int64, typ vkevent.Type, eventID string, object, legacy []byte, useLegacy func(apiVersion string) bool) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initLocked()
	g := c.groups[groupID]
	if g == nil {
		return
	}
	for _, sv := range g.servers {
		if !sv.Confirmed || !sv.Events[string(typ)] {
			continue
		}
		if !c.startLocked() {
			return
		}
		obj := object
		if legacy != nil && useLegacy(sv.APIVersion) {
			obj = legacy
		}
		b, _ := json.Marshal(struct {
			Type    vkevent.Type    `json:"type"`
			EventID string          `json:"event_id"`
			V       string          `json:"v"`
			Object  json.RawMessage `json:"object"`
			GroupID int64           `json:"group_id"`
		}{typ, eventID, sv.APIVersion, obj, groupID})
		c.pushLocked(&item{group: groupID, server: sv.ID, eventID: eventID, typ: typ, body: b, due: now}, now)
	}
}

// AddServer adds a server to a community (its ID is the community's next)
// and asks it for the confirmation; a server without a URL is
// StatusUnconfigured and asked nothing until EditServer gives it one.
func (c *Sender) AddServer(sv Server) (int64, error) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initLocked()
	g := c.groups[sv.GroupID]
	if g == nil {
		if len(c.groups) >= c.cfg.Communities {
			return 0, ErrCommunities
		}
		g = &group{}
		c.groups[sv.GroupID] = g
	}
	if len(g.servers) >= MaxServers {
		return 0, ErrServerLimit
	}
	g.nextID++
	sv.ID = g.nextID
	sv.Title, sv.URL, sv.SecretKey = strings.Clone(sv.Title), strings.Clone(sv.URL), strings.Clone(sv.SecretKey)
	if sv.Events == nil {
		sv.Events = map[string]bool{}
	}
	p := &sv
	g.servers = append(g.servers, p)
	if sv.URL == "" {
		sv.Status, sv.Confirmed, sv.Failures, sv.PausedUntil = StatusUnconfigured, false, 0, time.Time{}
		c.changedLocked()
	} else {
		c.confirmLocked(p, now)
	}
	return sv.ID, nil
}

// EditServer changes a server's address, title and secret; a new address,
// or a server not confirmed yet, is asked for the confirmation again. An
// address cannot be taken away (VK's method requires one).
func (c *Sender) EditServer(groupID, id int64, url, title, secret string) error {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initLocked()
	sv := c.serverLocked(groupID, id)
	switch {
	case sv == nil:
		return ErrNoServer
	case url == "":
		return ErrNoAddress
	}
	moved := sv.URL != url
	sv.URL, sv.Title, sv.SecretKey = strings.Clone(url), strings.Clone(title), strings.Clone(secret)
	if moved || !sv.Confirmed {
		c.confirmLocked(sv, now)
	}
	c.changedLocked()
	return nil
}

// DeleteServer deletes a server and its pending deliveries.
func (c *Sender) DeleteServer(groupID, id int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initLocked()
	sv := c.serverLocked(groupID, id)
	if sv == nil {
		return ErrNoServer
	}
	c.detachLocked(sv)
	c.changedLocked()
	return nil
}

// UpdateServer runs change (when not nil) on a server of the community,
// the one with id or, for id 0, the first, and returns a copy of it.
func (c *Sender) UpdateServer(groupID, id int64, change func(sv *Server)) (Server, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initLocked()
	var sv *Server
	switch g := c.groups[groupID]; {
	case id != 0:
		if sv = c.serverLocked(groupID, id); sv == nil {
			return Server{}, ErrNoServer
		}
	case g != nil && len(g.servers) > 0:
		sv = g.servers[0]
	default:
		return Server{}, ErrNoServers
	}
	if change != nil {
		change(sv)
		c.changedLocked()
	}
	return statusOf(*sv, c.now()), nil
}

// Confirm asks a server for the confirmation again.
func (c *Sender) Confirm(groupID, serverID int64) error {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.initLocked()
	sv := c.serverLocked(groupID, serverID)
	switch {
	case sv == nil:
		return ErrNoServer
	case sv.URL == "":
		return ErrNoAddress
	case c.closed:
		return core.ErrClosed
	}
	c.confirmLocked(sv, now)
	return nil
}

// Debug describes the sender's state, for a failing test.
func (c *Sender) Debug(groupID int64) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := fmt.Sprintf("now %v inflight %d\n", c.now(), c.inflight)
	for _, it := range c.pending {
		out += fmt.Sprintf("item %s attempt %d due %v\n", it.eventID, it.attempt, it.due)
	}
	if g := c.groups[groupID]; g != nil {
		for _, sv := range g.servers {
			out += fmt.Sprintf("server %+v\n", *sv)
		}
	}
	return out
}
