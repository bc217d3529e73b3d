package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// Configured is a policy built from a policy file, with the name it is
// reported under.
type Configured struct {
	Label  string // the file's "name", or the policy's own name
	Policy Policy
	// New builds another policy of the same kind and parameters for a
	// different environment (another resource pool: quantum simulator
	// workers, reserved QPUs); nil when the policy cannot be rebuilt (an
	// HPA manifest), and such a policy scales only the classical service.
	New func(env Env) (Policy, error)
}

// policyEntry is one policy in a policy file.
type policyEntry struct {
	Policy string         `json:"policy"` // a name from Specs
	Name   string         `json:"name"`   // the name reports use
	Params map[string]any `json:"params"` // the policy's parameters
}

// LoadFile reads a policy file, YAML or JSON, and builds its policies. The
// file holds either one policy,
//
//	policy: threshold        # a name from Specs (sim policies lists them)
//	name: threshold-fast     # optional: the name reports use
//	params:
//	  cooldown: 120s
//	  scale_up: 0.8
//
// or a list of them under "policies:", or a Kubernetes autoscaling/v2
// HorizontalPodAutoscaler manifest, which becomes an HPA policy. Unknown
// keys and values out of range are errors that name the file and the key.
func LoadFile(path string, env Env) ([]Configured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out, err := ParseFile(path, data, env)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// ParseFile is LoadFile on the file's contents; name is used in messages.
func ParseFile(name string, data []byte, env Env) ([]Configured, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%w: not YAML or JSON: %v", ErrInvalidConfig, err)
	}
	var head map[string]json.RawMessage
	if err := json.Unmarshal(js, &head); err != nil || head == nil {
		return nil, fmt.Errorf("%w: want an object with \"policy\", \"policies\" or an HPA manifest", ErrInvalidConfig)
	}
	if _, ok := head["apiVersion"]; ok {
		h, err := ParseHPAManifest(name, data)
		if err != nil {
			return nil, err
		}
		again := func(Env) (Policy, error) { return ParseHPAManifest(name, data) }
		return []Configured{{Label: h.Label(), Policy: h, New: again}}, nil
	}
	var entries []policyEntry
	if _, ok := head["policies"]; ok {
		var f struct {
			Policies []policyEntry `json:"policies"`
		}
		if err := strictJSON(js, &f); err != nil {
			return nil, err
		}
		entries = f.Policies
	} else {
		var e policyEntry
		if err := strictJSON(js, &e); err != nil {
			return nil, err
		}
		entries = []policyEntry{e}
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%w: no policies", ErrInvalidConfig)
	}
	var out []Configured
	for i, e := range entries {
		where := "policy"
		if len(entries) > 1 || head["policies"] != nil {
			where = fmt.Sprintf("policies[%d]", i)
		}
		if e.Policy == "" {
			return nil, fmt.Errorf("%w: %s: missing key \"policy\"", ErrInvalidConfig, where)
		}
		spec, err := Lookup(e.Policy)
		if err != nil {
			return nil, fmt.Errorf("%s.policy: %w", where, err)
		}
		p, err := spec.New(env, e.Params)
		if err != nil {
			return nil, fmt.Errorf("%s.params: %w", where, err)
		}
		label := e.Name
		if label == "" {
			label = p.Name()
		}
		params := e.Params
		out = append(out, Configured{Label: label, Policy: p, New: func(env Env) (Policy, error) { return spec.New(env, params) }})
	}
	return out, nil
}

func strictJSON(js []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	return nil
}
