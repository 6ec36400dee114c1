package mud

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// node is the set of keys a JSON object may hold, each with the node of
// its value (nil: a leaf, checked later by the typed decoding). Arrays take
// their elements' node. Every key of a MUD file must be in this schema:
// a key Ward ignored (a misspelled "match", an extension it does not
// implement) would leave a rule broader than the maker wrote.
type node map[string]node

var (
	portNode = node{"operator": nil, "port": nil, "lower-port": nil, "upper-port": nil}
	ipCommon = node{"protocol": nil, "ietf-acldns:src-dnsname": nil, "ietf-acldns:dst-dnsname": nil,
		// RFC 8519 header fields Ward does not enforce: known, so they get
		// a precise refusal instead of "unknown key".
		"dscp": nil, "ecn": nil, "length": nil, "ttl": nil}
	ipv4Node = with(ipCommon, node{"source-ipv4-network": nil, "destination-ipv4-network": nil,
		"ihl": nil, "flags": nil, "offset": nil, "identification": nil})
	ipv6Node = with(ipCommon, node{"source-ipv6-network": nil, "destination-ipv6-network": nil, "flow-label": nil})
	l4Node   = node{"source-port": portNode, "destination-port": portNode, "ietf-mud:direction-initiated": nil,
		"sequence-number": nil, "acknowledgement-number": nil, "data-offset": nil, "reserved": nil, "flags": nil,
		"window-size": nil, "urgent-pointer": nil, "options": nil, "length": nil, "checksum": nil}
	mudMatchNode = node{"manufacturer": nil, "same-manufacturer": nil, "model": nil, "local-networks": nil,
		"controller": nil, "my-controller": nil}
	matchesNode = node{"ipv4": ipv4Node, "ipv6": ipv6Node, "tcp": l4Node, "udp": l4Node, "ietf-mud:mud": mudMatchNode,
		"eth": nil, "icmp": nil, "egress-interface": nil, "ingress-interface": nil}
	policyNode = node{"access-lists": node{"access-list": node{"name": nil}}}
	schema     = node{
		"ietf-mud:mud": node{"mud-version": nil, "mud-url": nil, "last-update": nil, "mud-signature": nil,
			"cache-validity": nil, "is-supported": nil, "systeminfo": nil, "mfg-name": nil, "model-name": nil,
			"firmware-rev": nil, "software-rev": nil, "documentation": nil, "extensions": nil,
			"from-device-policy": policyNode, "to-device-policy": policyNode},
		"ietf-access-control-list:acls": node{"acl": node{"name": nil, "type": nil, "aces": node{"ace": node{
			"name": nil, "matches": matchesNode, "actions": node{"forwarding": nil, "logging": nil}}}}},
	}
)

func with(a, b node) node {
	out := node{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// draftNames are container and leaf names of pre-RFC drafts of the MUD and
// ACL models, with what RFC 8519/8520 call them. Files written against the
// drafts are still published; say so instead of "unknown key".
var draftNames = map[string]string{
	"ietf-access-control-list:access-lists": `"ietf-access-control-list:acls"`,
	"access-list-entries":                   `"aces"`,
	"acl-name":                              `"name"`,
	"acl-type":                              `"type"`,
	"rule-name":                             `"name"`,
	"permit":                                `"forwarding": "accept"`,
	"deny":                                  `"forwarding": "drop"`,
	"source-port-range":                     `"source-port" with an operator`,
	"destination-port-range":                `"destination-port" with an operator`,
	"ietf-mud:direction-initiated":          `"ietf-mud:direction-initiated" inside the tcp match`,
	"ietf-mud:meta-info":                    `the leaves of "ietf-mud:mud"`,
}

// checkKeys walks a decoded document and reports the first key the schema
// does not know, with its path. Keys are compared exactly (encoding/json
// would match "Matches" to "matches"; RFC 7951 names are case-sensitive).
func checkKeys(data []byte) (path, msg string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", "", true // the typed decoding reports syntax errors with positions
	}
	return walk(v, schema, "")
}

func walk(v any, n node, path string) (string, string, bool) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			child, known := n[k]
			if !known {
				return path, unknownKey(k, n), false
			}
			if child != nil {
				if p, m, ok := walk(x[k], child, join(path, k)); !ok {
					return p, m, false
				}
			}
		}
	case []any:
		for i, e := range x {
			p := fmt.Sprintf("%s[%d]", path, i)
			if m, ok := e.(map[string]any); ok {
				if name, ok := m["name"].(string); ok {
					p = fmt.Sprintf("%s[%q]", path, name)
				}
			}
			if p, m, ok := walk(e, n, p); !ok {
				return p, m, false
			}
		}
	}
	return "", "", true
}

func join(path, k string) string {
	if k == rfcACLs {
		k = "acls" // as the other error paths name it
	} else if strings.ContainsAny(k, ":-") {
		k = fmt.Sprintf("%q", k)
	}
	if path == "" {
		return k
	}
	return path + "." + k
}

func unknownKey(k string, n node) string {
	if rfc, ok := draftNames[k]; ok {
		return fmt.Sprintf("key %q is from a pre-RFC draft of the MUD/ACL models; RFC 8520 files use %s (rewrite the file to RFC 8519/8520)", k, rfc)
	}
	known := make([]string, 0, len(n))
	for k := range n {
		known = append(known, k)
	}
	slices.Sort(known)
	return fmt.Sprintf("unknown key %q (Ward refuses what it would have to ignore; known here: %s)", k, strings.Join(known, ", "))
}
