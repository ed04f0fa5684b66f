package userlp

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
//	mode 2      the attachments object in 4 and 5 (version 3); without it the array
//	            goes from extra to random_id
//	mode 128    random_id in 4 and 5 (version 3); without it the array ends before it
//	mode 64     the platform in 8's extra; without it 0
//
// The mock's cmid is the message id; minor_id and unread are 0; the
// update_time of a new message is 0, of an edit its date.

// User Long Poll versions the mock serves faithfully; another is
// answered {"failed":4} with these bounds.
const (
	MinVersion = 3
	// MaxVersion is the newest version served.
	MaxVersion = 19
	// DefaultVersion serves an a_check without version.
	DefaultVersion = 3
)

// Mode bits of an a_check.
const (
	ModeAttachments = 2   // the attachments object of 4 and 5
	ModeExtended    = 8   // the extended set of events
	ModePTS         = 32  // pts in the answer
	ModeOnlineExtra = 64  // the platform in 8's extra
	ModeRandomID    = 128 // random_id in 4 and 5
	// AllModes is every bit: a history has each field.
	AllModes = ModeAttachments | ModeExtended | ModePTS | ModeOnlineExtra | ModeRandomID
)

// served reports whether the mock serves version v in its shapes.
func served(v int) bool { return v == 3 || v == 19 }

// failed4 is the answer to a version the mock does not serve.
func failed4() []byte {
	return []byte(`{"failed":4,"min_version":` + strconv.Itoa(MinVersion) + `,"max_version":` + strconv.Itoa(MaxVersion) + `}`)
}

// elem is an element of a version-3 array and the mode bit it needs
// (0: none); without the bit it is zero, or left out when zero is nil.
type elem struct {
	v    json.RawMessage
	bit  int
	zero json.RawMessage
}

// shapes fills up's variants from its version-3 array (a world update).
func (up *update) shapes(arr []any) {
	code, _ := arr[0].(int)
	marshal := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	elems := func(bits map[int]int, zeros map[int]json.RawMessage) []elem {
		out := make([]elem, len(arr))
		for i, v := range arr {
			out[i] = elem{v: marshal(v), bit: bits[i], zero: zeros[i]}
		}
		return out
	}
	switch {
	case (code == 4 || code == 5) && len(arr) == 9:
		up.elems = elems(map[int]int{7: ModeAttachments, 8: ModeRandomID}, nil)
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
		up.elems = elems(map[int]int{2: ModeOnlineExtra}, map[int]json.RawMessage{2: json.RawMessage("0")})
	}
}

// shape is up as an a_check of version and mode (or a history of
// lp_version, every mode bit) has it.
func (up *update) shape(version, mode int) json.RawMessage {
	if version >= 10 && up.v19 != nil {
		return up.v19
	}
	if up.elems == nil || mode&AllModes == AllModes {
		return up.arr
	}
	b := make([]byte, 0, len(up.arr))
	b = append(b, '[')
	for _, e := range up.elems {
		v := e.v
		if e.bit != 0 && mode&e.bit == 0 {
			if v = e.zero; v == nil {
				continue
			}
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, v...)
	}
	return append(b, ']')
}
