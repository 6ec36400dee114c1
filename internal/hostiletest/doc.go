// Package hostiletest serves a hostile device for tests: a management-API
// server (docs/management-api.md) whose every answer the test scripts.
// It answers the few calls a driver needs to open a target (service,
// capabilities, identity) like a well-behaved device unless the test
// replaces them, records every request it saw, and offers ready-made
// hostile answers (redirects, slow drips, oversized bodies).
//
// Tests use it to show that the harness survives a device that lies,
// floods, stalls or tries to send Ward elsewhere. It is test-only: it
// imports testing and is under internal/.
package hostiletest
