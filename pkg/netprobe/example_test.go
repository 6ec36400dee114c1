package netprobe_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/wardsec/ward/pkg/netprobe"
)

func ExampleParsePorts() {
	ports, err := netprobe.ParsePorts("443,20-22")
	fmt.Println(ports, err)
	// Output: [20 21 22 443] <nil>
}

// Scan a port range of a host, then probe what is open.
func ExampleScanner_Scan() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("SSH-2.0-ExampleSSH_1.0\r\n"))
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port

	sc, err := netprobe.NewScanner(netprobe.WithConcurrency(64), netprobe.WithRate(1000))
	if err != nil {
		panic(err)
	}
	open, err := sc.Scan(context.Background(), netip.MustParseAddr("127.0.0.1"), []int{port})
	fmt.Println(len(open), err)

	p, err := netprobe.NewProber(netprobe.WithTimeout(time.Second), netprobe.WithMaxAttempts(0))
	if err != nil {
		panic(err)
	}
	s := p.ProbeTCP(context.Background(), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)), "")
	fmt.Println(s.Protocol, s.Banner)
	// Output:
	// 1 <nil>
	// ssh SSH-2.0-ExampleSSH_1.0
}

func ExampleCertInfo_Problems() {
	c := netprobe.CertInfo{KeyType: "RSA", KeyBits: 1024, SigAlg: "SHA1-RSA",
		NotBefore: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, p := range c.Problems(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) {
		fmt.Println(p)
	}
	// Output:
	// expired on 2021-01-01
	// RSA key of 1024 bits (under 2048)
	// signed with SHA1-RSA
}
