package world

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The checks of the entities a configuration or the control API adds.

func validUser(u User) error {
	if u.ID <= 0 || u.ID > MaxUserID {
		return fmt.Errorf("vkmock: user id %d out of range", u.ID)
	}
	if err := textsFit(u.FirstName, u.LastName, u.ScreenName); err != nil {
		return err
	}
	switch u.Deactivated {
	case "", "deleted", "banned":
	default:
		return fmt.Errorf("vkmock: user deactivated %q: want deleted or banned", u.Deactivated)
	}
	return validScreenName(u.ScreenName)
}

func validGroup(g Group) error {
	if g.ID <= 0 || g.ID > MaxGroupID {
		return fmt.Errorf("vkmock: group id %d out of range", g.ID)
	}
	if err := textsFit(g.Name, g.ScreenName); err != nil {
		return err
	}
	if len(g.Members) > MaxEntities {
		return fmt.Errorf("vkmock: a community lists at most %d members", MaxEntities)
	}
	if g.IsClosed < 0 || g.IsClosed > 2 {
		return errors.New("vkmock: group is_closed must be 0, 1 or 2")
	}
	switch g.Type {
	case "", "group", "page", "event":
	default:
		return fmt.Errorf("vkmock: group type %q: want group, page or event", g.Type)
	}
	return validScreenName(g.ScreenName)
}

func validAlbum(a Album) error {
	if a.ID <= 0 || a.OwnerID == 0 {
		return errors.New("vkmock: album needs a positive id and an owner_id")
	}
	if err := textsFit(a.Title); err != nil {
		return err
	}
	if a.Size < 0 || a.Capacity < 0 {
		return errors.New("vkmock: album size and capacity must not be negative")
	}
	return nil
}

func validScreenName(s string) error {
	if s == "" {
		return nil
	}
	if _, ok := parseIDName(s); ok {
		return fmt.Errorf("vkmock: screen name %q is reserved", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return fmt.Errorf("vkmock: screen name %q: letters, digits, _ and . only", s)
		}
	}
	return nil
}

// textsFit checks the texts of an entity against maxText.
func textsFit(texts ...string) error {
	for _, t := range texts {
		if len(t) > maxText {
			return fmt.Errorf("vkmock: names and titles are at most %d bytes", maxText)
		}
	}
	return nil
}

// full refuses a new entity past MaxEntities.
func full[V any](m map[int64]V, id int64) error {
	if _, ok := m[id]; !ok && len(m) >= MaxEntities {
		return fmt.Errorf("vkmock: the world holds at most %d of each kind of entity", MaxEntities)
	}
	return nil
}

// parseIDName reads idN (a user), clubN, publicN or eventN (a community,
// negative).
func parseIDName(s string) (int64, bool) {
	for _, p := range []struct {
		prefix string
		sign   int64
	}{{"id", 1}, {"club", -1}, {"public", -1}, {"event", -1}} {
		if rest, ok := strings.CutPrefix(s, p.prefix); ok && rest != "" {
			n, err := strconv.ParseInt(rest, 10, 64)
			if err == nil && n > 0 && rest[0] != '0' && rest[0] != '+' {
				return p.sign * n, true
			}
		}
	}
	return 0, false
}
