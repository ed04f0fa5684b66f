package callback

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
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// MethodDeps is what the groups.*Callback* methods need from the rest of
// the mock.
type MethodDeps struct {
	Msgs core.Messages
	// ManagedGroup reads group_id and checks that the token may manage
	// that community (the world decides who administers what).
	ManagedGroup func(q *core.Request, tok core.Token) (int64, *vkerr.Error)
	// APIVersion is the api_version of a new server.
	APIVersion string
}

// api answers the groups.*Callback* methods over a Sender.
type api struct {
	MethodDeps
	s *Sender
}

// Methods returns the handlers of groups.addCallbackServer,
// editCallbackServer, deleteCallbackServer, getCallbackServers,
// setCallbackSettings, getCallbackSettings and
// getCallbackConfirmationCode, bound to c.
func (c *Sender) Methods(d MethodDeps) map[string]core.Handler {
	a := api{MethodDeps: d, s: c}
	return map[string]core.Handler{
		"groups.addCallbackServer":           a.groupsAddCallbackServer,
		"groups.editCallbackServer":          a.groupsEditCallbackServer,
		"groups.deleteCallbackServer":        a.groupsDeleteCallbackServer,
		"groups.getCallbackServers":          a.groupsGetCallbackServers,
		"groups.setCallbackSettings":         a.groupsSetCallbackSettings,
		"groups.getCallbackSettings":         a.groupsGetCallbackSettings,
		"groups.getCallbackConfirmationCode": a.groupsGetCallbackConfirmationCode,
	}
}

// serverParams reads url, title and secret_key as the schema
// bounds them.
func (a api) serverParams(q *core.Request) (u, title, secret string, e *vkerr.Error) {
	u, _ = q.Get("url")
	title, _ = q.Get("title")
	secret, _ = q.Get("secret_key")
	if err := CheckServer(u, title, secret, false); err != nil {
		return "", "", "", a.Msgs.Param(err.Error())
	}
	return u, title, secret, nil
}

// CheckServer bounds a server's fields as VK's methods do: an
// http(s) url of at most 2048 bytes (or none, when optional), a title of 1
// to 14 characters, a secret_key of at most 50.
func CheckServer(u, title, secret string, urlOptional bool) error {
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

func (a api) serverIDParam(q *core.Request) (int64, *vkerr.Error) {
	v, _ := q.Get("server_id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, a.Msgs.Param("server_id is invalid")
	}
	return id, nil
}

func (a api) notFound(what string) *vkerr.Error { return a.Msgs.With(vkerr.NotFound, what) }

func (a api) groupsAddCallbackServer(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	gid, e := a.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	u, title, secret, e := a.serverParams(q)
	if e != nil {
		return nil, e
	}
	var creator int64
	if tok.Kind == vkerr.KindUser {
		creator = tok.UserID
	}
	id, err := a.s.AddServer(Server{GroupID: gid, Title: title, CreatorID: creator, URL: u, SecretKey: secret, APIVersion: a.APIVersion})
	switch {
	case errors.Is(err, ErrServerLimit):
		return nil, &vkerr.Error{Code: vkerr.CallbackAPIServersLimit, Message: a.Msgs.Of(vkerr.CallbackAPIServersLimit)}
	case err != nil:
		return nil, &vkerr.Error{Code: vkerr.Server, Message: a.Msgs.Of(vkerr.Server) + ": " + err.Error()}
	}
	return []byte(`{"server_id":` + strconv.FormatInt(id, 10) + `}`), nil
}

func (a api) groupsEditCallbackServer(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	gid, e := a.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	id, e := a.serverIDParam(q)
	if e != nil {
		return nil, e
	}
	u, title, secret, e := a.serverParams(q)
	if e != nil {
		return nil, e
	}
	if err := a.s.EditServer(gid, id, u, title, secret); err != nil {
		return nil, a.notFound(err.Error())
	}
	return []byte("1"), nil
}

func (a api) groupsDeleteCallbackServer(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	gid, e := a.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	id, e := a.serverIDParam(q)
	if e != nil {
		return nil, e
	}
	if err := a.s.DeleteServer(gid, id); err != nil {
		return nil, a.notFound(err.Error())
	}
	return []byte("1"), nil
}

// serverJSON is a server as groups.getCallbackServers answers it.
type serverJSON struct {
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	CreatorID int64  `json:"creator_id"`
	URL       string `json:"url"`
	SecretKey string `json:"secret_key"`
	Status    string `json:"status"`
}

func (a api) groupsGetCallbackServers(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	gid, e := a.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	var only map[int64]bool
	if v, _ := q.Get("server_ids"); v != "" {
		only = map[int64]bool{}
		for _, f := range strings.Split(v, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil {
				return nil, a.Msgs.Param("server_ids is invalid")
			}
			only[id] = true
		}
	}
	items := []serverJSON{}
	for _, sv := range a.s.Servers(gid) {
		if only != nil && !only[sv.ID] {
			continue
		}
		items = append(items, serverJSON{ID: sv.ID, Title: sv.Title, CreatorID: sv.CreatorID, URL: sv.URL, SecretKey: sv.SecretKey, Status: sv.Status})
	}
	b, _ := json.Marshal(map[string]any{"count": len(items), "items": items})
	return b, nil
}

// serverOf finds the server of server_id (the community's first
// when absent, as the schema lets it be), runs change on it (when not
// nil) and returns a copy.
func (a api) serverOf(q *core.Request, gid int64, change func(sv *Server)) (Server, *vkerr.Error) {
	var id int64
	if v, ok := q.Get("server_id"); ok && v != "" {
		var e *vkerr.Error
		if id, e = a.serverIDParam(q); e != nil {
			return Server{}, e
		}
	}
	sv, err := a.s.UpdateServer(gid, id, change)
	if err != nil {
		return sv, a.notFound(err.Error())
	}
	return sv, nil
}

func (a api) groupsSetCallbackSettings(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	gid, e := a.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	version, _ := q.Get("api_version")
	if version != "" {
		if _, ok := core.ParseVersion(version); !ok {
			return nil, a.Msgs.Param("api_version is invalid")
		}
	}
	events := map[string]bool{}
	for _, t := range vkevent.Types {
		if v, ok := q.Get(string(t)); ok && v != "" && t != vkevent.TypeConfirmation {
			events[string(t)] = q.Flag(string(t))
		}
	}
	_, e = a.serverOf(q, gid, func(sv *Server) {
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

func (a api) groupsGetCallbackSettings(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	gid, e := a.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	sv, e := a.serverOf(q, gid, nil)
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

func (a api) groupsGetCallbackConfirmationCode(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	gid, e := a.ManagedGroup(q, tok)
	if e != nil {
		return nil, e
	}
	return []byte(`{"code":"` + a.s.ConfirmationCode(gid) + `"}`), nil
}
