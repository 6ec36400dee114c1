package nftnl

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"

	"github.com/wardsec/ward/pkg/segment"
)

// ErrNoTable: Ward's table is not loaded.
var ErrNoTable = errors.New("nftnl: ward table not loaded")

// Conn is a netlink connection to one network namespace's nftables.
type Conn struct {
	c     *nftables.Conn
	table string
}

// Dial connects to the nftables of the namespace open at nsFD (-1: the
// caller's namespace), for the inet table named table ("" for "ward").
func Dial(nsFD int, table string) (*Conn, error) {
	if table == "" {
		table = "ward"
	}
	var opts []nftables.ConnOption
	if nsFD >= 0 {
		opts = append(opts, nftables.WithNetNSFd(nsFD))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("nftnl: %w", err)
	}
	return &Conn{c: c, table: table}, nil
}

// Close releases the connection.
func (c *Conn) Close() error { return c.c.CloseLasting() }

func (c *Conn) tbl() *nftables.Table {
	return &nftables.Table{Name: c.table, Family: nftables.TableFamilyINet}
}

// elements turns ranges into interval-set elements: each range is its start
// and, marked IntervalEnd, the address after its end.
func elements(ranges [][2]netip.Addr) []nftables.SetElement {
	var out []nftables.SetElement
	for _, r := range ranges {
		out = append(out, nftables.SetElement{Key: r[0].AsSlice()})
		if next := r[1].Next(); next.IsValid() {
			out = append(out, nftables.SetElement{Key: next.AsSlice(), IntervalEnd: true})
		}
	}
	return out
}

// SyncQuarantine replaces the contents of the quarantine sets with the
// engine's current quarantines, in one netlink transaction.
func (c *Conn) SyncQuarantine(e *segment.Engine) error {
	v4, v6 := e.QuarantineRanges()
	for _, s := range []struct {
		name   string
		ranges [][2]netip.Addr
	}{{"quarantine_v4", v4}, {"quarantine_v6", v6}} {
		set, err := c.c.GetSetByName(c.tbl(), s.name)
		if err != nil {
			return fmt.Errorf("%w: set %s: %v", ErrNoTable, s.name, err)
		}
		c.c.FlushSet(set)
		if els := elements(s.ranges); len(els) > 0 {
			if err := c.c.SetAddElements(set, els); err != nil {
				return fmt.Errorf("nftnl: %s: %w", s.name, err)
			}
		}
	}
	if err := c.c.Flush(); err != nil {
		return fmt.Errorf("nftnl: commit quarantine: %w", err)
	}
	return nil
}

// Counters returns the packet counts of every commented rule of Ward's
// table, by comment (summed when several rules share one).
func (c *Conn) Counters() (map[string]uint64, error) {
	chains, err := c.c.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		return nil, fmt.Errorf("nftnl: %w", err)
	}
	out := map[string]uint64{}
	found := false
	for _, ch := range chains {
		if ch.Table.Name != c.table {
			continue
		}
		found = true
		rules, err := c.c.GetRules(c.tbl(), ch)
		if err != nil {
			return nil, fmt.Errorf("nftnl: rules of %s: %w", ch.Name, err)
		}
		for _, r := range rules {
			comment, ok := userdata.GetString(r.UserData, userdata.TypeComment)
			if !ok {
				continue
			}
			for _, x := range r.Exprs {
				if ctr, ok := x.(*expr.Counter); ok {
					out[comment] += ctr.Packets
				}
			}
		}
	}
	if !found {
		return nil, ErrNoTable
	}
	return out, nil
}
