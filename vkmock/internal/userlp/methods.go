package userlp

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/core"
)

// serverOf is the server of a user as VK sends it: the host without a
// scheme, then /im/u<user_id>.
func serverOf(q *core.Request, userID int64) string {
	host := strings.TrimPrefix(strings.TrimPrefix(q.Base(), "https://"), "http://")
	return host + "/im/u" + strconv.FormatInt(userID, 10)
}

func (r *Room) getLongPollServer(q *core.Request, tok core.Token) ([]byte, *vkerr.Error) {
	if tok.Kind != vkerr.KindUser {
		return nil, r.d.Msgs.With(vkerr.Method, "messages.getLongPollServer needs a user token; communities use groups.getLongPollServer")
	}
	if v, _ := q.Get("lp_version"); v != "" {
		// Any number: the a_check's version is what answers failed 4.
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			return nil, r.d.Msgs.Param("lp_version is invalid")
		}
	}
	key, ts, pts := r.Key(tok.UserID)
	out := map[string]any{"key": key, "server": serverOf(q, tok.UserID), "ts": ts}
	if q.Flag("need_pts") {
		out["pts"] = pts
	}
	body, _ := json.Marshal(out)
	return body, nil
}

// Injected is an update for a user as a test gives it (POST
// /__vkmock/userlp/event): an array, its first element the code.
type Injected struct {
	UserID int64             `json:"user_id"`
	Update []json.RawMessage `json:"update"`
}

// Inject checks an injected update and appends it to the user's stream,
// making the user's state; it is served as given in every version and
// mode.
func (r *Room) Inject(up Injected) error {
	if up.UserID <= 0 || up.UserID > r.d.MaxUserID {
		return errors.New("user_id must be a user id")
	}
	if len(up.Update) == 0 || len(up.Update) > 32 {
		return errors.New("update must be an array of 1 to 32 elements, the code first")
	}
	var code int
	if json.Unmarshal(up.Update[0], &code) != nil || code <= 0 {
		return errors.New("the first element of update must be the code, a positive number")
	}
	arr := make([]any, len(up.Update))
	for i, v := range up.Update {
		arr[i] = v
	}
	return r.Update(up.UserID, arr, nil, true)
}
