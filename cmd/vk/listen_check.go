package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkapi"
)

// errUserToken is vk listen's answer to a user token: Bots Long Poll needs
// a community's.
var errUserToken = errors.New("this is a user token: use a community token, or --user")

// community is what vk listen learns of the community before polling.
type community struct {
	ID         int64
	Enabled    bool   // Long Poll is on
	APIVersion string // the version of the events' objects
}

// checkCommunity finds the community of the token (id 0: the token's own,
// from groups.getById) and its Long Poll settings. A user token is
// errUserToken (groups.getById without group_ids answers a user token
// error 100); Long Poll off is an error that says how to turn it on. Other
// failures are left to the Long Poll client, which retries what can be
// retried: checkCommunity then returns the id it has and no error.
func checkCommunity(ctx context.Context, api *vkapi.Client, id int64) (community, error) {
	c := community{ID: id}
	if id == 0 {
		var raw json.RawMessage
		err := api.Call(ctx, "groups.getById", nil, &raw)
		var ve *vkerr.Error
		switch {
		case errors.As(err, &ve) && (ve.Code == 100 || ve.Code == 27):
			return c, errUserToken
		case err != nil:
			return c, nil
		}
		if c.ID = groupIDOf(raw); c.ID == 0 {
			return c, errUserToken
		}
	}
	var s struct {
		IsEnabled  json.RawMessage `json:"is_enabled"` // 1, or true
		APIVersion string          `json:"api_version"`
	}
	if err := api.Call(ctx, "groups.getLongPollSettings", vkapi.Params{"group_id": c.ID}, &s); err != nil {
		return c, nil
	}
	c.APIVersion = s.APIVersion
	c.Enabled = string(s.IsEnabled) == "1" || string(s.IsEnabled) == "true"
	if !c.Enabled {
		return c, fmt.Errorf("community %d has Long Poll off: turn it on in the community's settings (Manage, API usage, Long Poll API) "+
			"or with vk call groups.setLongPollSettings group_id=%d enabled=1 api_version=5.199 message_new=1 --kind group", c.ID, c.ID)
	}
	return c, nil
}

// groupIDOf is the id of the first community of a groups.getById answer:
// an array (before 5.139) or {"groups": [...]}.
func groupIDOf(raw json.RawMessage) int64 {
	type group struct {
		ID json.Number `json:"id"`
	}
	var list []group
	if json.Unmarshal(raw, &list) != nil {
		var obj struct {
			Groups []group `json:"groups"`
		}
		if json.Unmarshal(raw, &obj) != nil {
			return 0
		}
		list = obj.Groups
	}
	if len(list) == 0 {
		return 0
	}
	id, _ := strconv.ParseInt(list[0].ID.String(), 10, 64)
	return id
}
