package vkmock

import (
	"github.com/vkerr/vkerr"
	"github.com/vkerr/vkerr/vkmock/internal/methods"
)

// The methods room (vkmock/internal/methods): the schema's table, the
// validation of parameters and the synthesised answers. The pipeline
// (pipeline.go) asks it which methods exist and what they take; answer
// (execute.go) asks it for the answers the world does not give.

// SchemaVersion is the version of the VK API schema the embedded table was
// compiled from.
const SchemaVersion = methods.SchemaVersion

// apiMethod is a method of the server's schema.
type apiMethod = methods.Method

// loadMethods loads the table (the embedded one unless dir is set) and
// makes the room over it.
func loadMethods(dir string, seed int64) (*methods.Room, error) {
	var table *methods.Table
	var err error
	if dir != "" {
		table, err = methods.LoadDir(dir)
	} else {
		table, err = methods.Embedded()
	}
	if err != nil {
		return nil, err
	}
	return methods.New(methods.Deps{Table: table, Seed: seed}), nil
}

// SchemaVersion returns the version of the schema the server uses.
func (s *Server) SchemaVersion() string { return s.schema.Version() }

// Methods returns the names of the methods the server knows, in schema
// order.
func (s *Server) Methods() []string {
	ms := s.schema.Methods()
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name()
	}
	return out
}

// validate checks the parameters against the schema; the first problem is
// answered with 100 naming the parameter.
func (s *Server) validate(m *apiMethod, q *vkRequest) *vkerr.Error { return m.Validate(q, s.msgs()) }
