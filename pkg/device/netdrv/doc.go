// Package netdrv is the black-box network driver, for devices Ward did not
// build and that offer no management API Ward knows:
//
//	net://HOST[?ports=LIST&udp=LIST&profile=FILE&timeout=DUR&documented=LIST&rate=N]
//
// It resolves HOST once and talks to that one address only. On first use
// it scans the TCP ports (all 65,535 unless ports= narrows them), then
// identifies and probes every open one with package netprobe: TLS
// versions and certificate, the protocol spoken, default credentials on
// the login mechanisms found; and SNMP with community "public" on the UDP
// ports asked for. Everything is read-only. What it learns is offered
// through device.Transport, device.PortLister and device.ServiceProber.
// See docs/net-driver.md.
package netdrv
