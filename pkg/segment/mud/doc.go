// Package mud imports Manufacturer Usage Description files (RFC 8520):
// the ietf-mud container, the ietf-access-control-list ACLs it names and
// the ietf-acldns DNS-name matches. Every accept ACE becomes a rule of a
// segment.Profile, including the lateral classes osMUD ignores
// (same-manufacturer, manufacturer, model, local-networks, controller,
// my-controller). Whatever Ward cannot enforce exactly as written (a drop
// action, an Ethernet match, an unknown match field, a conjunction of
// peers) is refused with ErrUnsupported and the ACE's location rather than
// enforced more broadly or narrowly.
package mud
