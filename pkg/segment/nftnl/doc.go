// Package nftnl drives Ward's nftables table through netlink with
// github.com/google/nftables, without the nft tool: it swaps the
// quarantine sets in one netlink batch (so a quarantine takes effect in
// microseconds and atomically) and reads the per-rule counters. The table
// itself is loaded from segment.Engine.NFTables with nft -f.
package nftnl
