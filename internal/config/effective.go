package config

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Masked replaces a set secret in Effective.
const Masked = "********"

// Effective renders c as YAML in declaration order with every secret
// replaced by Masked (an unset secret stays empty).
func (c Config) Effective() string {
	root := &yaml.Node{Kind: yaml.MappingNode}
	var sec *yaml.Node
	last := ""
	for _, f := range fields(&c) {
		s, key, _ := strings.Cut(f.Key, ".")
		if s != last {
			sec = &yaml.Node{Kind: yaml.MappingNode}
			root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: s}, sec)
			last = s
		}
		val := f.String()
		if f.Secret && val != "" {
			val = Masked
		}
		vn := &yaml.Node{Kind: yaml.ScalarNode, Value: val}
		if f.Type == "string" || f.Type == "duration" {
			vn.Tag = "!!str"
		}
		sec.Content = append(sec.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, vn)
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return ""
	}
	_ = enc.Close()
	return b.String()
}
