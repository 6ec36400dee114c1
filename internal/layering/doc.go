// Package layering holds no code, only the test that keeps Ward's layers
// apart: device-side packages (what firmware links) must not pull in the
// harness side, godog or hcl.
package layering
