package vkmock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Config is the configuration file of `vk mock --config FILE`, also usable
// through WithConfig. Its format is described in the package documentation.
type Config struct {
	Seed           *int64  `json:"seed,omitempty"`
	HTTPSOnly      bool    `json:"https_only,omitempty"`
	RateLimits     *bool   `json:"rate_limits,omitempty"`
	MaxBodyBytes   int64   `json:"max_body_bytes,omitempty"`
	MaxParams      int     `json:"max_params,omitempty"`
	RequestLogSize int     `json:"request_log_size,omitempty"`
	Apps           []App   `json:"apps,omitempty"`
	Tokens         []Token `json:"tokens,omitempty"`
	Faults         []Fault `json:"faults,omitempty"`
	// Challenges are the captcha, confirmation, flood and quota rules.
	Challenges *Challenges `json:"challenges,omitempty"`
	// Procedures are stored procedures (execute.NAME), by name.
	Procedures map[string]string `json:"procedures,omitempty"`
	// World adds users, communities, albums and posts to the seeded world.
	World *World `json:"world,omitempty"`
}

// ParseConfig decodes a configuration; unknown fields are errors, so that a
// misspelt setting is not silently ignored.
func ParseConfig(r io.Reader) (*Config, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	c := &Config{}
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("vkmock: config: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("vkmock: config: more than one JSON value")
	}
	return c, nil
}

// LoadConfig reads a configuration file.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vkmock: config: %w", err)
	}
	return ParseConfig(bytes.NewReader(b))
}
