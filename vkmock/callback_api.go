package vkmock

import (
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkevent"
	"github.com/vkerr/vkerr/vkmock/internal/callback"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// The groups.*Callback* methods, for the community's token or the admin's
// user token (see lpGroupParam).

func init() {
	worldMethods["groups.addCallbackServer"] = (*Server).groupsAddCallbackServer
	worldMethods["groups.editCallbackServer"] = (*Server).groupsEditCallbackServer
	worldMethods["groups.deleteCallbackServer"] = (*Server).groupsDeleteCallbackServer
	worldMethods["groups.getCallbackServers"] = (*Server).groupsGetCallbackServers
	worldMethods["groups.setCallbackSettings"] = (*Server).groupsSetCallbackSettings
	worldMethods["groups.getCallbackSettings"] = (*Server).groupsGetCallbackSettings
	worldMethods["groups.getCallbackConfirmationCode"] = (*Server).groupsGetCallbackConfirmationCode
}

// callbackServerParams reads url, title and secret_key as the schema
// bounds them.
func (s *Server) callbackServerParams(q *vkRequest) (u, title, secret string, e *vkerr.Error) {
	u, _ = q.Get("url")
	title, _ = q.Get("title")
	secret, _ = q.Get("secret_key")
	if err := checkCallbackServer(u, title, secret, false); err != nil {
		return "", "", "", s.msgs().Param(err.Error())
	}
	return u, title, secret, nil
}

// checkCallbackServer bounds a server's fields as VK's methods do: an
// http(s) url of at most 2048 bytes (or none, when optional), a title of 1
// to 14 characters, a secret_key of at most 50.
func checkCallbackServer(u, title, secret string, urlOptional bool) error {
	pu, err := url.Parse(u)
	switch {
	case u == "" && urlOptional:
	case u == "" || err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "":
		return errors.New("url is invalid")
	case len(u) > 2048:
		return errors.New("url is too long")
	}
	switch {
	case title == "" || utf8.RuneCountInString(title) > 14:
		return errors.New("title must be 1 to 14 characters")
	case utf8.RuneCountInString(secret) > 50:
		return errors.New("secret_key must be at most 50 characters")
	}
	return nil
}

func (s *Server) serverIDParam(q *vkRequest) (int64, *vkerr.Error) {
	v, _ := q.Get("server_id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, s.msgs().Param("server_id is invalid")
	}
	return id, nil
}

func (s *Server) notFound(what string) *vkerr.Error { return s.withSuffix(vkerr.NotFound, what) }

func (s *Server) groupsAddCallbackServer(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	gid, e := s.world.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	u, title, secret, e := s.callbackServerParams(q)
	if e != nil {
		return nil, e
	}
	var creator int64
	if tok.Kind == TokenUser {
		creator = tok.UserID
	}
	id, err := s.cb.AddServer(CallbackServer{GroupID: gid, Title: title, CreatorID: creator, URL: u, SecretKey: secret, APIVersion: DefaultLongPollAPIVersion})
	switch {
	case errors.Is(err, callback.ErrServerLimit):
		return nil, &vkerr.Error{Code: vkerr.CallbackAPIServersLimit, Message: s.message(vkerr.CallbackAPIServersLimit)}
	case err != nil:
		return nil, &vkerr.Error{Code: vkerr.Server, Message: s.message(vkerr.Server) + ": " + err.Error()}
	}
	return []byte(`{"server_id":` + strconv.FormatInt(id, 10) + `}`), nil
}

func (s *Server) groupsEditCallbackServer(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	gid, e := s.world.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	id, e := s.serverIDParam(q)
	if e != nil {
		return nil, e
	}
	u, title, secret, e := s.callbackServerParams(q)
	if e != nil {
		return nil, e
	}
	if err := s.cb.EditServer(gid, id, u, title, secret); err != nil {
		return nil, s.notFound(err.Error())
	}
	return []byte("1"), nil
}

func (s *Server) groupsDeleteCallbackServer(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	gid, e := s.world.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	id, e := s.serverIDParam(q)
	if e != nil {
		return nil, e
	}
	if err := s.cb.DeleteServer(gid, id); err != nil {
		return nil, s.notFound(err.Error())
	}
	return []byte("1"), nil
}

// callbackServerJSON is a server as groups.getCallbackServers answers it.
type callbackServerJSON struct {
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	CreatorID int64  `json:"creator_id"`
	URL       string `json:"url"`
	SecretKey string `json:"secret_key"`
	Status    string `json:"status"`
}

func (s *Server) groupsGetCallbackServers(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	gid, e := s.world.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	var only map[int64]bool
	if v, _ := q.Get("server_ids"); v != "" {
		only = map[int64]bool{}
		for _, f := range strings.Split(v, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil {
				return nil, s.msgs().Param("server_ids is invalid")
			}
			only[id] = true
		}
	}
	items := []callbackServerJSON{}
	for _, sv := range s.Callback().Servers(gid) {
		if only != nil && !only[sv.ID] {
			continue
		}
		items = append(items, callbackServerJSON{ID: sv.ID, Title: sv.Title, CreatorID: sv.CreatorID, URL: sv.URL, SecretKey: sv.SecretKey, Status: sv.Status})
	}
	b, _ := json.Marshal(map[string]any{"count": len(items), "items": items})
	return b, nil
}

// callbackServerOf finds the server of server_id (the community's first
// when absent, as the schema lets it be), runs change on it (when not
// nil) and returns a copy.
func (s *Server) callbackServerOf(q *vkRequest, gid int64, change func(sv *CallbackServer)) (CallbackServer, *vkerr.Error) {
	var id int64
	if v, ok := q.Get("server_id"); ok && v != "" {
		var e *vkerr.Error
		if id, e = s.serverIDParam(q); e != nil {
			return CallbackServer{}, e
		}
	}
	sv, err := s.cb.UpdateServer(gid, id, change)
	if err != nil {
		return sv, s.notFound(err.Error())
	}
	return sv, nil
}

func (s *Server) groupsSetCallbackSettings(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	gid, e := s.world.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	version, _ := q.Get("api_version")
	if version != "" {
		if _, ok := core.ParseVersion(version); !ok {
			return nil, s.msgs().Param("api_version is invalid")
		}
	}
	events := map[string]bool{}
	for _, t := range vkevent.Types {
		if v, ok := q.Get(string(t)); ok && v != "" && t != vkevent.TypeConfirmation {
			events[string(t)] = q.Flag(string(t))
		}
	}
	_, e = s.callbackServerOf(q, gid, func(sv *CallbackServer) {
		if version != "" {
			sv.APIVersion = strings.Clone(version)
		}
		maps.Copy(sv.Events, events)
	})
	if e != nil {
		return nil, e
	}
	return []byte("1"), nil
}

func (s *Server) groupsGetCallbackSettings(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	gid, e := s.world.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	sv, e := s.callbackServerOf(q, gid, nil)
	if e != nil {
		return nil, e
	}
	events := map[string]int{}
	for _, t := range vkevent.Types {
		if t != vkevent.TypeConfirmation {
			if sv.Events[string(t)] {
				events[string(t)] = 1
			} else {
				events[string(t)] = 0
			}
		}
	}
	b, _ := json.Marshal(map[string]any{"api_version": sv.APIVersion, "events": events})
	return b, nil
}

func (s *Server) groupsGetCallbackConfirmationCode(q *vkRequest, tok Token) ([]byte, *vkerr.Error) {
	gid, e := s.world.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	return []byte(`{"code":"` + s.confirmationCode(gid) + `"}`), nil
}
