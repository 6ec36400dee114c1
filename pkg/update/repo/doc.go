// Package repo is the repository side of Ward's updates, for device makers
// and tests: create a TUF repository with Ed25519 keys, add firmware
// images with their version, hardware ids and CycloneDX SBOM (Ward's
// custom metadata, docs/update.md), re-sign, expire, rotate keys through a
// new root, save it to disk, and serve it over HTTP or in process.
//
// Keys live in memory and, after Save, in keys/*.pem: keep them offline in
// production (root especially); this package suits a release pipeline
// and test repositories.
package repo
