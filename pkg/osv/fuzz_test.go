package osv

import "testing"

func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`[{"id":"X","affected":[{"package":{"name":"a"},"versions":["1"]}]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		advs, err := Parse(b)
		if err != nil {
			return
		}
		for _, a := range advs {
			if a.ID == "" {
				t.Fatal("advisory without id accepted")
			}
			a.Affects(Dpkg, "a", "1.0")
			a.Affects(RPM, "a", "1.0")
		}
	})
}

// Version comparison is a total order: antisymmetric and never panics on
// what a device's package database says.
func FuzzCompare(f *testing.F) {
	f.Add("1:2.0~rc1-3", "2.0-3")
	f.Add("1.0^git1", "1.0~a")
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, s := range []Scheme{Dpkg, RPM} {
			if s.Compare(a, b) != -s.Compare(b, a) {
				t.Fatalf("%s: %q vs %q not antisymmetric", s, a, b)
			}
			if s.Compare(a, a) != 0 {
				t.Fatalf("%s: %q differs from itself", s, a)
			}
		}
	})
}
