package vkmock

import (
	"encoding/json"
	"strconv"
)

// The shapes of an update by the a_check's version and mode. The world's
// updates are kept in version 3's arrays with every mode field, and with
// the variants below; injected updates are served as given.
//
//	version 3   [4,id,flags,peer,ts,text,extra,attachments,random_id] (5 alike),
//	            [2|3,id,flags,peer], [6|7,peer,id], [8,-user,extra,ts], [9,...], [63..67,...]
//	version 19  [10004,cmid,flags,minor_id,peer,ts,text,extra,attachments,random_id,id,update_time],
//	            [10005,cmid,flags,peer,ts,text,extra,attachments,random_id,id,update_time],
//	            [10002|10003,cmid,flags,peer], [10006|10007,peer,cmid,unread]; the rest as 3
//	mode 128    random_id in 4 and 5 (version 3); without it the array ends before it
//	mode 64     the platform in 8's extra; without it 0
//
// The mock's cmid is the message id; minor_id and unread are 0; the
// update_time of a new message is 0, of an edit its date.

// User Long Poll versions the mock serves faithfully; another is
// answered {"failed":4} with these bounds.
const (
	MinUserLongPollVersion = 3
	// MaxUserLongPollVersion is the newest version served.
	MaxUserLongPollVersion = 19
	// defaultUserLongPollVersion serves an a_check without version.
	defaultUserLongPollVersion = 3
)

// servedVersion reports whether the mock serves version v in its shapes.
func servedVersion(v int) bool { return v == 3 || v == 19 }

// failed4 is the answer to a version the mock does not serve.
func failed4() []byte {
	return []byte(`{"failed":4,"min_version":` + strconv.Itoa(MinUserLongPollVersion) + `,"max_version":` + strconv.Itoa(MaxUserLongPollVersion) + `}`)
}

// shapes fills up's variants from its version-3 array (a world update).
func (up *ulpUpdate) shapes(arr []any) {
	code, _ := arr[0].(int)
	marshal := func(v []any) json.RawMessage { b, _ := json.Marshal(v); return b }
	switch {
	case (code == 4 || code == 5) && len(arr) == 9:
		up.plain, up.plainBit = marshal(arr[:8]), 128
		id, ts := arr[1], arr[4]
		if code == 4 {
			up.v19 = marshal([]any{10004, id, arr[2], 0, arr[3], ts, arr[5], arr[6], arr[7], arr[8], id, 0})
		} else {
			up.v19 = marshal([]any{10005, id, arr[2], arr[3], ts, arr[5], arr[6], arr[7], arr[8], id, ts})
		}
	case (code == 2 || code == 3) && len(arr) == 4:
		up.v19 = marshal(append([]any{10000 + code}, arr[1:]...))
	case (code == 6 || code == 7) && len(arr) == 3:
		up.v19 = marshal([]any{10000 + code, arr[1], arr[2], 0})
	case code == 8 && len(arr) == 4:
		up.plain, up.plainBit = marshal([]any{8, arr[1], 0, arr[3]}), 64
	}
}

// shape is up as an a_check of version and mode (or a history of
// lp_version, every mode bit) has it.
func (up *ulpUpdate) shape(version, mode int) json.RawMessage {
	if version >= 10 && up.v19 != nil {
		return up.v19
	}
	if up.plain != nil && mode&up.plainBit == 0 {
		return up.plain
	}
	return up.arr
}
